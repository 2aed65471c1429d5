"""Issue 14.5 and 14.7: one home for the interval numbers, and decisions' effects in the domain.

The interval rule (clinical reference 2.2: every 12 weeks; 6.5 and 11.2: a
7-day tolerance; 5.3: payers allow no earlier than 84 days) is stated to
patients from the numbers the software applies, never as "not sooner than
12 weeks" beside an earlier date. Decisions (pause, stop, dose and interval
changes) fold the same way for the session pages and the treatment plan.
"""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cephalog.domain import decisions, intervals
from cephalog.domain.decisions import Decision, DecisionKind, check_decision, effect_of
from cephalog.domain.intervals import IntervalRule, earliest_for, weeks_text
from cephalog.domain.policies import POLICIES
from cephalog.domain.schedule import EventKind, treatment_plan, what_to_expect

D = dt.date
S1 = D(2026, 2, 9)


def test_the_numbers_have_one_home_and_the_policies_use_it() -> None:
    assert (intervals.DUE_INTERVAL_DAYS, intervals.EARLIEST_INTERVAL_DAYS) == (84, 77)
    assert intervals.PAYER_EARLIEST_INTERVAL_DAYS == 84
    for policy in POLICIES.values():
        assert policy.due_interval_days == intervals.DUE_INTERVAL_DAYS
    assert POLICIES["us-payer"].earliest_interval_days == 84
    assert POLICIES["nice-ta260"].earliest_interval_days == 77


@pytest.mark.parametrize(
    ("days", "text"),
    [(84, "12 weeks"), (77, "11 weeks"), (7, "1 week"), (73, "10 weeks and 3 days"), (3, "3 days")],
)
def test_weeks_are_written_out(days: int, text: str) -> None:
    assert weeks_text(days) == text


def test_the_patient_sentence_states_the_rule_the_software_applies() -> None:
    assert IntervalRule().rule_sentence() == (
        "Treatment is given every 12 weeks; your clinic may book it up to a week earlier."
    )
    assert IntervalRule(earliest_days=84).rule_sentence() == (
        "Treatment is given every 12 weeks, not sooner."
    )
    assert IntervalRule(due_days=98, earliest_days=91).rule_sentence() == (
        "Treatment is given every 14 weeks; your clinic may book it up to a week earlier."
    )
    assert IntervalRule(earliest_days=80).rule_sentence() == (
        "Treatment is given every 12 weeks; your clinic may book it up to 4 days earlier."
    )


def test_the_letter_and_clinic_sentences_name_the_days() -> None:
    rule = IntervalRule(minimum_days=70)
    assert rule.letter_sentence() == (
        "Treatment is given every 12 weeks (84 days); the clinic may give it up to a week "
        "earlier, from day 77 after the last session."
    )
    assert rule.clinic_sentence() == (
        "Due 84 days after the last session; earliest 77 days (the policy's); sooner than 70 "
        "days is refused (the clinic's minimum); from 70 to 76 days a session needs a "
        "structured reason."
    )
    assert (
        IntervalRule(earliest_days=84, minimum_days=84)
        .clinic_sentence()
        .endswith("sooner than 84 days is refused (the clinic's minimum).")
    )


@pytest.mark.parametrize(
    ("interval", "policy_earliest", "earliest"),
    [(84, 77, 77), (84, 84, 84), (98, 77, 91), (70, 77, 70), (98, 84, 98), (77, 77, 77)],
)
def test_a_changed_interval_keeps_the_policys_tolerance(
    interval: int, policy_earliest: int, earliest: int
) -> None:
    assert earliest_for(interval, policy_earliest) == earliest


@given(st.integers(min_value=56, max_value=182), st.sampled_from([77, 78, 80, 84]))
def test_the_earliest_day_is_never_after_the_due_day(interval: int, policy: int) -> None:
    earliest = earliest_for(interval, policy)
    assert earliest <= interval
    assert earliest >= min(interval, policy)


def test_what_to_expect_never_says_not_sooner_next_to_an_earlier_date() -> None:
    today = S1 + dt.timedelta(days=10)
    tolerant = " ".join(what_to_expect(today, [S1]))
    assert "not sooner" not in tolerant
    assert "every 12 weeks; your clinic may book it up to a week earlier" in tolerant
    assert "due around 4 May 2026" in tolerant  # S1 + 84
    strict = " ".join(what_to_expect(today, [S1], IntervalRule(earliest_days=84)))
    assert "every 12 weeks, not sooner" in strict
    longer = " ".join(what_to_expect(today, [S1], IntervalRule(due_days=98, earliest_days=91)))
    assert "due around 18 May 2026" in longer
    assert "every 14 weeks" in longer


