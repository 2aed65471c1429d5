"""The treatment calendar, what to expect, and when treatment wears off.

Implements clinical-reference.md §11 (derived calendar and monitoring rules:
baseline, 12-weekly sessions, outcome windows, decision points, safety
follow-up), §5 (review after cycles 2 and 3; EHF pause and reassessment),
§6 and §7 (expectations; wearing-off), §2.2 and §2.8 (12-week interval,
antibodies) and spec/assessment.md §7 and §9 (outcome windows; due and
earliest next injection). Decisions where the reference is silent are in
docs/domain-decisions.md.

Dates are the patient's local calendar dates; `today` is always a parameter.
"""

from __future__ import annotations

import datetime as dt
import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from cephalog.domain import decisions as _decisions
from cephalog.domain.intervals import (
    DUE_INTERVAL_DAYS,
    EARLIEST_INTERVAL_DAYS,
    EARLIEST_INTERVAL_RANGE,
    IntervalRule,
    earliest_for,
)

#: Scheduling window after the due date (COMPEL ±7 days, §6.5) used for `latest`.
SESSION_LATE_TOLERANCE_DAYS = 7
#: Baseline diary length before the first session (§4.3, §11.4; spec §3).
BASELINE_DAYS = 28
#: A cycle's outcome window ends at injection + 83 days at most (spec §7).
OUTCOME_WINDOW_LAST_DAY = 83
#: Questionnaires are filled in during the 7 days before a session.
QUESTIONNAIRE_LEAD_DAYS = 7
#: EHF: re-evaluate 4-5 months after stopping (§5.2), read as 120-150 days.
REASSESS_AFTER_DAYS = (120, 150)
#: Authorisation renewal is started this many days before it ends.
RENEWAL_LEAD_DAYS = 30

_D = dt.timedelta


class EventKind(StrEnum):
    """Kinds of events in the treatment plan (clinical-reference §11)."""

    CONSULTATION = "consultation"
    BASELINE_DIARY = "baseline_diary"
    QUESTIONNAIRE = "questionnaire"
    SESSION = "session"
    CHECKIN_DAY3 = "checkin_day3"
    CHECKIN_DAY14 = "checkin_day14"
    REVIEW = "review"
    REASSESSMENT = "reassessment"
    AUTHORISATION_EXPIRY = "authorisation_expiry"


_KIND_ORDER = list(EventKind)


class Recommendation(StrEnum):
    """A continuation decision, as in spec/assessment.md §8."""

    CONTINUE = "continue"
    STOP = "stop"
    REVIEW = "review"
    PAUSE = "pause"
    TOO_EARLY = "too_early"


@dataclass(frozen=True)
class PlanDecision:
    """A continuation decision taken on a date (spec §8; clinical-reference §5)."""

    decided_on: dt.date
    recommendation: Recommendation


@dataclass(frozen=True)
class PlannedEvent:
    """One event of the treatment plan.

    `date` is the target date; `earliest`/`latest` bound when it may happen
    (`latest` None: no upper bound). `cycle` is the treatment cycle the event
    belongs to: 0 before the first session; a questionnaire before session
    k measures cycle k − 1. `recorded` is True for sessions that took place.
    """

    kind: EventKind
    date: dt.date
    earliest: dt.date
    latest: dt.date | None
    title_patient: str
    title_clinic: str
    cycle: int
    recorded: bool = False


