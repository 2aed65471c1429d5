"""Cycles (spec section 7) and the next injection (spec section 9)."""

from __future__ import annotations

import datetime as dt
from fractions import Fraction

import pytest

from cephalog.domain.cycles import Cycle, compute_cycles, next_injection, outcome_window_end
from cephalog.domain.diary import DiaryDay
from cephalog.domain.policies import POLICIES
from cephalog.domain.windows import baseline_window

from ._helpers import block, days_after, merge

INJ = dt.date(2026, 2, 1)
B_START = INJ - dt.timedelta(days=28)


def one_cycle(
    cycle_days: dict[dt.date, DiaryDay],
    *,
    baseline_headache: int = 20,
    baseline_recorded: int = 28,
    injections: tuple[dt.date, ...] = (INJ,),
    assessed_on: dt.date | None = None,
) -> tuple[Cycle, ...]:
    days = merge(
        block(B_START, recorded=baseline_recorded, migraine_days=baseline_headache), cycle_days
    )
    baseline = baseline_window(days, injections, INJ)
    return compute_cycles(days, injections, baseline, assessed_on or dt.date(2027, 1, 1))


def outcome(headache: int, recorded: int = 28, start_day: int = 56) -> dict[dt.date, DiaryDay]:
    """Headache days in the 28 days from `INJ + start_day` (the outcome window of cycle 1)."""
    return block(days_after(INJ, start_day), recorded=recorded, migraine_days=headache)


@pytest.mark.parametrize(
    ("following", "end"),
    [
        (None, days_after(INJ, 83)),
        (days_after(INJ, 84), days_after(INJ, 83)),
        (days_after(INJ, 90), days_after(INJ, 83)),
        (days_after(INJ, 70), days_after(INJ, 69)),
        (days_after(INJ, 83), days_after(INJ, 82)),
    ],
)
def test_the_outcome_window_ends_at_the_next_injection_when_it_comes_early(
    following: dt.date | None, end: dt.date
) -> None:
    assert outcome_window_end(INJ, following) == end
    injections = (INJ,) if following is None else (INJ, following)
    cycle = one_cycle({}, injections=injections)[0]
    assert (cycle.window.start, cycle.window.end) == (end - dt.timedelta(days=27), end)


def test_it_numbers_cycles_and_measures_intervals() -> None:
    dates = (days_after(INJ, 168), INJ, days_after(INJ, 84))  # unsorted on purpose
    cycles = one_cycle({}, injections=dates)
    assert [(c.number, c.injection_date, c.interval_days) for c in cycles] == [
        (1, INJ, None),
        (2, days_after(INJ, 84), 84),
        (3, days_after(INJ, 168), 84),
    ]


@pytest.mark.parametrize(("assessed_day", "in_progress"), [(82, True), (83, False), (200, False)])
def test_a_cycle_is_complete_once_its_window_has_ended(
    assessed_day: int, in_progress: bool
) -> None:
    cycle = one_cycle(outcome(10), assessed_on=days_after(INJ, assessed_day))[0]
    assert cycle.in_progress is in_progress
    metrics = (
        cycle.headache_day_change,
        cycle.headache_day_reduction_pct,
        cycle.responder_30,
        cycle.responder_50,
    )
    if in_progress:
        assert metrics == (None, None, None, None)
        assert cycle.wearing_off is None
        assert cycle.to_dict()["window"]["recorded_days"] == 28  # the window is still shown
    else:
        assert metrics == (Fraction(-10), Fraction(50), True, True)


@pytest.mark.parametrize(
    ("headache", "change", "reduction", "r30", "r50"),
    [
        (14, -6.0, 30.0, True, False),
        (15, -5.0, 25.0, False, False),
        (10, -10.0, 50.0, True, True),
        (11, -9.0, 45.0, True, False),
        (20, 0.0, 0.0, False, False),
        (26, 6.0, -30.0, False, False),
    ],
)
def test_it_compares_each_cycle_with_baseline(
    headache: int, change: float, reduction: float, r30: bool, r50: bool
) -> None:
    data = one_cycle(outcome(headache))[0].to_dict()
    assert (
        data["headache_day_change"],
        data["headache_day_reduction_pct"],
        data["responder_30"],
        data["responder_50"],
    ) == (change, reduction, r30, r50)


def test_it_rounds_change_and_reduction_to_one_decimal() -> None:
    # baseline 20 of 28; cycle 13 of 27 recorded → 13.48 per 28
    data = one_cycle(outcome(13, recorded=27))[0].to_dict()
    assert data["window"]["per_28"]["headache_days"] == 13.5
    assert data["headache_day_change"] == -6.5  # 13.481... - 20 = -6.518...
    assert data["headache_day_reduction_pct"] == 32.6  # 32.59...


