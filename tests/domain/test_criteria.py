"""Chronic migraine (spec section 4) and medication overuse (spec section 5)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from cephalog.domain.criteria import assess_chronic_migraine, assess_medication_overuse
from cephalog.domain.diary import DiaryDay
from cephalog.domain.windows import window_ending

from ._helpers import block, days_after, merge

B_END = dt.date(2026, 1, 31)
B_START = dt.date(2026, 1, 4)
PRIOR_1 = B_START - dt.timedelta(days=28)  # [B.start-28, B.start-1]
PRIOR_2 = B_START - dt.timedelta(days=56)  # [B.start-56, B.start-29]


def cm(days: dict[dt.date, DiaryDay], since: dt.date | None = None) -> bool | None:
    met: bool | None = assess_chronic_migraine(days, window_ending(days, B_END), since).met
    return met


CHRONIC: dict[str, Any] = {
    "migraine_days": 8,
    "headache_days": 7,
}  # 15 headache days, 8 migraine days per 28


# --- chronic migraine ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("recorded", "migraine_days", "headache_days", "met"),
    [
        (19, 12, 7, None),  # not evaluable
        (28, 8, 7, True),  # 15 / 8 exactly
        (28, 8, 6, False),  # 14 headache days
        (28, 7, 8, False),  # 7 migraine days
        (20, 6, 5, True),  # 11 → 15.4 headache days, 6 → 8.4 migraine days per 28
        (20, 6, 4, False),  # 10 → 14.0
        (20, 5, 6, False),  # 5 → 7.0 migraine days per 28
        (26, 8, 6, True),  # 14 → 15.08 per 28: scaling across 15
        (27, 8, 6, False),  # 14 → 14.52
        (23, 7, 6, True),  # 7 → 8.52 migraine days: scaling across 8
        (25, 7, 8, False),  # 7 → 7.84
    ],
)
def test_it_screens_chronic_migraine_on_per_28_values(
    recorded: int, migraine_days: int, headache_days: int, met: bool | None
) -> None:
    days = block(
        B_START, recorded=recorded, migraine_days=migraine_days, headache_days=headache_days
    )
    assert cm(days, since=dt.date(2020, 1, 1)) is met


@pytest.mark.parametrize(
    ("since", "met"),
    [
        (B_END - dt.timedelta(days=90), True),
        (B_END - dt.timedelta(days=89), False),
        (B_END, False),
        (dt.date(2001, 1, 1), True),
    ],
)
def test_it_needs_chronic_headache_90_days_before_baseline_end(since: dt.date, met: bool) -> None:
    result = assess_chronic_migraine(
        block(B_START, **CHRONIC), window_ending(block(B_START, **CHRONIC), B_END), since
    )
    assert result.met is met
    assert since.isoformat() in result.detail


@pytest.mark.parametrize(
    ("prior_1", "prior_2", "met"),
    [
        ({**CHRONIC}, {**CHRONIC}, True),
        ({**CHRONIC, "recorded": 19}, {**CHRONIC}, None),
        ({**CHRONIC}, {**CHRONIC, "recorded": 19}, None),
        ({"migraine_days": 8, "headache_days": 6}, {**CHRONIC}, None),
        ({**CHRONIC}, {"migraine_days": 7, "headache_days": 8}, None),
        ({"recorded": 0}, {"recorded": 0}, None),
    ],
)
def test_it_uses_the_two_windows_before_baseline_without_a_since_date(
    prior_1: dict[str, Any], prior_2: dict[str, Any], met: bool | None
) -> None:
    days = merge(block(PRIOR_2, **prior_2), block(PRIOR_1, **prior_1), block(B_START, **CHRONIC))
    assert cm(days) is met


def test_it_reads_exactly_the_56_days_before_baseline() -> None:
    days = merge(block(PRIOR_2, **CHRONIC), block(PRIOR_1, **CHRONIC), block(B_START, **CHRONIC))
    assert cm(days) is True
    for i in range(8):  # [B.start-56, B.start-29] keeps 20 recorded days: still evaluable
        days.pop(days_after(PRIOR_2, 27 - i))
    assert cm(days) is True
    days.pop(days_after(PRIOR_2, 0))  # 19 recorded days
    assert cm(days) is None


def test_it_does_not_establish_duration_when_baseline_fails() -> None:
    days = block(B_START, migraine_days=8, headache_days=6)
    assert cm(days) is False


def test_it_explains_chronic_migraine() -> None:
    days = block(B_START, recorded=26, migraine_days=12, headache_days=7)
    result = assess_chronic_migraine(days, window_ending(days, B_END), dt.date(2025, 1, 1))
    assert result.to_dict() == {
        "met": True,
        "detail": "20.5 headache days, 12.9 migraine days per 28; chronic since 2025-01-01",
    }
    result = assess_chronic_migraine({}, window_ending({}, B_END), None)
    assert result.met is None
    assert "0 of 28 days recorded" in result.detail


# --- medication overuse -------------------------------------------------------------------

THRESHOLDS = {
    "simple_analgesic": 15,
    "triptan": 10,
    "ergot": 10,
    "opioid": 10,
    "combination_analgesic": 10,
}


def overuse(
    windows: list[dict[str, int]],
    *,
    recorded: tuple[int, ...] = (28, 28, 28),
    headache: tuple[int, int] = (8, 7),
    offsets: dict[str, int] | None = None,
) -> tuple[bool | None, tuple[str, ...]]:
    """Overuse with `windows` = class days in [oldest, middle, baseline]."""
    days = merge(
        *(
            block(
                start,
                recorded=rec,
                migraine_days=headache[0],
                headache_days=headache[1],
                meds=meds,
                med_offset=offsets,
            )
            for start, rec, meds in zip((PRIOR_2, PRIOR_1, B_START), recorded, windows, strict=True)
        )
    )
    result = assess_medication_overuse(days, window_ending(days, B_END))
    return result.met, result.classes


@pytest.mark.parametrize("drug_class", sorted(THRESHOLDS))
@pytest.mark.parametrize("low_window", [None, 0, 1, 2])
def test_it_needs_each_class_threshold_in_all_three_windows(
    drug_class: str, low_window: int | None
) -> None:
    threshold = THRESHOLDS[drug_class]
    windows = [{drug_class: threshold} for _ in range(3)]
    if low_window is not None:
        windows[low_window] = {drug_class: threshold - 1}
    met, classes = overuse(windows)
    if low_window is None:
        assert (met, classes) == (True, (drug_class,))
    else:
        # the other classes never reach "multiple" on their own: threshold - 1 < 10 only
        # for the 10-day classes; simple analgesics at 14 days do reach "multiple".
        expected = (True, ("multiple",)) if drug_class == "simple_analgesic" else (False, ())
        assert (met, classes) == expected


@pytest.mark.parametrize(
    ("days_on", "recorded", "overused"),
    [(8, 20, True), (7, 20, False), (10, 28, True), (9, 25, True), (9, 26, False)],
)
def test_it_scales_class_days_per_28(days_on: int, recorded: int, overused: bool) -> None:
    # 8 of 20 → 11.2; 7 of 20 → 9.8; 9 of 25 → 10.08; 9 of 26 → 9.69
    met, classes = overuse(
        [{"triptan": days_on}] * 3,
        recorded=(recorded,) * 3,
        headache=(8, 8),
    )
    assert (met, classes) == ((True, ("triptan",)) if overused else (False, ()))


def test_it_finds_multiple_when_no_single_class_qualifies() -> None:
    windows = [{"triptan": 5, "simple_analgesic": 5}] * 3
    met, classes = overuse(windows, offsets={"simple_analgesic": 5})
    assert (met, classes) == (True, ("multiple",))


def test_it_counts_multiple_in_days_not_doses() -> None:
    windows = [{"triptan": 9, "opioid": 9}] * 3  # both on the same 9 days
    assert overuse(windows) == (False, ())


def test_it_needs_multiple_in_all_three_windows() -> None:
    windows = [{"triptan": 5, "ergot": 5}, {"triptan": 5, "ergot": 4}, {"triptan": 5, "ergot": 5}]
    assert overuse(windows, offsets={"ergot": 5}) == (False, ())


@pytest.mark.parametrize("drug_class", ["gepant", "ditan", "other"])
def test_it_does_not_count_gepants_ditans_or_other(drug_class: str) -> None:
    assert overuse([{drug_class: 28}] * 3) == (False, ())
    windows = [{drug_class: 5, "triptan": 5}] * 3
    assert overuse(windows, offsets={"triptan": 5}) == (False, ())


def test_it_lists_only_the_overused_classes_when_one_qualifies() -> None:
    windows = [{"triptan": 10, "simple_analgesic": 5}] * 3
    assert overuse(windows, offsets={"simple_analgesic": 10}) == (True, ("triptan",))


def test_it_lists_every_overused_class_sorted() -> None:
    windows = [{"triptan": 10, "opioid": 12, "simple_analgesic": 16}] * 3
    met, classes = overuse(windows)
    assert (met, classes) == (True, ("opioid", "simple_analgesic", "triptan"))


@pytest.mark.parametrize(("headache", "met"), [((8, 7), True), ((8, 6), False), ((0, 0), False)])
def test_it_needs_15_headache_days_in_baseline(headache: tuple[int, int], met: bool) -> None:
    result_met, classes = overuse([{"triptan": 12}] * 3, headache=headache)
    assert result_met is met
    assert classes == ("triptan",)  # overused either way


@pytest.mark.parametrize("missing", [0, 1, 2])
def test_it_needs_three_evaluable_windows(missing: int) -> None:
    recorded = [28, 28, 28]
    recorded[missing] = 19
    assert overuse([{"triptan": 15}] * 3, recorded=tuple(recorded)) == (None, ())


def test_it_explains_overuse() -> None:
    days = merge(
        *(
            block(s, migraine_days=10, headache_days=10, meds={"triptan": 12})
            for s in (PRIOR_2, PRIOR_1, B_START)
        )
    )
    result = assess_medication_overuse(days, window_ending(days, B_END))
    assert result.to_dict() == {
        "met": True,
        "classes": ["triptan"],
        "detail": "triptan on 12.0/12.0/12.0 days per 28 (>= 10) in the 3 windows from "
        "2025-11-09 to 2026-01-31; 20.0 headache days per 28 in baseline",
    }


def test_a_day_before_the_oldest_window_does_not_count() -> None:
    days = merge(*(block(s, **CHRONIC, meds={"triptan": 10}) for s in (PRIOR_2, PRIOR_1, B_START)))
    day_before = days_after(PRIOR_2, -1)
    days[day_before] = block(day_before, recorded=1, meds={"triptan": 1})[day_before]
    assert assess_medication_overuse(days, window_ending(days, B_END)).met is True
