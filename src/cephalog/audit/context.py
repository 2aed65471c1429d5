"""The request's user and address, available to actions without passing the request."""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class RequestContext:
    user: Any = None
    source_ip: str | None = None


current: ContextVar[RequestContext] = ContextVar("cephalog_request", default=RequestContext())