_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def format_date(d: dt.date) -> str:
    """A date in plain English, independent of the locale: `14 September 2026`."""
    return f"{d.day} {_MONTHS[d.month - 1]} {d.year}"


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _sorted_unique(dates: Sequence[dt.date], what: str) -> list[dt.date]:
    ordered = sorted(dates)
    for a, b in zip(ordered, ordered[1:], strict=False):
        if a == b:
            raise ValueError(f"{what}: {a.isoformat()} appears twice")
    return ordered


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
    if earliest_interval_days not in EARLIEST_INTERVAL_RANGE:
        raise ValueError(
            f"earliest_interval_days: must be between 77 and 84, got {earliest_interval_days}"
        )
    if sessions_ahead < 0:
        raise ValueError(f"sessions_ahead: must not be negative, got {sessions_ahead}")
    recorded = _sorted_unique(session_dates, "session_dates")
    last = recorded[-1] if recorded else None
    recorded_decisions = [d for d in decisions if isinstance(d, _decisions.Decision)]
    interval_days = _decisions.effect_of(recorded_decisions, last).interval_days
    plan_decisions = [
        plan_decision(d) if isinstance(d, _decisions.Decision) else d for d in decisions
    ]
    decision = _effective_decision(plan_decisions, last)
    stopped = decision is not None and decision.recommendation in (
        Recommendation.STOP,
        Recommendation.PAUSE,
    )

    events: list[PlannedEvent] = [
        PlannedEvent(
            EventKind.CONSULTATION,
            consultation_date,
            consultation_date,
            consultation_date,
            "Consultation with the headache team",
            "Consultation: history, diagnosis, prior preventives, cautions",
            0,
        )
    ]

    # Sessions: (date, earliest, latest, recorded)
    sessions: list[tuple[dt.date, dt.date, dt.date | None, bool]] = [
        (d, d, d, True) for d in recorded
    ]
    if not stopped:
        if not recorded:
            first = planned_first_session or consultation_date + _D(days=BASELINE_DAYS)
            if sessions_ahead:
                sessions.append((first, first, None, False))
        for _ in range(sessions_ahead - (0 if recorded else 1)):
            prev = sessions[-1][0]
            due = prev + _D(days=interval_days)
            sessions.append(
                (
                    due,
                    prev + _D(days=earliest_for(interval_days, earliest_interval_days)),
                    due + _D(days=SESSION_LATE_TOLERANCE_DAYS),
                    False,
                )
            )

    first_session = (
        sessions[0][0]
        if sessions
        else planned_first_session or consultation_date + _D(days=BASELINE_DAYS)
    )
    events.append(
        PlannedEvent(
            EventKind.BASELINE_DIARY,
            first_session - _D(days=BASELINE_DAYS),
            first_session - _D(days=BASELINE_DAYS),
            first_session - _D(days=1),
            "Start your daily headache diary: 4 weeks before your first treatment",
            "Baseline diary: 28 days before the first session",
            0,
        )
    )

    for k, (date, earliest, latest, done) in enumerate(sessions, start=1):
        nth = _ordinal(k)
        events.append(
            PlannedEvent(
                EventKind.SESSION,
                date,
                earliest,
                latest,
                f"Your {nth} treatment session" if done else f"Your {nth} treatment session is due",
                f"Session {k}" + ("" if done else f" due, earliest {earliest.isoformat()}"),
                k,
                recorded=done,
            )
        )
        events.append(
            PlannedEvent(
                EventKind.QUESTIONNAIRE,
                date - _D(days=QUESTIONNAIRE_LEAD_DAYS),
                earliest - _D(days=QUESTIONNAIRE_LEAD_DAYS),
                date,
                "Fill in your questionnaires (headache impact and missed days) before your "
                f"{nth} treatment",
                "HIT-6 and MIDAS " + ("at baseline" if k == 1 else f"before session {k}"),
                k - 1,
            )
        )
        events.append(
            PlannedEvent(
                EventKind.CHECKIN_DAY3,
                date + _D(days=3),
                date + _D(days=3),
                date + _D(days=7),
                "Check-in: how are you feeling 3 days after your treatment?",
                f"Day-3 safety check-in, cycle {k}",
                k,
            )
        )
        events.append(
            PlannedEvent(
                EventKind.CHECKIN_DAY14,
                date + _D(days=14),
                date + _D(days=14),
                date + _D(days=21),
                "Check-in: how are you feeling 2 weeks after your treatment?",
                f"Day-14 check-in (side effects, early response), cycle {k}",
                k,
            )
        )

    for k, rule in (
        (2, "NICE TA260: <30% fewer headache days → stop"),
        (3, "EHF: no response after 3 cycles → stop"),
    ):
        if len(sessions) < k:
            continue
        start = sessions[k - 1][0]
        end = start + _D(days=OUTCOME_WINDOW_LAST_DAY)
        if len(sessions) > k:
            end = min(end, sessions[k][0] - _D(days=1))
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

    if decision is not None and decision.recommendation is Recommendation.PAUSE:
        lo, hi = REASSESS_AFTER_DAYS
        events.append(
            PlannedEvent(
                EventKind.REASSESSMENT,
                decision.decided_on + _D(days=lo),
                decision.decided_on + _D(days=lo),
                decision.decided_on + _D(days=hi),
                "Check-up to see how your headaches are without treatment",
                "Reassess 4–5 months after pausing treatment (EHF)",
                len(sessions),
            )
        )

    if authorisation_end is not None:
        after = [k for k, s in enumerate(sessions, start=1) if s[0] > authorisation_end]
        note = f"; session {after[0]} and later need renewal" if after else ""
        events.append(
            PlannedEvent(
                EventKind.AUTHORISATION_EXPIRY,
                authorisation_end,
                authorisation_end - _D(days=RENEWAL_LEAD_DAYS),
                authorisation_end,
                "Your insurance approval for treatment ends; the clinic will ask to renew it",
                f"Payer authorisation ends: request renewal{note}",
                sum(1 for s in sessions if s[0] <= authorisation_end),
            )
        )

    events.sort(key=lambda e: (e.date, _KIND_ORDER.index(e.kind)))
    return events


