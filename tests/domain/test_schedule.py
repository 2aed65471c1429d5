"""Tests for cephalog.domain.schedule (clinical-reference §5, §7, §11; spec §7, §9)."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cephalog.domain.schedule import (
    NO_WEARING_OFF,
    NOT_ENOUGH_DATA,
    EventKind,
    PlanDecision,
    PlannedEvent,
    Recommendation,
    format_date,
    treatment_plan,
    wearing_off_estimate,
    what_to_expect,
)

CONSULT = dt.date(2026, 1, 5)
S1 = dt.date(2026, 2, 9)
S2 = S1 + dt.timedelta(days=84)
S3 = S2 + dt.timedelta(days=84)


def days(n: int) -> dt.timedelta:
    return dt.timedelta(days=n)


def of_kind(events: list[PlannedEvent], kind: EventKind) -> list[PlannedEvent]:
    return [e for e in events if e.kind is kind]


# --- the plan ---------------------------------------------------------------------


def test_a_new_patient_gets_consultation_baseline_and_first_session() -> None:
    plan = treatment_plan(consultation_date=CONSULT, session_dates=[])
    kinds = [e.kind for e in plan]
    assert kinds == [
        EventKind.CONSULTATION,
        EventKind.BASELINE_DIARY,
        EventKind.QUESTIONNAIRE,
        EventKind.SESSION,
        EventKind.CHECKIN_DAY3,
        EventKind.CHECKIN_DAY14,
    ]
    (baseline,) = of_kind(plan, EventKind.BASELINE_DIARY)
    (session,) = of_kind(plan, EventKind.SESSION)
    assert session.date == CONSULT + days(28)
    assert (baseline.date, baseline.latest) == (CONSULT, session.date - days(1))
    assert not session.recorded
    assert session.cycle == 1


def test_the_baseline_diary_is_the_28_days_before_the_first_session() -> None:
    plan = treatment_plan(consultation_date=CONSULT, session_dates=[S1, S2])
    (baseline,) = of_kind(plan, EventKind.BASELINE_DIARY)
    assert baseline.earliest == baseline.date == S1 - days(28)
    assert baseline.latest == S1 - days(1)
    assert baseline.cycle == 0


def test_a_planned_first_session_moves_the_baseline() -> None:
    first = dt.date(2026, 3, 2)
    plan = treatment_plan(consultation_date=CONSULT, session_dates=[], planned_first_session=first)
    (baseline,) = of_kind(plan, EventKind.BASELINE_DIARY)
    assert baseline.date == first - days(28)
    assert of_kind(plan, EventKind.SESSION)[0].date == first


@pytest.mark.parametrize(("interval", "earliest_day"), [(77, 77), (84, 84), (80, 80)])
def test_the_next_session_is_due_at_84_days_with_the_policy_earliest(
    interval: int, earliest_day: int
) -> None:
    plan = treatment_plan(
        consultation_date=CONSULT, session_dates=[S1], earliest_interval_days=interval
    )
    sessions = of_kind(plan, EventKind.SESSION)
    assert [s.recorded for s in sessions] == [True, False]
    nxt = sessions[1]
    assert nxt.date == S1 + days(84)
    assert nxt.earliest == S1 + days(earliest_day)
    assert nxt.latest == S1 + days(91)
    assert nxt.cycle == 2


@pytest.mark.parametrize("interval", [76, 85, 0])
def test_earliest_interval_must_be_a_policy_value(interval: int) -> None:
    with pytest.raises(ValueError, match="earliest_interval_days: must be between 77 and 84"):
        treatment_plan(
            consultation_date=CONSULT, session_dates=[S1], earliest_interval_days=interval
        )


def test_check_ins_follow_every_session() -> None:
    plan = treatment_plan(consultation_date=CONSULT, session_dates=[S1, S2])
    for kind, offset, until in (
        (EventKind.CHECKIN_DAY3, 3, 7),
        (EventKind.CHECKIN_DAY14, 14, 21),
    ):
        checkins = of_kind(plan, kind)
        assert [c.date for c in checkins] == [
            S1 + days(offset),
            S2 + days(offset),
            S3 + days(offset),
        ]
        assert [c.latest for c in checkins] == [
            S1 + days(until),
            S2 + days(until),
            S3 + days(until),
        ]
        assert [c.cycle for c in checkins] == [1, 2, 3]


def test_questionnaires_come_at_baseline_and_before_each_session() -> None:
    plan = treatment_plan(consultation_date=CONSULT, session_dates=[S1, S2])
    questionnaires = of_kind(plan, EventKind.QUESTIONNAIRE)
    assert [q.date for q in questionnaires] == [S1 - days(7), S2 - days(7), S3 - days(7)]
    assert [q.latest for q in questionnaires] == [S1, S2, S3]
    assert [q.cycle for q in questionnaires] == [0, 1, 2]
    assert "baseline" in questionnaires[0].title_clinic
    assert "HIT-6 and MIDAS" in questionnaires[1].title_clinic


def test_reviews_fall_when_the_outcome_windows_of_cycles_2_and_3_end() -> None:
    plan = treatment_plan(consultation_date=CONSULT, session_dates=[S1, S2, S3])
    reviews = of_kind(plan, EventKind.REVIEW)
    # cycle 2 ends the day before session 3; cycle 3 (next one planned at +84) at +83
    assert [(r.cycle, r.date) for r in reviews] == [(2, S3 - days(1)), (3, S3 + days(83))]
    assert "NICE" in reviews[0].title_clinic


def test_an_early_next_session_ends_the_outcome_window_the_day_before() -> None:
    early = S2 + days(70)
    plan = treatment_plan(consultation_date=CONSULT, session_dates=[S1, S2, early])
    (review2, _) = of_kind(plan, EventKind.REVIEW)
    assert review2.date == early - days(1)


def test_a_late_next_session_caps_the_outcome_window_at_day_83() -> None:
    late = S2 + days(100)
    plan = treatment_plan(consultation_date=CONSULT, session_dates=[S1, S2, late])
    (review2, _) = of_kind(plan, EventKind.REVIEW)
    assert review2.date == S2 + days(83)


def test_no_review_before_a_second_session_is_planned() -> None:
    plan = treatment_plan(consultation_date=CONSULT, session_dates=[], sessions_ahead=1)
    assert of_kind(plan, EventKind.REVIEW) == []


def test_sessions_ahead_projects_further_sessions_every_84_days() -> None:
    plan = treatment_plan(consultation_date=CONSULT, session_dates=[S1], sessions_ahead=3)
    sessions = of_kind(plan, EventKind.SESSION)
    assert [s.date for s in sessions] == [S1 + days(84 * k) for k in range(4)]
    assert [s.cycle for s in sessions] == [1, 2, 3, 4]
    assert len(of_kind(plan, EventKind.REVIEW)) == 2


def test_a_stop_decision_plans_no_more_sessions() -> None:
    decision = PlanDecision(S2 + days(83), Recommendation.STOP)
    plan = treatment_plan(consultation_date=CONSULT, session_dates=[S1, S2], decisions=[decision])
    sessions = of_kind(plan, EventKind.SESSION)
    assert [s.date for s in sessions] == [S1, S2]
    assert all(s.recorded for s in sessions)
    # safety check-ins after the sessions given stay in the plan
    assert len(of_kind(plan, EventKind.CHECKIN_DAY3)) == 2


def test_a_decision_before_the_last_session_is_superseded() -> None:
    old = PlanDecision(S1 + days(80), Recommendation.STOP)
    plan = treatment_plan(consultation_date=CONSULT, session_dates=[S1, S2], decisions=[old])
    assert len(of_kind(plan, EventKind.SESSION)) == 3


def test_the_latest_decision_wins() -> None:
    decisions = [
        PlanDecision(S2 + days(80), Recommendation.STOP),
        PlanDecision(S2 + days(82), Recommendation.CONTINUE),
    ]
    plan = treatment_plan(consultation_date=CONSULT, session_dates=[S1, S2], decisions=decisions)
    assert len(of_kind(plan, EventKind.SESSION)) == 3


def test_a_pause_plans_a_reassessment_4_to_5_months_later() -> None:
    decided = S3 + days(83)
    plan = treatment_plan(
        consultation_date=CONSULT,
        session_dates=[S1, S2, S3],
        decisions=[PlanDecision(decided, Recommendation.PAUSE)],
    )
    assert len(of_kind(plan, EventKind.SESSION)) == 3
    (reassess,) = of_kind(plan, EventKind.REASSESSMENT)
    assert (reassess.date, reassess.latest) == (decided + days(120), decided + days(150))


@pytest.mark.parametrize(
    "recommendation", [Recommendation.CONTINUE, Recommendation.REVIEW, Recommendation.TOO_EARLY]
)
def test_other_decisions_keep_the_next_session(recommendation: Recommendation) -> None:
    decision = PlanDecision(S2 + days(83), recommendation)
    plan = treatment_plan(consultation_date=CONSULT, session_dates=[S1, S2], decisions=[decision])
    assert of_kind(plan, EventKind.SESSION)[-1].date == S3


def test_authorisation_expiry_is_planned_with_a_renewal_lead() -> None:
    end = S2 + days(30)
    plan = treatment_plan(consultation_date=CONSULT, session_dates=[S1, S2], authorisation_end=end)
    (expiry,) = of_kind(plan, EventKind.AUTHORISATION_EXPIRY)
    assert (expiry.date, expiry.earliest, expiry.latest) == (end, end - days(30), end)
    assert "session 3 and later need renewal" in expiry.title_clinic
    assert expiry.cycle == 2


def test_the_plan_is_sorted_and_titled() -> None:
    plan = treatment_plan(
        consultation_date=CONSULT,
        session_dates=[S1, S2, S3],
        authorisation_end=S3,
        sessions_ahead=2,
    )
    assert [e.date for e in plan] == sorted(e.date for e in plan)
    for e in plan:
        assert e.title_patient
        assert e.title_clinic
        assert e.earliest <= e.date
        assert e.latest is None or e.date <= e.latest


def test_duplicate_session_dates_are_refused() -> None:
    with pytest.raises(ValueError, match="session_dates: 2026-02-09 appears twice"):
        treatment_plan(consultation_date=CONSULT, session_dates=[S1, S1])


def test_unsorted_session_dates_are_sorted() -> None:
    plan = treatment_plan(consultation_date=CONSULT, session_dates=[S2, S1])
    assert [s.date for s in of_kind(plan, EventKind.SESSION)][:2] == [S1, S2]


@given(
    st.lists(st.integers(min_value=60, max_value=120), max_size=5),
    st.integers(min_value=0, max_value=3),
    st.sampled_from([77, 84]),
)
def test_plan_invariants(gaps: list[int], ahead: int, interval: int) -> None:
    sessions = [S1]
    for g in gaps:
        sessions.append(sessions[-1] + days(g))
    plan = treatment_plan(
        consultation_date=CONSULT,
        session_dates=sessions,
        earliest_interval_days=interval,
        sessions_ahead=ahead,
    )
    planned = of_kind(plan, EventKind.SESSION)
    assert len(planned) == len(sessions) + ahead
    assert [s.cycle for s in planned] == list(range(1, len(planned) + 1))
    assert len(of_kind(plan, EventKind.CHECKIN_DAY3)) == len(planned)
    assert len(of_kind(plan, EventKind.QUESTIONNAIRE)) == len(planned)
    assert len(of_kind(plan, EventKind.REVIEW)) == min(2, max(0, len(planned) - 1))
    for prev, nxt in zip(planned, planned[1:], strict=False):
        if not nxt.recorded:
            assert nxt.earliest == prev.date + days(interval)
            assert nxt.date == prev.date + days(84)
    for review in of_kind(plan, EventKind.REVIEW):
        start = planned[review.cycle - 1].date
        end = start + days(83)
        if len(planned) > review.cycle:
            end = min(end, planned[review.cycle].date - days(1))
        assert review.date == end


# --- what to expect ---------------------------------------------------------------


def test_before_the_first_session_it_sets_expectations() -> None:
    text = " ".join(what_to_expect(CONSULT, []))
    assert "not expect relief straight away" in text
    assert "soreness, redness or a slight headache" in text
    assert "for a few hours" in text
    assert "about two weeks after their second treatment" in text
    assert "second or third treatment" in text
    assert "antibodies" in text


def test_on_the_day_of_a_session_it_mentions_soreness() -> None:
    assert any("soreness" in line for line in what_to_expect(S1, [S1]))
    assert any("soreness" in line for line in what_to_expect(S1 + days(1), [S1]))
    assert not any("soreness" in line for line in what_to_expect(S1 + days(2), [S1]))


def test_after_the_first_session_no_big_change_is_expected_yet() -> None:
    lines = what_to_expect(S1 + days(10), [S1])
    assert any("big change is not expected yet" in line for line in lines)
    assert any(f"due around {format_date(S1 + days(84))}" in line for line in lines)


def test_after_the_second_session_it_gives_the_improvement_date() -> None:
    lines = what_to_expect(S2 + days(3), [S1, S2])
    assert any(f"around {format_date(S2 + days(14))}" in line for line in lines)
    later = what_to_expect(S2 + days(20), [S1, S2])
    assert any("from about two weeks after their second" in line for line in later)


def test_late_in_a_cycle_it_mentions_wearing_off() -> None:
    assert any("wearing off" in line for line in what_to_expect(S3 + days(60), [S1, S2, S3]))
    assert not any("wearing off" in line for line in what_to_expect(S3 + days(30), [S1, S2, S3]))


def test_future_sessions_are_not_counted_as_treatments() -> None:
    assert what_to_expect(S1 - days(1), [S1]) == what_to_expect(S1 - days(1), [])


def test_dates_are_plain_english() -> None:
    assert format_date(dt.date(2026, 9, 14)) == "14 September 2026"


# --- wearing-off -----------------------------------------------------------------

#: A U-shaped cycle: 5 d/week in weeks 1-2, 2 d/week in weeks 3-9, climbing from week 10.
U_CYCLE: list[float | None] = [5, 4, 2, 2, 2, 2, 2, 2, 2, 3, 4, 5]


def test_it_finds_the_week_headache_days_climb_back() -> None:
    estimate = wearing_off_estimate([U_CYCLE, U_CYCLE, U_CYCLE])
    assert estimate.week == 10
    assert estimate.reference_level == 2
    assert estimate.cycles_used == 3
    assert estimate.sentence == "Your treatment usually starts wearing off around week 10."


def test_one_unusual_cycle_does_not_move_the_median() -> None:
    odd: list[float | None] = [5, 4, 2, 2, 2, 2, 6, 6, 6, 6, 6, 6]
    assert wearing_off_estimate([U_CYCLE, U_CYCLE, odd]).week == 10


def test_a_single_week_spike_is_not_wearing_off() -> None:
    spike: list[float | None] = [5, 4, 2, 2, 2, 2, 2, 4, 2, 2, 2, 2]
    estimate = wearing_off_estimate([spike, spike])
    assert estimate.week is None
    assert estimate.sentence == NO_WEARING_OFF


def test_a_rise_in_the_last_week_counts() -> None:
    late: list[float | None] = [5, 4, 2, 2, 2, 2, 2, 2, 2, 2, 2, 3]
    assert wearing_off_estimate([late, late]).week == 12


@pytest.mark.parametrize(
    ("rise", "week"),
    [(1.0, 10), (0.9, None)],
)
def test_the_rise_must_be_at_least_one_day_a_week(rise: float, week: int | None) -> None:
    cycle: list[float | None] = [5, 4, 2, 2, 2, 2, 2, 2, 2, 2 + rise, 2 + rise, 2 + rise]
    assert wearing_off_estimate([cycle, cycle]).week == week


@pytest.mark.parametrize(
    "cycles",
    [
        [],
        [U_CYCLE],  # one cycle is not a pattern
        [U_CYCLE[:11], U_CYCLE[:11], U_CYCLE],  # short cycles (reinjected early) are left out
        [[None] * 12, [None] * 12],  # no diary
    ],
)
def test_it_needs_two_complete_cycles(cycles: list[list[float | None]]) -> None:
    estimate = wearing_off_estimate(cycles)
    assert estimate.week is None
    assert estimate.sentence == NOT_ENOUGH_DATA


def test_missing_weeks_are_tolerated() -> None:
    gappy: list[float | None] = [5, None, 2, None, 2, 2, 2, 2, None, 3, 4, 5]
    assert wearing_off_estimate([U_CYCLE, gappy, U_CYCLE]).week == 10


def test_13_week_cycles_are_used_in_full() -> None:
    long: list[float | None] = [5, 4, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 4]
    assert wearing_off_estimate([long, long]).week == 13


@pytest.mark.parametrize("bad", [-1.0, 7.5, float("nan")])
def test_weekly_values_are_checked(bad: float) -> None:
    with pytest.raises(ValueError, match=r"cycles\[1\]\[4\]: headache days in a week"):
        wearing_off_estimate([U_CYCLE, [0, 0, 0, 0, bad]])


week_values = st.one_of(st.none(), st.integers(min_value=0, max_value=4).map(float))
cycles_strategy = st.lists(st.lists(week_values, min_size=10, max_size=13), min_size=0, max_size=5)


@given(cycles_strategy)
def test_the_week_is_none_or_from_week_7(cycles: list[list[float | None]]) -> None:
    estimate = wearing_off_estimate(cycles)
    if estimate.week is not None:
        assert 7 <= estimate.week <= max(len(c) for c in cycles)
        assert f"week {estimate.week}" in estimate.sentence


@given(cycles_strategy, st.integers(min_value=0, max_value=3))
def test_adding_the_same_days_to_every_week_does_not_move_the_estimate(
    cycles: list[list[float | None]], shift: int
) -> None:
    shifted = [[None if v is None else v + shift for v in c] for c in cycles]
    assert wearing_off_estimate(shifted).week == wearing_off_estimate(cycles).week


@given(cycles_strategy, st.randoms(use_true_random=False))
def test_the_order_of_cycles_does_not_matter(
    cycles: list[list[float | None]], rnd: random.Random
) -> None:
    shuffled = list(cycles)
    rnd.shuffle(shuffled)
    assert wearing_off_estimate(shuffled) == wearing_off_estimate(cycles)


def test_the_clinic_title_of_a_due_session_writes_its_earliest_date_for_people() -> None:
    """The clinic's schedule read "Session 2 due, earliest 2026-04-27" beside "Mon 4 May"."""
    plan = treatment_plan(consultation_date=CONSULT, session_dates=[S1])
    nxt = of_kind(plan, EventKind.SESSION)[1]
    assert nxt.title_clinic == f"Session 2 due, earliest {format_date(nxt.earliest)}"
    assert "-" not in nxt.title_clinic
