"""What the outcomes writes share."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError


def not_future(day: dt.date, today: dt.date, field: str) -> None:
    if day > today:
        raise ValidationError({field: f"must not be in the future, got {day.isoformat()}"})
