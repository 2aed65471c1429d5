"""Hypothesis properties of the day rules and windows (spec sections 2 and 3)."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from cephalog.domain.diary import AcuteMedication, DiaryDay, classify_day
from cephalog.domain.vocab import ACUTE_CLASS_CODES, INTENSITY_CODES
from cephalog.domain.windows import PER_28_METRICS, compute_window, per_28, round1

START = dt.date(2026, 1, 4)
END = dt.date(2026, 1, 31)

medications = st.builds(
    AcuteMedication,
    name=st.just("drug"),
    drug_class=st.sampled_from(ACUTE_CLASS_CODES),
    effective=st.none() | st.booleans(),
)


def diary_days(date: st.SearchStrategy[dt.date]) -> st.SearchStrategy[DiaryDay]:
    hours = st.sampled_from([0, 0.5, 3.9, 4, 6.5, 24]) | st.floats(0, 24).map(lambda h: round(h, 2))
    return st.builds(
        DiaryDay,
        date=date,
        headache_hours=hours,
        peak_intensity=st.none() | st.sampled_from(INTENSITY_CODES),
        unilateral=st.booleans(),
        pulsating=st.booleans(),
        aggravated_by_activity=st.booleans(),
        nausea=st.booleans(),
        vomiting=st.booleans(),
        photophobia=st.booleans(),
        phonophobia=st.booleans(),
        aura_minutes=st.sampled_from([0, 4, 5, 60, 61]) | st.integers(0, 200),
        acute_medications=st.lists(medications, max_size=3).map(tuple),
    )


@st.composite
def diaries(draw: st.DrawFn) -> dict[dt.date, DiaryDay]:
    offsets = draw(st.sets(st.integers(-5, 32), max_size=38))
    return {
        START + dt.timedelta(days=o): draw(diary_days(st.just(START + dt.timedelta(days=o))))
        for o in offsets
    }


@given(diary_days(st.just(START)))
def test_a_migraine_day_is_always_a_headache_day(day: DiaryDay) -> None:
    c = classify_day(day)
    assert not c.migraine_day or c.headache_day
    assert not c.moderate_severe_day or c.headache_day
    assert not c.headache_day or c.headache
    assert c.headache_free is not c.headache
    assert c.acute_medication_day is bool(day.acute_medications)
    assert c.reasons


@given(diaries())
def test_window_counts_never_exceed_recorded_days(days: dict[dt.date, DiaryDay]) -> None:
    window = compute_window(days, START, END)
    assert window.recorded_days == sum(START <= d <= END for d in days) <= 28
    assert window.migraine_days <= window.headache_days
    assert window.moderate_severe_days <= window.headache_days
    assert window.headache_days + window.headache_free_days <= window.recorded_days
    assert window.acute_medication_days <= window.recorded_days
    assert window.overuse_medication_days <= window.acute_medication_days
    for count in window.acute_medication_days_by_class.values():
        assert 0 < count <= window.acute_medication_days
    assert 0 <= window.headache_hours <= 24 * window.headache_days


@given(diaries())
def test_per_28_values_scale_exactly(days: dict[dt.date, DiaryDay]) -> None:
    window = compute_window(days, START, END)
    for metric in PER_28_METRICS:
        rate = window.rate(metric)
        if not window.evaluable:
            assert rate is None
            continue
        assert rate is not None
        assert rate * window.recorded_days == window.count(metric) * 28
        if window.recorded_days == 28:
            assert rate == window.count(metric)


@given(st.integers(0, 28), st.integers(1, 28))
def test_per_28_is_count_times_28_over_recorded(count: int, recorded: int) -> None:
    assert per_28(count, recorded) == Fraction(count * 28, recorded)


@given(st.integers(-(10**6), 10**6), st.sampled_from([1, 10, 100, 1000, 10000]))
def test_round1_matches_decimal_round_half_up(numerator: int, scale: int) -> None:
    exact = Decimal(numerator) / scale
    expected = float(exact.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))
    assert round1(Fraction(numerator, scale)) == expected