def what_to_expect(
    today: dt.date, sessions: Sequence[dt.date], rule: IntervalRule | None = None
) -> list[str]:
    """A plain-language timeline for the patient (clinical-reference §6, §7, §2.3, §2.8; what-users-want §4–5).

    Sessions after `today` are ignored (they are plans, not treatments). The
    interval is stated from `rule` (the clinic's and the policy's numbers,
    `intervals.IntervalRule`), never as a fixed "12 weeks, not sooner".
    """
    rule = rule or IntervalRule()
    done = [d for d in _sorted_unique(sessions, "sessions") if d <= today]
    n = len(done)
    lines = [
        "This treatment prevents headaches over time. It does not stop a headache that has "
        "already started, and you should not expect relief straight away."
    ]
    soreness = (
        "After a treatment you may have soreness, redness or a slight headache where the "
        "injections went in, for a few hours."
    )
    if n == 0:
        lines += [
            soreness,
            "Many people notice an improvement about two weeks after their second treatment. "
            "The full effect often comes only after the second or third treatment.",
            f"{rule.rule_sentence()} Doses given too often can make your body produce "
            "antibodies that stop the medicine working.",
        ]
    else:
        last = done[-1]
        days = (today - last).days
        if days <= 1:
            lines.append(soreness)
        if n == 1:
            lines.append(
                "After the first treatment a big change is not expected yet: improvement is "
                "often noticed about two weeks after the second treatment."
            )
        elif n == 2:
            improve = last + _D(days=14)
            if today < improve:
                lines.append(
                    "Many people notice an improvement about two weeks after their second "
                    f"treatment, around {format_date(improve)}."
                )
            else:
                lines.append(
                    "Many people notice an improvement from about two weeks after their second "
                    "treatment. The full effect often comes after the second or third treatment."
                )
        else:
            lines.append(
                f"You have had {n} treatments. The full effect usually shows after the second or "
                "third, so your diary now shows how well it works for you."
            )
        if n in (2, 3):
            lines.append(
                "At the end of this 12-week cycle the clinic will look at your diary with you "
                "and decide together whether to continue."
            )
        if days >= 56:
            lines.append(
                "Some people notice the effect wearing off in the last weeks before the next "
                "treatment. Keep filling in your diary so the clinic can see it."
            )
        lines.append(
            f"Your next treatment is due around {format_date(rule.due_on(last))}. "
            f"{rule.rule_sentence()} Doses given too often can make your body produce "
            "antibodies that stop the medicine working."
        )
    lines.append(
        "Get emergency help straight away if you have trouble swallowing, speaking or "
        "breathing, at any time in the weeks after a treatment."
    )
    return lines


# ---------------------------------------------------------------------------
# Wearing-off (§7, §11.7)
# ---------------------------------------------------------------------------

