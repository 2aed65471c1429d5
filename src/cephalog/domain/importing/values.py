"""The files' columns and limits, and their values: durations, pain levels, local and
aware date-times, and the time an attack covers on each date."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from typing import Any

from cephalog.domain.diary import DAY_FEATURES
from cephalog.domain.vocab import INTENSITY_CODES

UTC = dt.UTC

#: The day's raw facts, in the case format's names (spec section 1).
FLAGS: tuple[str, ...] = DAY_FEATURES
DAY_COLUMNS: tuple[str, ...] = (
    "date",
    "headache_hours",
    "peak_intensity",
    *FLAGS,
    "aura_minutes",
    "acute_medications",
)
#: Derived columns (spec section 2): written on export, ignored on import.
DERIVED_COLUMNS: tuple[str, ...] = (
    "recorded",
    "headache_day",
    "migraine_day",
    "moderate_severe_day",
    "headache_free",
    "acute_medication_classes",
    "reasons",
)
#: The day's free note (kept by imports and exports; not a case-format fact).
NOTES_COLUMN = "notes"
DAYS_HEADER: tuple[str, ...] = DAY_COLUMNS + (NOTES_COLUMN,) + DERIVED_COLUMNS

ATTACK_COLUMNS: tuple[str, ...] = ("start", "end", "peak_intensity", "external_id", "notes")
#: Written on export, ignored on import: minutes and the hours counted on each date.
ATTACK_DERIVED_COLUMNS: tuple[str, ...] = ("duration_minutes", "hours_by_date", "source")
ATTACKS_HEADER: tuple[str, ...] = ATTACK_COLUMNS + ATTACK_DERIVED_COLUMNS

#: The longest attack an import accepts; longer is taken for a typing error.
MAX_ATTACK = dt.timedelta(days=31)
MAX_NOTES = 2000
MAX_EXTERNAL_ID = 100
MAX_MEDICINE_NAME = 100

_RANK = {code: rank for rank, code in enumerate(INTENSITY_CODES, start=1)}


# --- Values ----------------------------------------------------------------------------------


_DURATION = re.compile(
    r"\s*(?:(?P<d>\d{1,3})\s*d)?\s*(?:(?P<h>\d{1,4})\s*h)?\s*(?:(?P<m>\d{1,6})\s*m(?:in)?)?\s*",
    re.IGNORECASE,
)


def parse_duration(text: str) -> dt.timedelta:
    """A Migraine Buddy duration: `01h 00m`, `1d 02h 15m`, `45m`, `2h` (days, hours,
    minutes, in that order, each optional). Raises ValueError with the message."""
    match = _DURATION.fullmatch(text)
    if match is None or not any(match.group(g) for g in "dhm"):
        raise ValueError(
            f'must be a duration such as "01h 00m", "1d 02h 15m" or "45m", got {_quote(text)}'
        )
    days, hours, minutes = (int(match.group(g) or 0) for g in "dhm")
    if (match.group("d") and hours >= 24) or (
        (match.group("d") or match.group("h")) and minutes >= 60
    ):
        raise ValueError(f"hours must be under 24 and minutes under 60, got {_quote(text)}")
    duration = dt.timedelta(days=days, hours=hours, minutes=minutes)
    if duration <= dt.timedelta(0):
        raise ValueError(f"must be longer than 0 minutes, got {_quote(text)}")
    if duration > MAX_ATTACK:
        raise ValueError(f"must be at most {MAX_ATTACK.days} days, got {_quote(text)}")
    return duration


def format_duration(duration: dt.timedelta) -> str:
    """The inverse of `parse_duration` for whole minutes: `1d 02h 15m`, `01h 00m`."""
    minutes = int(duration.total_seconds() // 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    text = f"{hours:02d}h {minutes:02d}m"
    return f"{days}d {text}" if days else text


def pain_to_intensity(level: int) -> str | None:
    """Pain 0-10 → peak intensity: 0 none (None), 1-3 mild, 4-6 moderate, 7-10 severe.

    The cut points follow the usual mapping of numeric rating scales to the
    4-point scale the diary uses (ICHD-3 criterion C(3) needs moderate or
    severe): 4 is the first "moderate" and 7 the first "severe".
    """
    if not 0 <= level <= 10:
        raise ValueError(f"pain level must be 0 to 10, got {level}")
    if level == 0:
        return None
    if level <= 3:
        return "mild"
    if level <= 6:
        return "moderate"
    return "severe"


def max_intensity(*values: str | None) -> str | None:
    ranked = [v for v in values if v]
    return max(ranked, key=lambda v: _RANK.get(v, 0)) if ranked else None


_LOCAL = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(:[0-9]{2})?")
_OFFSET = re.compile(r"(Z|[+-][0-9]{2}:[0-9]{2})")


def parse_local_datetime(text: str, tz: dt.tzinfo) -> dt.datetime:
    """`YYYY-MM-DD HH:MM[:SS]` in the patient's zone `tz` (or with a UTC offset or `Z`).

    Day-first and month-first dates are refused, since `01/03` is ambiguous.
    A wall time skipped or repeated by a clock change takes the first offset.
    """
    value = text.strip()
    local = _LOCAL.match(value)
    rest = value[local.end() :] if local else ""
    if local is None or (rest and not _OFFSET.fullmatch(rest)):
        raise ValueError(f"must be a date and time YYYY-MM-DD HH:MM, got {_quote(text)}")
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"is not a real date and time, got {_quote(text)}") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=tz)
    return parsed.astimezone(UTC)


def parse_aware_datetime(text: str) -> dt.datetime:
    """An ISO 8601 date and time with its UTC offset, as the attacks CSV writes it."""
    value = text.strip()
    local = _LOCAL.match(value)
    rest = value[local.end() :] if local else ""
    if local is None or not _OFFSET.fullmatch(rest):
        raise ValueError(
            f"must be a date and time with its offset, YYYY-MM-DDTHH:MM:SS+HH:MM, got {_quote(text)}"
        )
    try:
        return dt.datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)
    except ValueError:
        raise ValueError(f"is not a real date and time, got {_quote(text)}") from None


def _quote(text: str) -> str:
    shown = text if len(text) <= 40 else text[:37] + "..."
    return '"' + shown.replace('"', '\\"') + '"'


# --- Time on each date ----------------------------------------------------------------------


def _midnight(day: dt.date, tz: dt.tzinfo) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=tz).astimezone(UTC)


def split_by_date(
    start: dt.datetime, end: dt.datetime, tz: dt.tzinfo
) -> dict[dt.date, dt.timedelta]:
    """The time an interval covers on each local date in `tz` (spec: an attack crossing
    midnight counts on each date with that date's hours).

    Times are aware; arithmetic is done in UTC, so a date with a clock change
    has its real length (23 or 25 hours).
    """
    start_utc, end_utc = start.astimezone(UTC), end.astimezone(UTC)
    out: dict[dt.date, dt.timedelta] = {}
    day = start_utc.astimezone(tz).date()
    while True:
        day_start = max(start_utc, _midnight(day, tz))
        day_end = min(end_utc, _midnight(day + dt.timedelta(days=1), tz))
        if day_end > day_start:
            out[day] = day_end - day_start
        if end_utc <= _midnight(day + dt.timedelta(days=1), tz):
            return out
        day += dt.timedelta(days=1)


def covered_time(
    intervals: Iterable[tuple[dt.datetime, dt.datetime] | tuple[dt.datetime, dt.datetime, Any]],
    tz: dt.tzinfo,
) -> dict[dt.date, dt.timedelta]:
    """The union of the time the intervals cover, per local date: overlapping
    attacks on one date are not counted twice. An interval may carry its own
    zone as a third item (None: `tz`)."""
    pieces: dict[dt.date, list[tuple[dt.datetime, dt.datetime]]] = {}
    for interval in intervals:
        start, end = interval[0], interval[1]
        zone = (interval[2] if len(interval) > 2 else None) or tz
        start_utc, end_utc = start.astimezone(UTC), end.astimezone(UTC)
        for day, time in split_by_date(start_utc, end_utc, zone).items():
            day_start = max(start_utc, _midnight(day, zone))
            pieces.setdefault(day, []).append((day_start, day_start + time))
    out: dict[dt.date, dt.timedelta] = {}
    for day, spans in pieces.items():
        total = dt.timedelta(0)
        current: list[dt.datetime] | None = None
        for start, end in sorted(spans):
            if current is not None and start <= current[1]:
                current[1] = max(current[1], end)
                continue
            if current is not None:
                total += current[1] - current[0]
            current = [start, end]
        if current is not None:
            total += current[1] - current[0]
        out[day] = total
    return out


def hours(time: dt.timedelta) -> float:
    """Headache hours for a date, to the 0.01 h the diary stores; at most 24 (a date
    with a clock change can be 25 h long)."""
    return min(24.0, round(time.total_seconds() / 3600, 2))
