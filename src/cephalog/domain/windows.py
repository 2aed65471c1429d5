"""28-day windows over a diary, and per-28 rates (spec section 3).

All arithmetic is exact: counts are integers, headache hours are summed as
`Fraction`s of the decimal values the patient recorded (so 0.1 + 0.2 is
0.3), and per-28 rates are `Fraction`s. Thresholds compare these exact
values; only the reported values are rounded, by `round1`, to one decimal
with ties away from zero (decimal ROUND_HALF_UP), so 20.45 reports as 20.5
on every platform (standard-1), or truncated toward zero by `trunc1`
(standard-2, spec section 11.7), so 29.97 reports as 29.9.

Every function that classes days takes the day `definition` (`label`, the
default and standard-1's, or `ichd3`; spec section 11.1).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from cephalog.domain.diary import DiaryDay, classify_day
from cephalog.domain.vocab import OVERUSE_THRESHOLDS

#: Length of a window in days (spec section 3).
WINDOW_DAYS = 28
#: A window is evaluable when at least this many of its days are recorded (spec section 3).
MIN_RECORDED_DAYS = 20
#: The metrics reported per 28 days, in the spec's order (spec section 3).
PER_28_METRICS = (
    "headache_days",
    "migraine_days",
    "moderate_severe_days",
    "headache_free_days",
    "acute_medication_days",
    "headache_hours",
)

_ONE_DAY = dt.timedelta(days=1)


def exact(value: float | Fraction) -> Fraction:
    """The exact decimal value of a recorded number (a float's shortest repr)."""
    if isinstance(value, Fraction | int):
        return Fraction(value)
    return Fraction(repr(value))


def per_28(count: float | Fraction, recorded_days: int) -> Fraction:
    """`count * 28 / recorded_days`, exactly (spec section 3).

    Raises ValueError when no day is recorded; whether the rate may be
    reported (the window is evaluable) is the caller's concern, see
    `Window.rate`.
    """
    if recorded_days <= 0:
        raise ValueError("per_28 needs at least one recorded day")
    return exact(count) * WINDOW_DAYS / recorded_days


def round1(value: Fraction) -> float:
    """Round an exact value to one decimal, ties away from zero (spec section 3).

    Equivalent to `Decimal(value).quantize(Decimal("0.1"), ROUND_HALF_UP)`
    on the exact value, done in integers so no intermediate rounding can
    move a tie: 20.45 → 20.5, -2.45 → -2.5, 152.38… → 152.4.
    """
    tenths = abs(value) * 10
    rounded = int(tenths + Fraction(1, 2))  # floor, as the value is not negative
    return (rounded if value >= 0 else -rounded) / 10


def trunc1(value: Fraction) -> float:
    """Truncate an exact value toward zero at one decimal (spec section 11.7).

    A printed value never crosses a threshold the exact value does not
    reach: 29.97 → 29.9, 14.96 → 14.9, -2.45 → -2.4.
    """
    tenths = int(abs(value) * 10)  # floor of a non-negative value
    return (tenths if value >= 0 else -tenths) / 10


#: How a printed one-decimal value is made from an exact one.
OneDecimal = Callable[[Fraction], float]


def dates(start: dt.date, end: dt.date) -> Iterator[dt.date]:
    """Every date from `start` to `end`, inclusive."""
    day = start
    while day <= end:
        yield day
        day += _ONE_DAY


@dataclass(frozen=True, slots=True)
class Window:
    """Counts over the dates `[start, end]` of a diary (spec section 3).

    Counts are raw. `overuse_medication_days` counts the days on which any
    class with an overuse threshold was taken (the "multiple" count of spec
    section 5). `by_class` holds `(class, days)` pairs for the classes taken
    at least once, sorted by class.
    """

    start: dt.date
    end: dt.date
    recorded_days: int
    headache_days: int
    migraine_days: int
    moderate_severe_days: int
    headache_free_days: int
    acute_medication_days: int
    by_class: tuple[tuple[str, int], ...]
    overuse_medication_days: int
    headache_hours: Fraction

    @property
    def evaluable(self) -> bool:
        """True when at least 20 days are recorded (spec section 3)."""
        return self.recorded_days >= MIN_RECORDED_DAYS

    @property
    def acute_medication_days_by_class(self) -> dict[str, int]:
        """Acute-medication days per class, for the classes taken (spec section 3)."""
        return dict(self.by_class)

    def count(self, metric: str) -> Fraction:
        """The raw value of one of `PER_28_METRICS`."""
        counts: dict[str, int | Fraction] = {
            "headache_days": self.headache_days,
            "migraine_days": self.migraine_days,
            "moderate_severe_days": self.moderate_severe_days,
            "headache_free_days": self.headache_free_days,
            "acute_medication_days": self.acute_medication_days,
            "headache_hours": self.headache_hours,
        }
        return Fraction(counts[metric])

    def rate(self, metric: str) -> Fraction | None:
        """Exact per-28 value of a metric, None when not evaluable (spec section 3)."""
        if not self.evaluable:
            return None
        return per_28(self.count(metric), self.recorded_days)

    def class_rate(self, drug_class: str) -> Fraction | None:
        """Exact per-28 acute-medication days of one class, None when not evaluable."""
        if not self.evaluable:
            return None
        return per_28(dict(self.by_class).get(drug_class, 0), self.recorded_days)

    @property
    def overuse_classes_taken(self) -> tuple[str, ...]:
        """The overuse-counted classes taken at least once in the window (spec section 11.2)."""
        return tuple(cls for cls, n in self.by_class if n and cls in OVERUSE_THRESHOLDS)

    def overuse_rate(self) -> Fraction | None:
        """Exact per-28 days with any overuse-counted class (spec section 5, "multiple")."""
        if not self.evaluable:
            return None
        return per_28(self.overuse_medication_days, self.recorded_days)

    def label(self) -> str:
        """`start to end`, for detail strings."""
        return f"{self.start.isoformat()} to {self.end.isoformat()}"

    def per_28_shown(self, one_decimal: OneDecimal = round1) -> dict[str, float | None]:
        """The printed `per_28` values (rounded, or truncated under standard-2)."""
        per: dict[str, float | None] = {}
        for metric in PER_28_METRICS:
            value = self.rate(metric)
            per[metric] = None if value is None else one_decimal(value)
        return per

    def to_dict(self, one_decimal: OneDecimal = round1) -> dict[str, Any]:
        """The spec's window object (spec section 3), keys in the spec's order.

        Every `per_28` value is null when the window is not evaluable.
        """
        per = self.per_28_shown(one_decimal)
        return {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "recorded_days": self.recorded_days,
            "evaluable": self.evaluable,
            "headache_days": self.headache_days,
            "migraine_days": self.migraine_days,
            "moderate_severe_days": self.moderate_severe_days,
            "headache_free_days": self.headache_free_days,
            "acute_medication_days": self.acute_medication_days,
            "acute_medication_days_by_class": self.acute_medication_days_by_class,
            "headache_hours": float(self.headache_hours),
            "per_28": per,
        }


def compute_window(
    days: Mapping[dt.date, DiaryDay], start: dt.date, end: dt.date, definition: str = "label"
) -> Window:
    """Count the recorded days of `[start, end]` by their day classes (spec section 3).

    Dates without an entry in `days` are unrecorded and count nowhere.
    Headache hours are summed over headache days only (spec section 2).
    """
    recorded = headache = migraine = moderate_severe = free = medicated = overuse = 0
    hours = Fraction(0)
    by_class: dict[str, int] = {}
    for date in dates(start, end):
        day = days.get(date)
        if day is None:
            continue
        recorded += 1
        c = classify_day(day, definition)
        if c.headache_day:
            headache += 1
            hours += exact(day.headache_hours)
        migraine += c.migraine_day
        moderate_severe += c.moderate_severe_day
        free += c.headache_free
        if c.acute_medication_day:
            medicated += 1
            for drug_class in c.acute_medication_classes:
                by_class[drug_class] = by_class.get(drug_class, 0) + 1
            overuse += any(cls in OVERUSE_THRESHOLDS for cls in c.acute_medication_classes)
    return Window(
        start=start,
        end=end,
        recorded_days=recorded,
        headache_days=headache,
        migraine_days=migraine,
        moderate_severe_days=moderate_severe,
        headache_free_days=free,
        acute_medication_days=medicated,
        by_class=tuple(sorted(by_class.items())),
        overuse_medication_days=overuse,
        headache_hours=hours,
    )


def window_ending(
    days: Mapping[dt.date, DiaryDay], end: dt.date, definition: str = "label"
) -> Window:
    """The 28-day window that ends on `end` (spec section 3)."""
    return compute_window(days, end - dt.timedelta(days=WINDOW_DAYS - 1), end, definition)


def windows_before(
    days: Mapping[dt.date, DiaryDay], window: Window, count: int, definition: str = "label"
) -> tuple[Window, ...]:
    """The `count` consecutive 28-day windows before `window`, nearest first.

    For a window starting on S: `[S-28, S-1]`, `[S-56, S-29]`, ... (spec
    sections 4 and 5, "the two windows before B").
    """
    result = []
    end = window.start
    for _ in range(count):
        end -= _ONE_DAY
        result.append(window_ending(days, end, definition))
        end = result[-1].start
    return tuple(result)


def baseline_window(
    days: Mapping[dt.date, DiaryDay],
    injection_dates: Sequence[dt.date],
    assessed_on: dt.date,
    definition: str = "label",
) -> Window:
    """The baseline window B (spec section 3).

    The 28 days ending the day before the first injection; with no
    injection, the 28 days ending on `assessed_on`.
    """
    end = min(injection_dates) - _ONE_DAY if injection_dates else assessed_on
    return window_ending(days, end, definition)