#: A cycle is used when it has at least 12 weeks of data (reinjected on day 84 or later).
WEARING_OFF_MIN_WEEKS = 12
#: At least this many complete cycles must contribute to a week's median.
WEARING_OFF_MIN_CYCLES = 2
#: Weeks whose median sets the treated level, and the first week searched.
WEARING_OFF_REFERENCE_WEEKS = (3, 4, 5, 6)
WEARING_OFF_FIRST_WEEK = 7
#: Rise over the treated level that counts as wearing off, in headache days per week.
WEARING_OFF_RISE = 1.0


@dataclass(frozen=True)
class WearingOffEstimate:
    """When headache days usually climb back within a cycle (clinical-reference §7, §11.7)."""

    week: int | None
    reference_level: float | None  # median headache days/week in weeks 3-6
    weekly_medians: tuple[float | None, ...]  # index 0 = week 1
    cycles_used: int
    sentence: str


NOT_ENOUGH_DATA = (
    "There is not enough diary data yet to tell when your treatment wears off: at least 2 "
    "complete 12-week cycles are needed."
)
NO_WEARING_OFF = "Your diary does not show your treatment wearing off before the next one."


def wearing_off_estimate(
    weekly_headache_days_per_cycle: Sequence[Sequence[float | None]],
) -> WearingOffEstimate:
    """The week at which headache days usually climb back (clinical-reference §7, §11.7).

    Input: per cycle, headache days in each week after the injection (week 1
    = days 0-6, week w = days 7(w−1) to 7w−1), None for a week without
    enough diary. Cycles with fewer than 12 weeks (reinjected early, or in
    progress) are left out. For each week, the median over the cycles that
    have it (None when fewer than 2). The treated level is the median of
    the weeks 3-6 medians. Wearing-off starts at the first week from week 7
    whose median is at least 1 day/week above that level and stays there
    the week after (when that week has a median). Medians make one unusual
    cycle unable to move the estimate alone.
    """
    for i, cycle in enumerate(weekly_headache_days_per_cycle):
        for j, value in enumerate(cycle):
            if value is not None and (math.isnan(value) or not 0 <= value <= 7):
                raise ValueError(
                    f"cycles[{i}][{j}]: headache days in a week must be between 0 and 7, "
                    f"got {value}"
                )
    complete = [c for c in weekly_headache_days_per_cycle if len(c) >= WEARING_OFF_MIN_WEEKS]
    n_weeks = max((len(c) for c in complete), default=0)
    medians: list[float | None] = []
    for w in range(n_weeks):
        present = [float(v) for c in complete if w < len(c) and (v := c[w]) is not None]
        medians.append(
            statistics.median(present) if len(present) >= WEARING_OFF_MIN_CYCLES else None
        )

    def none(reason: str, ref: float | None = None) -> WearingOffEstimate:
        return WearingOffEstimate(None, ref, tuple(medians), len(complete), reason)

    if len(complete) < WEARING_OFF_MIN_CYCLES:
        return none(NOT_ENOUGH_DATA)
    ref_values = [m for w in WEARING_OFF_REFERENCE_WEEKS if (m := medians[w - 1]) is not None]
    if len(ref_values) < 2:
        return none(NOT_ENOUGH_DATA)
    ref = statistics.median(ref_values)
    threshold = ref + WEARING_OFF_RISE
    for w in range(WEARING_OFF_FIRST_WEEK, n_weeks + 1):
        m = medians[w - 1]
        if m is None or m < threshold:
            continue
        following = medians[w] if w < n_weeks else None
        if following is None or following >= threshold:
            return WearingOffEstimate(
                w,
                ref,
                tuple(medians),
                len(complete),
                f"Your treatment usually starts wearing off around week {w}.",
            )
    return none(NO_WEARING_OFF, ref)


__all__ = [
    "BASELINE_DAYS",
    "DUE_INTERVAL_DAYS",
    "NOT_ENOUGH_DATA",
    "NO_WEARING_OFF",
    "EventKind",
    "PlanDecision",
    "PlannedEvent",
    "Recommendation",
    "WearingOffEstimate",
    "format_date",
    "treatment_plan",
    "wearing_off_estimate",
    "what_to_expect",
]
