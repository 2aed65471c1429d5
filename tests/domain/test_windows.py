"""Windows and per-28 rates (spec section 3)."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

import pytest

from cephalog.domain.diary import AcuteMedication, DiaryDay
from cephalog.domain.windows import (
    baseline_window,
    compute_window,
    per_28,
    round1,
    window_ending,
    windows_before,
)

from ._helpers import block, days_after, free, merge, migraine, tension

START = dt.date(2026, 1, 4)
END = dt.date(2026, 1, 31)


def test_it_computes_the_spec_example_window() -> None:
    """The window object of spec section 3, exactly."""
    triptan = AcuteMedication("sumatriptan", "triptan", True)
    simple = AcuteMedication("ibuprofen", "simple_analgesic")
    days: dict[dt.date, DiaryDay] = {}
    for i in range(26):  # 2 of the 28 days unrecorded
        date = days_after(START, i)
        meds = ((triptan,) if i < 8 else ()) + ((simple,) if 7 <= i < 11 else ())
        hours = 6.5 if i == 0 else 7.5
        if i < 12:  # migraine days, severe
            day = DiaryDay(
                date, hours, "severe", unilateral=True, nausea=True, acute_medications=meds
            )
        elif i < 17:  # headache days, moderate, not migraine
            day = DiaryDay(date, hours, "moderate", acute_medications=meds)
        elif i < 19:  # headache days, mild
            day = DiaryDay(date, hours, "mild")
        elif i == 19:  # a short untreated headache: not a headache day
            day = DiaryDay(date, 2, "mild")
        else:
            day = free(date)
        days[date] = day
    window = compute_window(days, START, END)
    assert window.to_dict() == {
        "start": "2026-01-04",
        "end": "2026-01-31",
        "recorded_days": 26,
        "evaluable": True,
        "headache_days": 19,
        "migraine_days": 12,
        "moderate_severe_days": 17,
        "headache_free_days": 6,
        "acute_medication_days": 11,
        "acute_medication_days_by_class": {"triptan": 8, "simple_analgesic": 4},
        "headache_hours": 141.5,
        "per_28": {
            "headache_days": 20.5,
            "migraine_days": 12.9,
            "moderate_severe_days": 18.3,
            "headache_free_days": 6.5,
            "acute_medication_days": 11.8,
            "headache_hours": 152.4,
        },
    }


@pytest.mark.parametrize(
    ("recorded", "evaluable"), [(0, False), (19, False), (20, True), (28, True)]
)
def test_it_needs_20_recorded_days(recorded: int, evaluable: bool) -> None:
    window = compute_window(block(START, recorded=recorded, migraine_days=0), START, END)
    assert window.recorded_days == recorded
    assert window.evaluable is evaluable
    per = window.to_dict()["per_28"]
    if evaluable:
        assert per["headache_free_days"] == 28.0
    else:
        assert set(per.values()) == {None}
        assert window.rate("headache_days") is None


def test_it_ignores_entries_outside_the_window() -> None:
    days = merge(
        block(days_after(START, -28), migraine_days=28),
        block(START, recorded=20),
        block(days_after(START, 28), migraine_days=28),
    )
    window = compute_window(days, START, END)
    assert (window.recorded_days, window.headache_days) == (20, 0)


def test_it_does_not_count_unrecorded_days_as_headache_free() -> None:
    window = compute_window(block(START, recorded=21, headache_days=7), START, END)
    assert window.headache_free_days == 14
    assert window.rate("headache_free_days") == Fraction(14 * 28, 21)


def test_it_sums_headache_hours_over_headache_days_only_and_exactly() -> None:
    days = {
        START: DiaryDay(START, 4.1, "mild"),
        days_after(START, 1): DiaryDay(days_after(START, 1), 4.2, "mild"),
        days_after(START, 2): DiaryDay(days_after(START, 2), 2, "mild"),  # not a headache day
    }
    window = compute_window(days, START, END)
    assert window.headache_hours == Fraction("8.3")
    assert window.to_dict()["headache_hours"] == 8.3


def test_it_counts_medication_days_per_class_not_doses() -> None:
    date = START
    day = DiaryDay(
        date,
        5,
        "mild",
        acute_medications=(
            AcuteMedication("sumatriptan", "triptan"),
            AcuteMedication("rizatriptan", "triptan"),
            AcuteMedication("rimegepant", "gepant"),
        ),
    )
    window = compute_window(
        {date: day, days_after(START, 1): free(days_after(START, 1), "ditan")}, START, END
    )
    assert window.acute_medication_days == 2
    assert window.acute_medication_days_by_class == {"ditan": 1, "gepant": 1, "triptan": 1}
    assert window.overuse_medication_days == 1


@pytest.mark.parametrize(
    ("count", "recorded", "expected"),
    [
        (19, 26, Fraction(266, 13)),
        (14, 26, Fraction(196, 13)),
        (10, 20, Fraction(14)),
        (15, 28, Fraction(15)),
        (Fraction("141.5"), 26, Fraction(1981, 13)),
    ],
)
def test_it_scales_per_28_exactly(count: int | Fraction, recorded: int, expected: Fraction) -> None:
    assert per_28(count, recorded) == expected


def test_it_refuses_per_28_without_recorded_days() -> None:
    with pytest.raises(ValueError, match="at least one recorded day"):
        per_28(3, 0)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Fraction("20.45"), 20.5),
        (Fraction("20.449999"), 20.4),
        (Fraction("20.55"), 20.6),
        (Fraction("0.05"), 0.1),
        (Fraction("0.04"), 0.0),
        (Fraction("-2.45"), -2.5),
        (Fraction("-2.44"), -2.4),
        (Fraction(266, 13), 20.5),
        (Fraction(1981, 13), 152.4),
        (Fraction(15), 15.0),
    ],
)
def test_it_rounds_half_up_to_one_decimal(value: Fraction, expected: float) -> None:
    assert round1(value) == expected
    decimal = Decimal(value.numerator) / Decimal(value.denominator)
    if value.denominator in (1, 2, 4, 5, 10, 20, 100, 1000000):
        assert float(decimal.quantize(Decimal("0.1"), ROUND_HALF_UP)) == expected


def test_it_finds_the_windows_before_a_window() -> None:
    window = window_ending({}, END)
    first, second = windows_before({}, window, 2)
    assert (first.start, first.end) == (START - dt.timedelta(days=28), START - dt.timedelta(days=1))
    assert (second.start, second.end) == (
        START - dt.timedelta(days=56),
        START - dt.timedelta(days=29),
    )


@pytest.mark.parametrize(
    ("injections", "end"),
    [
        ((), dt.date(2026, 6, 30)),
        ((dt.date(2026, 2, 1),), dt.date(2026, 1, 31)),
        ((dt.date(2026, 5, 1), dt.date(2026, 2, 1)), dt.date(2026, 1, 31)),
    ],
)
def test_it_places_the_baseline(injections: tuple[dt.date, ...], end: dt.date) -> None:
    baseline = baseline_window({}, injections, dt.date(2026, 6, 30))
    assert baseline.end == end
    assert baseline.start == end - dt.timedelta(days=27)


def test_a_migraine_day_is_counted_as_a_headache_day() -> None:
    days = {START: migraine(START), days_after(START, 1): tension(days_after(START, 1))}
    window = compute_window(days, START, END)
    assert (window.headache_days, window.migraine_days, window.moderate_severe_days) == (2, 1, 2)
