"""The patient's treatment calendar, past and planned (clinical-reference §11, §5; spec §7, §9)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from cephalog.domain import decisions as _decisions
from cephalog.domain.intervals import (
    EARLIEST_INTERVAL_DAYS,
    EARLIEST_INTERVAL_RANGE,
    earliest_for,
)
from cephalog.domain.schedule.dates import _ordinal, _sorted_unique, format_date
from cephalog.domain.schedule.events import (
    _D,
    _KIND_ORDER,
    BASELINE_DAYS,
    OUTCOME_WINDOW_LAST_DAY,
    QUESTIONNAIRE_LEAD_DAYS,
    REASSESS_AFTER_DAYS,
    RENEWAL_LEAD_DAYS,
    SESSION_LATE_TOLERANCE_DAYS,
    EventKind,
    PlanDecision,
    PlannedEvent,
    Recommendation,
)


def plan_decision(decision: _decisions.Decision) -> PlanDecision:
    """A recorded decision as the plan reads it: stop, pause, or continue (dose and
    interval changes continue treatment)."""
    if decision.kind == _decisions.DecisionKind.STOP:
        return PlanDecision(decision.decided_on, Recommendation.STOP)
    if decision.kind == _decisions.DecisionKind.PAUSE:
        return PlanDecision(decision.decided_on, Recommendation.PAUSE)
    return PlanDecision(decision.decided_on, Recommendation.CONTINUE)


def _effective_decision(
    decisions: Sequence[PlanDecision], last_session: dt.date | None
) -> PlanDecision | None:
    # A decision taken before the last session was superseded by that session.
    current = [d for d in decisions if last_session is None or d.decided_on >= last_session]
    if not current:
        return None
    return max(enumerate(current), key=lambda p: (p[1].decided_on, p[0]))[1]


def treatment_plan(
    *,
    consultation_date: dt.date,
    session_dates: Sequence[dt.date],
    earliest_interval_days: int = EARLIEST_INTERVAL_DAYS,
    decisions: Sequence[PlanDecision | _decisions.Decision] = (),
    planned_first_session: dt.date | None = None,
    authorisation_end: dt.date | None = None,
    sessions_ahead: int = 1,
) -> list[PlannedEvent]:
    """The patient's treatment calendar, past and planned (clinical-reference §11, §5; spec §7, §9).

    - consultation; baseline diary = the 28 days before the first session
      (first session = first recorded, else `planned_first_session`, else
      consultation + 28 days);
    - every recorded session, then `sessions_ahead` planned ones: due =
      previous + 84 days, earliest = previous + `earliest_interval_days`
      (77 or 84 by policy), latest = due + 7 (scheduling window);
    - check-ins on day 3 (until day 7) and day 14 (until day 21) after each
      session;
    - HIT-6 and MIDAS questionnaires in the 7 days before each session (the
      one before session 1 is the baseline);
    - reviews when the outcome windows of cycles 2 and 3 end
      (min(injection + 83, next injection − 1));
    - the latest decision since the last session: `stop` plans no more
      sessions, `pause` plans a reassessment 4-5 months later instead;
      recorded decisions (`decisions.Decision`) are folded by
      `decisions.effect_of`, so a change of interval moves the planned
      sessions (due = previous + the new interval, earliest by
      `intervals.earliest_for`), exactly as the session pages show it;
    - the authorisation's end (renewal started 30 days before).
    Sorted by date.
    """
    _check_arguments(earliest_interval_days, sessions_ahead)
    recorded = _sorted_unique(session_dates, "session_dates")
    interval_days, decision = _fold_decisions(decisions, recorded[-1] if recorded else None)
    stopped = decision is not None and decision.recommendation in _NO_MORE_SESSIONS
    planned_first = planned_first_session or consultation_date + _D(days=BASELINE_DAYS)
    sessions = [_Session(d, d, d, True) for d in recorded]
    if not stopped:
        sessions += _planned_sessions(
            recorded, planned_first, sessions_ahead, interval_days, earliest_interval_days
        )

    events = [
        _consultation_event(consultation_date),
        _baseline_event(sessions[0].date if sessions else planned_first),
    ]
    for k, session in enumerate(sessions, start=1):
        events += _session_events(k, session)
    events += _review_events(sessions)
    if decision is not None and decision.recommendation is Recommendation.PAUSE:
        events.append(_reassessment_event(decision, len(sessions)))
    if authorisation_end is not None:
        events.append(_authorisation_event(authorisation_end, sessions))
    events.sort(key=lambda e: (e.date, _KIND_ORDER.index(e.kind)))
    return events


#: Decisions after which no session is planned.
_NO_MORE_SESSIONS = (Recommendation.STOP, Recommendation.PAUSE)


def _check_arguments(earliest_interval_days: int, sessions_ahead: int) -> None:
    if earliest_interval_days not in EARLIEST_INTERVAL_RANGE:
        raise ValueError(
            f"earliest_interval_days: must be between 77 and 84, got {earliest_interval_days}"
        )
    if sessions_ahead < 0:
        raise ValueError(f"sessions_ahead: must not be negative, got {sessions_ahead}")


def _fold_decisions(
    decisions: Sequence[PlanDecision | _decisions.Decision], last: dt.date | None
) -> tuple[int, PlanDecision | None]:
    """The interval the recorded decisions set, and the decision in force since `last`."""
    recorded_decisions = [d for d in decisions if isinstance(d, _decisions.Decision)]
    interval_days = _decisions.effect_of(recorded_decisions, last).interval_days
    plan_decisions = [
        plan_decision(d) if isinstance(d, _decisions.Decision) else d for d in decisions
    ]
    return interval_days, _effective_decision(plan_decisions, last)


def _consultation_event(date: dt.date) -> PlannedEvent:
    return PlannedEvent(
        EventKind.CONSULTATION,
        date,
        date,
        date,
        "Consultation with the headache team",
        "Consultation: history, diagnosis, prior preventives, cautions",
        0,
    )


@dataclass(frozen=True)
class _Session:
    """A session in the plan: its date, the window it may happen in, whether it took place."""

    date: dt.date
    earliest: dt.date
    latest: dt.date | None
    recorded: bool


def _planned_sessions(
    recorded: Sequence[dt.date],
    planned_first: dt.date,
    sessions_ahead: int,
    interval_days: int,
    earliest_interval_days: int,
) -> list[_Session]:
    """The `sessions_ahead` sessions after the recorded ones (the first one when none is)."""
    planned: list[_Session] = []
    if not recorded and sessions_ahead:
        planned.append(_Session(planned_first, planned_first, None, False))
    prev = recorded[-1] if recorded else planned_first
    for _ in range(sessions_ahead - (0 if recorded else 1)):
        due = prev + _D(days=interval_days)
        planned.append(
            _Session(
                due,
                prev + _D(days=earliest_for(interval_days, earliest_interval_days)),
                due + _D(days=SESSION_LATE_TOLERANCE_DAYS),
                False,
            )
        )
        prev = due
    return planned


def _baseline_event(first_session: dt.date) -> PlannedEvent:
    return PlannedEvent(
        EventKind.BASELINE_DIARY,
        first_session - _D(days=BASELINE_DAYS),
        first_session - _D(days=BASELINE_DAYS),
        first_session - _D(days=1),
        "Start your daily headache diary: 4 weeks before your first treatment",
        "Baseline diary: 28 days before the first session",
        0,
    )


#: The check-ins after each session: the kind, the day after the session it is due, the
#: last day it is open, and its words (how long after, for the patient; the title, for staff).
_CHECKINS = (
    (EventKind.CHECKIN_DAY3, 3, 7, "3 days", "Day-3 safety check-in"),
    (EventKind.CHECKIN_DAY14, 14, 21, "2 weeks", "Day-14 check-in (side effects, early response)"),
)


def _session_events(k: int, session: _Session) -> list[PlannedEvent]:
    """Session k, the questionnaires before it and the two check-ins after it."""
    date, earliest, done = session.date, session.earliest, session.recorded
    nth = _ordinal(k)
    return [
        PlannedEvent(
            EventKind.SESSION,
            date,
            earliest,
            session.latest,
            f"Your {nth} treatment session" if done else f"Your {nth} treatment session is due",
            f"Session {k}" + ("" if done else f" due, earliest {format_date(earliest)}"),
            k,
            recorded=done,
        ),
        PlannedEvent(
            EventKind.QUESTIONNAIRE,
            date - _D(days=QUESTIONNAIRE_LEAD_DAYS),
            earliest - _D(days=QUESTIONNAIRE_LEAD_DAYS),
            date,
            "Fill in your questionnaires (headache impact and missed days) before your "
            f"{nth} treatment",
            "HIT-6 and MIDAS " + ("at baseline" if k == 1 else f"before session {k}"),
            k - 1,
        ),
        *(
            PlannedEvent(
                kind,
                date + _D(days=day),
                date + _D(days=day),
                date + _D(days=last_day),
                f"Check-in: how are you feeling {after} after your treatment?",
                f"{title}, cycle {k}",
                k,
            )
            for kind, day, last_day, after, title in _CHECKINS
        ),
    ]


def _review_events(sessions: Sequence[_Session]) -> list[PlannedEvent]:
    """Reviews when the outcome windows of cycles 2 and 3 end."""
    events = []
    for k, rule in (
        (2, "NICE TA260: <30% fewer headache days → stop"),
        (3, "EHF: no response after 3 cycles → stop"),
    ):
        if len(sessions) < k:
            continue
        start = sessions[k - 1].date
        end = start + _D(days=OUTCOME_WINDOW_LAST_DAY)
        if len(sessions) > k:
            end = min(end, sessions[k].date - _D(days=1))
        events.append(
            PlannedEvent(
                EventKind.REVIEW,
                end,
                end,
                None,
                f"Progress review: is the treatment helping? (after your {_ordinal(k)} treatment)",
                f"Review response after cycle {k} (outcome window ends; {rule})",
                k,
            )
        )
    return events


def _reassessment_event(decision: PlanDecision, cycle: int) -> PlannedEvent:
    lo, hi = REASSESS_AFTER_DAYS
    return PlannedEvent(
        EventKind.REASSESSMENT,
        decision.decided_on + _D(days=lo),
        decision.decided_on + _D(days=lo),
        decision.decided_on + _D(days=hi),
        "Check-up to see how your headaches are without treatment",
        "Reassess 4–5 months after pausing treatment (EHF)",
        cycle,
    )


def _authorisation_event(end: dt.date, sessions: Sequence[_Session]) -> PlannedEvent:
    after = [k for k, s in enumerate(sessions, start=1) if s.date > end]
    note = f"; session {after[0]} and later need renewal" if after else ""
    return PlannedEvent(
        EventKind.AUTHORISATION_EXPIRY,
        end,
        end - _D(days=RENEWAL_LEAD_DAYS),
        end,
        "Your insurance approval for treatment ends; the clinic will ask to renew it",
        f"Payer authorisation ends: request renewal{note}",
        sum(1 for s in sessions if s.date <= end),
    )
