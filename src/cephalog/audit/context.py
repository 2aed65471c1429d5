"""The request's user and address, available to actions without passing the request."""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class RequestContext:
    user: Any = None
    source_ip: str | None = None


_current: ContextVar[RequestContext | None] = ContextVar("cephalog_request", default=None)
_EMPTY = RequestContext()


def get() -> RequestContext:
    return _current.get() or _EMPTY


def set_context(ctx: RequestContext) -> object:
    return _current.set(ctx)


def reset(token: object) -> None:
    _current.reset(token)  # type: ignore[arg-type]