def test_the_responder_threshold_applies_to_the_unrounded_reduction() -> None:
    # baseline 10 of 28; cycle 7 of 28: exactly 30 % → responder
    cycle = one_cycle(outcome(7), baseline_headache=10)[0]
    assert cycle.headache_day_reduction_pct == 30
    assert cycle.responder_30 is True


def test_reduction_is_null_when_baseline_has_no_headache_day() -> None:
    data = one_cycle(outcome(3), baseline_headache=0)[0].to_dict()
    assert data["headache_day_change"] == 3.0
    assert (data["headache_day_reduction_pct"], data["responder_30"], data["responder_50"]) == (
        None,
        None,
        None,
    )


@pytest.mark.parametrize(("baseline_recorded", "cycle_recorded"), [(19, 28), (28, 19)])
def test_metrics_are_null_when_a_window_is_not_evaluable(
    baseline_recorded: int, cycle_recorded: int
) -> None:
    cycles = one_cycle(
        outcome(5, recorded=cycle_recorded),
        baseline_recorded=baseline_recorded,
        baseline_headache=15,
    )
    data = cycles[0].to_dict()
    assert [
        data[k]
        for k in (
            "headache_day_change",
            "headache_day_reduction_pct",
            "responder_30",
            "responder_50",
        )
    ] == [None] * 4


def weeks(
    early: int, late: int, early_recorded: int = 28, late_recorded: int = 28
) -> dict[dt.date, DiaryDay]:
    return merge(
        block(days_after(INJ, 28), recorded=early_recorded, migraine_days=early),
        block(days_after(INJ, 56), recorded=late_recorded, migraine_days=late),
    )


@pytest.mark.parametrize(
    ("early", "late", "late_recorded", "expected"),
    [
        (5, 8, 28, True),  # rise of 3
        (5, 7, 28, False),  # rise of 2
        (8, 5, 28, False),  # fall
        (5, 6, 21, True),  # 6 of 21 → 8.0 per 28: rise of 3 after scaling
        (5, 6, 22, False),  # 7.64 per 28
        (5, 8, 19, None),  # weeks 9-12 not evaluable
    ],
)
def test_it_detects_wearing_off(
    early: int, late: int, late_recorded: int, expected: bool | None
) -> None:
    cycle = one_cycle(weeks(early, late, late_recorded=late_recorded))[0]
    assert cycle.wearing_off is expected


def test_wearing_off_needs_an_evaluable_weeks_5_to_8() -> None:
    assert one_cycle(weeks(5, 10, early_recorded=19))[0].wearing_off is None


@pytest.mark.parametrize(
    ("next_day", "expected"), [(83, None), (77, None), (84, True), (100, True)]
)
def test_wearing_off_is_null_when_the_next_injection_came_before_day_84(
    next_day: int, expected: bool | None
) -> None:
    cycles = one_cycle(weeks(5, 10), injections=(INJ, days_after(INJ, next_day)))
    assert cycles[0].wearing_off is expected


def test_wearing_off_is_null_while_the_cycle_is_in_progress() -> None:
    assert one_cycle(weeks(5, 10), assessed_on=days_after(INJ, 82))[0].wearing_off is None


@pytest.mark.parametrize(
    ("policy", "earliest_days"),
    [("us-label", 77), ("us-payer", 84), ("nice-ta260", 77), ("ehf-2018", 77)],
)
def test_it_schedules_the_next_injection_per_policy(policy: str, earliest_days: int) -> None:
    chosen = POLICIES[policy]
    last = days_after(INJ, 84)
    result = next_injection(
        [last, INJ],
        due_days=chosen.due_interval_days,
        earliest_days=chosen.earliest_interval_days,
    )
    assert result.to_dict() == {
        "due": days_after(last, 84).isoformat(),
        "earliest": days_after(last, earliest_days).isoformat(),
    }


def test_there_is_no_next_injection_before_the_first() -> None:
    assert next_injection([]).to_dict() == {"due": None, "earliest": None}


def test_the_cycle_object_has_the_spec_keys() -> None:
    assert list(one_cycle(outcome(10))[0].to_dict()) == [
        "number",
        "injection_date",
        "interval_days",
        "in_progress",
        "window",
        "headache_day_change",
        "headache_day_reduction_pct",
        "responder_30",
        "responder_50",
        "wearing_off",
    ]
