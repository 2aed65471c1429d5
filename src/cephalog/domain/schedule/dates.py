"""Dates in plain English, ordinals, and checked date lists."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def format_date(d: dt.date) -> str:
    """A date in plain English, independent of the locale: `14 September 2026`."""
    return f"{d.day} {_MONTHS[d.month - 1]} {d.year}"


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _sorted_unique(dates: Sequence[dt.date], what: str) -> list[dt.date]:
    ordered = sorted(dates)
    for a, b in zip(ordered, ordered[1:], strict=False):
        if a == b:
            raise ValueError(f"{what}: {a.isoformat()} appears twice")
    return ordered
