"""The NumPy engine's parts: day codes keep exactly what the day rules read, the class table is
the domain's classify_day, both grid layouts give the same windows, bad input is refused."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cephalog.analytics import dense
from cephalog.domain.diary import AcuteMedication, DiaryDay, classify_day

CLASSES = ("triptan", "ergot", "simple_analgesic", "opioid", "gepant", "combination_analgesic")

medicines = st.lists(
    st.builds(
        AcuteMedication,
        name=st.just("x"),
        drug_class=st.sampled_from(CLASSES),
        effective=st.sampled_from([None, True, False]),
    ),
    max_size=3,
).map(tuple)


@st.composite
def days(draw: st.DrawFn) -> DiaryDay:
    hours = draw(st.sampled_from([0, 0.25, 1, 3.99, 4, 4.01, 12, 24]))
    return DiaryDay(
        date=dt.date(2026, 1, 1),
        headache_hours=hours,
        peak_intensity=draw(st.sampled_from(["mild", "moderate", "severe"])) if hours else None,
        unilateral=draw(st.booleans()),
        pulsating=draw(st.booleans()),
        aggravated_by_activity=draw(st.booleans()),
        nausea=draw(st.booleans()),
        vomiting=draw(st.booleans()),
        photophobia=draw(st.booleans()),
        phonophobia=draw(st.booleans()),
        aura_minutes=draw(st.sampled_from([0, 4, 5, 30, 60, 61, 240])),
        acute_medications=draw(medicines),
    )


def classes(word: int) -> tuple[bool, ...]:
    return tuple(bool(word >> (5 * i) & 31) for i in range(len(dense.FIELDS)))


@settings(max_examples=300, deadline=None)
@given(days())
def test_the_class_of_a_days_code_is_the_domains_class_of_the_day(day: DiaryDay) -> None:
    c = classify_day(day)
    word = int(dense.day_class_table()[dense.encode_day(day)])
    assert classes(word) == (
        True,
        c.headache_day,
        c.migraine_day,
        c.moderate_severe_day,
        c.headache_free,
        c.acute_medication_day,
    )


def test_code_zero_is_an_unrecorded_day_and_every_recorded_day_has_a_code() -> None:
    table = dense.day_class_table()
    assert table[0] == 0
    assert dense.decode(0) is None
    assert dense.encode_day(DiaryDay(dt.date(2026, 1, 1), 0)) != 0
    with pytest.raises(ValueError, match="read-only"):
        table[1] = 0


def random_rows(seed: int, n_patients: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    patient, day = [], []
    for p in range(n_patients):
        if rng.random() < 0.2:
            continue  # a patient without a diary
        start = dense.day_number(dt.date(2023, 12, 1)) + int(rng.integers(0, 400))
        span = int(rng.integers(1, 500))
        recorded = np.flatnonzero(rng.random(span) < rng.random())
        patient += [p] * len(recorded)
        day += (start + recorded).tolist()
    # any facts, with the hours of a recorded day (bits 9-10 not 0: 0 means nothing recorded)
    facts = rng.integers(0, dense.CODES, len(day)) & ~(3 << 9)
    codes = (facts | rng.integers(1, 4, len(day)) << 9).astype(np.uint16)
    return np.array(patient, dtype=np.int64), np.array(day, dtype=np.int64), codes


@pytest.mark.parametrize("seed", range(5))
def test_both_layouts_count_every_window_alike(seed: int) -> None:
    n = 30
    patient, day, codes = random_rows(seed, n)
    by_day = dense.Cumulative.of(dense.DayGrid.from_rows(n, patient, day, codes))
    years = dense.year_of(day)
    key = patient * 10_000 + years
    starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    strip = np.cumsum(np.r_[False, key[1:] != key[:-1]])
    strips = np.zeros((len(starts), dense.YEAR_CELLS), dtype=np.uint16)
    strips[strip, dense.day_of_year(day)] = codes
    by_year = dense.Cumulative.of(
        dense.DayGrid.from_years(n, patient[starts], years[starts], strips)
    )
    rng = np.random.default_rng(seed)
    qp = rng.integers(0, n, 2000)
    end = dense.day_number(dt.date(2023, 11, 1)) + rng.integers(0, 1000, 2000)
    start = end - rng.integers(0, 28, 2000)
    a = by_day.window(qp, start, end)
    b = by_year.window(qp, start, end)
    table = dense.day_class_table()
    for i in range(0, 2000, 97):  # and against a plain count
        mask = (patient == qp[i]) & (day >= start[i]) & (day <= end[i])
        assert a["recorded_days"][i] == mask.sum()
        expected = int(sum(int(table[c]) >> 5 & 31 for c in codes[mask]))
        assert a["headache_days"][i] == expected
    for name in dense.FIELDS:
        assert np.array_equal(a[name], b[name]), name


def test_unsorted_or_duplicate_rows_are_refused() -> None:
    codes = np.ones(3, dtype=np.uint16)
    with pytest.raises(ValueError, match="sorted by patient"):
        dense.DayGrid.from_rows(2, np.array([1, 0, 1]), np.array([5, 6, 7]), codes)
    with pytest.raises(ValueError, match="one per date"):
        dense.DayGrid.from_rows(2, np.array([0, 0, 1]), np.array([5, 5, 7]), codes)
    with pytest.raises(ValueError, match="indices"):
        dense.DayGrid.from_rows(1, np.array([0, 0, 1]), np.array([5, 6, 7]), codes)
    with pytest.raises(ValueError, match="patient-years"):
        dense.DayGrid.from_years(
            2, np.array([0, 0]), np.array([2025, 2025]), np.zeros((2, 366), np.uint16)
        )
