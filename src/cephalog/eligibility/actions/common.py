"""What the eligibility actions share: who is clinical, the refusal, the checks."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from django.core.exceptions import ValidationError

from cephalog.accounts.models import Role
from cephalog.core.errors import AppError

CLINICAL = (Role.PHYSICIAN, Role.NURSE)
REASON_MAX = 1000


class EligibilityError(AppError):
    """Refused input: `problems` holds one message per problem, each naming its field."""


def _iso(value: dt.date | None) -> str | None:
    return None if value is None else value.isoformat()


def _changed(instance: Any, before: dict[str, Any], fields: Iterable[str]) -> list[str]:
    return sorted(f for f in fields if before.get(f) != getattr(instance, f))


def _full_clean(instance: Any, exclude: Sequence[str] = ()) -> None:
    try:
        instance.full_clean(exclude=list(exclude))
    except ValidationError as error:
        raise EligibilityError(
            [f"{name}: {' '.join(messages)}" for name, messages in error.message_dict.items()]
        ) from None