# --- decisions ---------------------------------------------------------------------------------


def decision(day: int, kind: str, interval: int | None = None, order: int = 0) -> Decision:
    return Decision(S1 + dt.timedelta(days=day), kind, interval, order)


def test_with_no_decision_the_next_session_is_the_standard_one() -> None:
    effect = effect_of([], S1)
    assert (effect.dose_units, effect.interval_days, effect.active) == (155, 84, True)
    assert effect.next_due(S1) == S1 + dt.timedelta(days=84)
    assert effect.next_due(None) is None


def test_dose_and_interval_changes_hold_until_changed_again() -> None:
    effect = effect_of(
        [
            decision(80, DecisionKind.CHANGE_DOSE_195),
            decision(90, DecisionKind.CHANGE_INTERVAL, 70),
            decision(100, DecisionKind.CONTINUE),
        ],
        S1,
    )
    assert (effect.dose_units, effect.interval_days, effect.active) == (195, 70, True)
    assert effect.next_due(S1) == S1 + dt.timedelta(days=70)


def test_pause_and_stop_hold_only_until_a_later_session() -> None:
    pause = decision(80, DecisionKind.PAUSE)
    assert effect_of([pause], S1).paused
    assert effect_of([pause], S1).next_due(S1) is None
    # a session after the decision: treatment resumed
    assert not effect_of([pause], pause.decided_on + dt.timedelta(days=1)).paused
    # a session on the decision's day does not lift it
    assert effect_of([pause], pause.decided_on).paused
    stop = decision(80, DecisionKind.STOP)
    assert effect_of([pause, stop], S1).stopped


def test_decisions_of_one_day_apply_in_their_order() -> None:
    same_day = [
        decision(80, DecisionKind.STOP, order=2),
        decision(80, DecisionKind.CONTINUE, order=1),
    ]
    assert effect_of(same_day, S1).stopped
    assert effect_of(same_day, S1).latest == same_day[0]


@pytest.mark.parametrize(
    ("kind", "interval", "problems"),
    [
        ("continue", None, {}),
        ("change_interval", 70, {}),
        ("change_interval", None, {"new_interval_days": "Give the new interval in days."}),
        (
            "change_interval",
            60,
            {
                "new_interval_days": "must be between 70 and 182 days (the clinic's minimum "
                "interval to 26 weeks), got 60"
            },
        ),
        ("pause", 84, {"new_interval_days": "only a change of interval takes a new interval"}),
        (
            "resume",
            None,
            {
                "decision": "must be one of continue, change_dose_195, change_interval, pause, "
                "stop, got 'resume'"
            },
        ),
    ],
)
def test_a_decision_is_checked_against_the_clinic_minimum(
    kind: str, interval: int | None, problems: dict[str, str]
) -> None:
    assert check_decision(kind, interval, minimum_days=70) == problems


def test_the_plan_folds_recorded_decisions_as_the_session_pages_do() -> None:
    changed = [decision(60, DecisionKind.CHANGE_INTERVAL, 98)]
    plan = treatment_plan(consultation_date=D(2026, 1, 5), session_dates=[S1], decisions=changed)
    sessions = [e for e in plan if e.kind is EventKind.SESSION and not e.recorded]
    assert len(sessions) == 1
    assert sessions[0].date == effect_of(changed, S1).next_due(S1) == S1 + dt.timedelta(days=98)
    assert sessions[0].earliest == S1 + dt.timedelta(days=91)
    stopped = treatment_plan(
        consultation_date=D(2026, 1, 5),
        session_dates=[S1],
        decisions=[decision(60, DecisionKind.STOP)],
    )
    assert not [e for e in stopped if e.kind is EventKind.SESSION and not e.recorded]
    paused = treatment_plan(
        consultation_date=D(2026, 1, 5),
        session_dates=[S1],
        decisions=[decision(60, DecisionKind.PAUSE)],
    )
    assert [e for e in paused if e.kind is EventKind.REASSESSMENT]


def test_the_module_names_its_doses() -> None:
    assert (decisions.STANDARD_DOSE_UNITS, decisions.HIGH_DOSE_UNITS) == (155, 195)
