"""Reads for the outcome pages, computed with the domain exactly as `cephalog assess` does.

Every per-patient figure comes from one `build_case` + `domain.assess` (the
implementation of `cephalog.eligibility.case.assess_patient`), so the outcomes
page, the cycle summary, the renewal letter and the progress page show the
numbers the command prints for the same record.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from cephalog.domain import schedule
from cephalog.domain.assess import Assessment, assess
from cephalog.domain.case import Case
from cephalog.domain.criteria import MedicationOveruse, assess_medication_overuse
from cephalog.domain.cycles import Cycle
from cephalog.domain.decisions import Decision as DomainDecision
from cephalog.domain.diary import DiaryDay, classify_day
from cephalog.domain.policies import POLICIES, Continuation
from cephalog.domain.rulesets import Rules, Ruleset
from cephalog.domain.windows import MIN_RECORDED_DAYS, WINDOW_DAYS, Window, window_ending
from cephalog.eligibility.case import build_case
from cephalog.eligibility.queries import clinic_rules, clinic_ruleset, earliest_interval_days
from cephalog.outcomes.actions import DecisionEffect, domain_decision, effect_of
from cephalog.outcomes.models import (
    BridgingTreatment,
    ContentPack,
    ContinuationDecision,
    Decision,
    Instrument,
    ItemLabel,
    QuestionnaireResponse,
)
from cephalog.patients.models import Patient
from cephalog.treatment.queries import interval_rule_for

#: A week counts towards the wearing-off curve when at least 5 of its 7 days are
#: recorded (the same share as 20 of 28 for a window, spec section 3).
MIN_RECORDED_PER_WEEK = 5
WEEKS_PER_CYCLE = 12

RECOMMENDATION_LABELS = {
    "continue": "Continue",
    "stop": "Stop",
    "review": "Review",
    "pause": "Pause",
    "too_early": "Too early to judge",
    "not_started": "Not started",
}
REASON_LABELS = {
    "inadequate_response": "fewer than the required reduction in headache days",
    "converted_to_episodic": "headache days low for 3 months in a row (episodic)",
    "one_more_cycle_allowed": "one more cycle allowed before stopping",
    "low_frequency_3_months": "fewer than 10 headache days per 28 for 3 months",
    "renewal_threshold_not_met": "renewal threshold (50% reduction) not met",
    "no_stopping_rule_in_label": "the label has no stopping rule",
}


def band_label(instrument: str, band: str) -> str:
    """`Severe impact` for a HIT-6 band, `Grade IV: severe disability` for a MIDAS grade."""
    from cephalog.domain.instruments import Hit6Band, MidasGrade

    if instrument == Instrument.HIT6:
        try:
            return Hit6Band(band).label
        except ValueError:
            return band
    try:
        grade = MidasGrade(band)
    except ValueError:
        return band
    return f"Grade {grade.value}: {grade.label.lower()}"


# --- weekly headache days and wearing-off ---------------------------------------------------


def weekly_headache_days(
    days: Mapping[dt.date, DiaryDay],
    injection_dates: Sequence[dt.date],
    today: dt.date,
    definition: str = "label",
) -> list[list[float | None]]:
    """Per cycle, headache days in each week 1-12 after the injection (week 1 = days 0-6).

    A week is scaled to 7 days from its recorded days (`headache days x 7 /
    recorded`) when at least 5 are recorded, else None. A cycle's list stops
    at the last full week before the next injection or `today`, so a cycle
    reinjected early or still running has fewer than 12 weeks and the
    estimate leaves it out (docs/domain-decisions.md, wearing-off).
    """
    injections = sorted(injection_dates)
    curves: list[list[float | None]] = []
    for index, injection in enumerate(injections):
        following = injections[index + 1] if index + 1 < len(injections) else None
        weeks: list[float | None] = []
        for week in range(WEEKS_PER_CYCLE):
            start = injection + dt.timedelta(days=7 * week)
            end = start + dt.timedelta(days=6)
            if end > today or (following is not None and end >= following):
                break
            recorded = headache = 0
            for offset in range(7):
                day = days.get(start + dt.timedelta(days=offset))
                if day is None:
                    continue
                recorded += 1
                headache += classify_day(day, definition).headache_day
            weeks.append(headache * 7 / recorded if recorded >= MIN_RECORDED_PER_WEEK else None)
        curves.append(weeks)
    return curves


def clinician_wearing_off(estimate: schedule.WearingOffEstimate) -> str:
    """The wearing-off estimate in the clinic's words (the patient's are `estimate.sentence`)."""
    if estimate.week is not None:
        return (
            f"Usually wears off from week {estimate.week} after the injection "
            f"(medians over {estimate.cycles_used} complete cycles)."
        )
    if estimate.sentence == schedule.NO_WEARING_OFF:
        return (
            "No wearing-off pattern before the next injection "
            f"({estimate.cycles_used} complete cycles)."
        )
    return "Not enough diary data to estimate wearing-off: 2 complete 12-week cycles are needed."


# --- the outcomes page ----------------------------------------------------------------------


@dataclass(frozen=True)
class TimelineItem:
    date: dt.date
    kind: str
    title: str
    detail: str = ""


@dataclass(frozen=True)
class CycleRow:
    """One cycle as the outcome pages print it: the domain's `Cycle`, values as the
    ruleset prints them (rounded, or truncated under standard-2)."""

    cycle: Cycle
    headache_28: float | None
    migraine_28: float | None
    moderate_severe_28: float | None
    acute_28: float | None
    headache_day_change: float | None
    headache_day_reduction_pct: float | None

    @classmethod
    def of(cls, cycle: Cycle, rules: Rules) -> CycleRow:
        per = cycle.window.per_28_shown(rules.one_decimal)

        def shown(value: Any) -> float | None:
            return None if value is None else rules.one_decimal(value)

        return cls(
            cycle=cycle,
            headache_28=per["headache_days"],
            migraine_28=per["migraine_days"],
            moderate_severe_28=per["moderate_severe_days"],
            acute_28=per["acute_medication_days"],
            headache_day_change=shown(cycle.headache_day_change),
            headache_day_reduction_pct=shown(cycle.headache_day_reduction_pct),
        )

    @property
    def number(self) -> int:
        return self.cycle.number

    @property
    def injection(self) -> dt.date:
        return self.cycle.injection_date

    @property
    def interval_days(self) -> int | None:
        return self.cycle.interval_days

    @property
    def in_progress(self) -> bool:
        return self.cycle.in_progress

    @property
    def window(self) -> Window:
        return self.cycle.window

    @property
    def window_start(self) -> dt.date:
        return self.cycle.window.start

    @property
    def window_end(self) -> dt.date:
        return self.cycle.window.end

    @property
    def responder_30(self) -> bool | None:
        return self.cycle.responder_30

    @property
    def responder_50(self) -> bool | None:
        return self.cycle.responder_50

    @property
    def wearing_off(self) -> bool | None:
        return self.cycle.wearing_off


@dataclass
class PatientOutcomes:
    """Everything the outcomes page shows, computed once."""

    patient: Patient
    today: dt.date
    policy: str
    case: Case
    assessment: Assessment
    cycles: list[CycleRow]
    weekly: list[list[float | None]]
    estimate: schedule.WearingOffEstimate
    decisions: list[ContinuationDecision]
    bridging: list[BridgingTreatment]
    questionnaires: list[QuestionnaireResponse]
    effect: DecisionEffect
    last_session: dt.date | None
    timeline: list[TimelineItem] = field(default_factory=list)

    @property
    def ruleset(self) -> Ruleset:
        return self.assessment.ruleset

    @property
    def day_definition(self) -> str:
        return self.assessment.day_definition.value

    @property
    def continuation(self) -> Continuation:
        return self.assessment.continuation

    @property
    def baseline(self) -> dict[str, Any]:
        """The baseline window object (spec section 3) as this ruleset prints it."""
        return self.assessment.baseline.to_dict(self.assessment.rules.one_decimal)

    @property
    def baseline_start(self) -> dt.date:
        return self.assessment.baseline.start

    @property
    def baseline_end(self) -> dt.date:
        return self.assessment.baseline.end

    @property
    def complete_cycles(self) -> list[CycleRow]:
        return [c for c in self.cycles if not c.in_progress]

    @property
    def latest_complete(self) -> CycleRow | None:
        done = self.complete_cycles
        return done[-1] if done else None

    @property
    def next_due(self) -> dt.date | None:
        return self.effect.next_due(self.last_session)

    @property
    def wearing_off_text(self) -> str:
        return clinician_wearing_off(self.estimate)


def policy_or_default(patient: Patient, name: str | None) -> str:
    """The requested built-in policy if known, else the clinic's default."""
    if name and name in POLICIES:
        return name
    default = patient.clinic.default_policy
    return default if default in POLICIES else "us-label"


def patient_outcomes(
    patient: Patient, today: dt.date, policy: str | None = None
) -> PatientOutcomes:
    """The patient's cycles, recommendation, wearing-off, decisions and timeline, under the
    clinic's ruleset (spec section 11)."""
    chosen = policy_or_default(patient, policy)
    case = build_case(patient, today)
    assessment = assess(case, chosen, ruleset=clinic_ruleset(patient.clinic))
    injections = case.injection_dates
    weekly = weekly_headache_days(case.days, injections, today, assessment.day_definition)
    decisions = list(
        ContinuationDecision.objects.filter(patient=patient)
        .select_related("decided_by")
        .order_by("decided_on", "id")
    )
    bridging = list(
        BridgingTreatment.objects.filter(patient=patient)
        .select_related("recorded_by")
        .order_by("date", "id")
    )
    questionnaires = list(
        QuestionnaireResponse.objects.filter(patient=patient).order_by("completed_on", "id")
    )
    last = max(injections, default=None)
    result = PatientOutcomes(
        patient=patient,
        today=today,
        policy=chosen,
        case=case,
        assessment=assessment,
        cycles=[CycleRow.of(c, assessment.rules) for c in assessment.cycles],
        weekly=weekly,
        estimate=schedule.wearing_off_estimate(weekly),
        decisions=decisions,
        bridging=bridging,
        questionnaires=questionnaires,
        effect=effect_of(decisions, last),
        last_session=last,
    )
    result.timeline = timeline(result)
    return result


def decision_title(d: ContinuationDecision) -> str:
    """`continue as before`, `change the interval to 77 days`, ..."""
    if d.decision == Decision.CHANGE_INTERVAL:
        return f"change the interval to {d.new_interval_days} days"
    return str(d.get_decision_display()).lower()


def timeline(outcomes: PatientOutcomes) -> list[TimelineItem]:
    """Sessions, decisions, bridging treatments and questionnaires, newest first."""
    items = [
        TimelineItem(inj.date, "session", f"Session {k}: {inj.units} U", f"{inj.sites} sites")
        for k, inj in enumerate(sorted(outcomes.case.injections, key=lambda i: i.date), start=1)
    ]
    for d in outcomes.decisions:
        snap = d.recommendation or {}
        rec = RECOMMENDATION_LABELS.get(snap.get("recommendation", ""), "–")
        by = d.decided_by.get_full_name() or d.decided_by.username
        items.append(
            TimelineItem(
                d.decided_on,
                "decision",
                f"Decision: {decision_title(d)}",
                f"{by}; recommendation under {d.policy} ({d.ruleset}): {rec}. Reason: {d.reason}",
            )
        )
    for b in outcomes.bridging:
        items.append(TimelineItem(b.date, "bridging", b.get_kind_display(), b.notes))
    for q in outcomes.questionnaires:
        items.append(
            TimelineItem(
                q.completed_on,
                "questionnaire",
                f"{q.get_instrument_display()}: {q.total}",
                f"{band_label(q.instrument, q.band)} (entered by the {q.source})",
            )
        )
    order = {"session": 0, "decision": 1, "bridging": 2, "questionnaire": 3}
    return sorted(items, key=lambda i: (i.date, -order[i.kind]), reverse=True)


# --- questionnaires -------------------------------------------------------------------------


def active_pack(clinic_id: int, instrument: str) -> ContentPack | None:
    """The newest active wording the clinic loaded for the instrument, if any."""
    return (
        ContentPack.objects.filter(clinic_id=clinic_id, instrument=instrument, active=True)
        .order_by("-loaded_at", "-id")
        .first()
    )


def item_labels(clinic_id: int) -> dict[str, str]:
    """The clinic's plain labels of questionnaire items, by item key (issue 16.5)."""
    return dict(ItemLabel.objects.filter(clinic_id=clinic_id).values_list("item_key", "label"))


@dataclass(frozen=True)
class QuestionnaireDue:
    """The questionnaire window from the treatment calendar (docs/domain-decisions.md)."""

    earliest: dt.date
    due: dt.date
    before_session: int
    done: bool


def questionnaire_due(
    patient: Patient,
    today: dt.date,
    session_dates: Sequence[dt.date],
    responses: Sequence[QuestionnaireResponse],
    decisions: Sequence[ContinuationDecision] = (),
) -> QuestionnaireDue | None:
    """The questionnaires before the next session not yet given, from the domain's plan.

    `done` when both HIT-6 and MIDAS were completed inside its window
    (the 7 days before the session, docs/domain-decisions.md). None when
    treatment is stopped or paused (no session planned).
    """
    plan = schedule.treatment_plan(
        consultation_date=min([patient.created_at.date(), *session_dates, today], default=today),
        session_dates=session_dates,
        decisions=plan_decisions(decisions),
    )
    for event in plan:
        if event.kind is not schedule.EventKind.QUESTIONNAIRE:
            continue
        if any(e.kind is schedule.EventKind.SESSION and e.cycle == event.cycle + 1 and e.recorded
               for e in plan):  # fmt: skip
            continue
        until = event.latest or event.date  # the session itself
        done = {
            r.instrument for r in responses if event.earliest <= r.completed_on <= max(until, today)
        } >= {Instrument.HIT6.value, Instrument.MIDAS.value}
        return QuestionnaireDue(event.earliest, until, event.cycle + 1, done)
    return None


#: The interval numbers for this patient (issue 14.5), from `treatment.queries`.
interval_rule = interval_rule_for


def plan_decisions(decisions: Sequence[ContinuationDecision]) -> list[DomainDecision]:
    """Decisions as the domain's treatment plan takes them (for the calendar): the plan
    folds them with `domain.decisions.effect_of`, as the session pages do (issue 14.7)."""
    return [domain_decision(d) for d in decisions]


# --- the patient's progress page ------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """A 4-week period of the patient's diary (28 days, as the clinic's windows)."""

    start: dt.date
    end: dt.date
    recorded_days: int
    headache_days: int
    per_28: float | None
    sessions: tuple[dt.date, ...]
    is_baseline: bool = False

    @property
    def rounded(self) -> int | None:
        return None if self.per_28 is None else int(self.per_28 + 0.5)


@dataclass
class Progress:
    periods: list[Period]
    baseline: Period | None
    latest: Period | None
    change_pct: float | None
    expect: list[str]
    wearing_off: schedule.WearingOffEstimate
    wearing_off_date: dt.date | None
    sessions: list[dt.date]


def progress(patient: Patient, today: dt.date, max_periods: int = 12) -> Progress:
    """4-week periods ending today (the latest first computed), the baseline, % change.

    The baseline is the domain's baseline window; % change compares the
    latest 4 weeks with it, exactly as a cycle's reduction (spec section 7). Days are
    counted and printed as the clinic's ruleset does (spec section 11).
    """
    rules = clinic_rules(patient.clinic)
    round1 = rules.one_decimal
    definition = rules.definition
    case = build_case(patient, today)
    days = case.days
    sessions = sorted(case.injection_dates)
    first_day = min(days, default=today)
    periods: list[Period] = []
    end = today
    while len(periods) < max_periods and end >= first_day:
        window = window_ending(days, end, definition)
        rate = window.rate("headache_days")
        periods.append(
            Period(
                window.start,
                window.end,
                window.recorded_days,
                window.headache_days,
                None if rate is None else round1(rate),
                tuple(s for s in sessions if window.start <= s <= window.end),
            )
        )
        end = window.start - dt.timedelta(days=1)
    periods.reverse()
    baseline_period = None
    change = None
    latest = periods[-1] if periods else None
    if sessions:
        b = window_ending(days, sessions[0] - dt.timedelta(days=1), definition)
        b_rate = b.rate("headache_days")
        baseline_period = Period(
            b.start,
            b.end,
            b.recorded_days,
            b.headache_days,
            None if b_rate is None else round1(b_rate),
            (),
            is_baseline=True,
        )
        current = window_ending(days, today, definition)
        c_rate = current.rate("headache_days")
        if b_rate and c_rate is not None and today > sessions[0]:
            change = round1((b_rate - c_rate) / b_rate * 100)
    weekly = weekly_headache_days(days, sessions, today, definition)
    estimate = schedule.wearing_off_estimate(weekly)
    wo_date = None
    if estimate.week is not None and sessions:
        wo_date = sessions[-1] + dt.timedelta(days=7 * (estimate.week - 1))
    return Progress(
        periods=periods,
        baseline=baseline_period,
        latest=latest,
        change_pct=change,
        expect=schedule.what_to_expect(
            today, sessions, interval_rule(patient, earliest_interval_days(patient.clinic))
        ),
        wearing_off=estimate,
        wearing_off_date=wo_date,
        sessions=sessions,
    )


# --- the one-page cycle summary -------------------------------------------------------------


@dataclass
class CycleSummary:
    """The figures of the one-page summary and the renewal letter (issue 6, item 6)."""

    outcomes: PatientOutcomes
    cycle: CycleRow | None
    overuse: MedicationOveruse | None
    adverse_events: list[Any]
    hit6: tuple[QuestionnaireResponse | None, QuestionnaireResponse | None]
    midas: tuple[QuestionnaireResponse | None, QuestionnaireResponse | None]
    decision: ContinuationDecision | None
    bridging: list[BridgingTreatment]

    @property
    def baseline(self) -> dict[str, Any]:
        return self.outcomes.baseline


def _first_and_latest(
    responses: Sequence[QuestionnaireResponse], instrument: str
) -> tuple[QuestionnaireResponse | None, QuestionnaireResponse | None]:
    rows = [r for r in responses if r.instrument == instrument]
    if not rows:
        return None, None
    return rows[0], rows[-1] if len(rows) > 1 else None


def cycle_summary(
    patient: Patient, today: dt.date, number: int | None = None, policy: str | None = None
) -> CycleSummary:
    """The summary of cycle `number` (default: the latest complete cycle, else the latest)."""
    outcomes = patient_outcomes(patient, today, policy)
    cycles = outcomes.cycles
    chosen = None
    if number is not None:
        chosen = next((c for c in cycles if c.number == number), None)
    if chosen is None:
        chosen = outcomes.latest_complete or (cycles[-1] if cycles else None)
    overuse = None
    events: list[Any] = []
    bridging: list[BridgingTreatment] = []
    decision = None
    if chosen is not None:
        rules = outcomes.assessment.rules
        window = window_ending(outcomes.case.days, chosen.window_end, rules.definition)
        if window.recorded_days >= MIN_RECORDED_DAYS:
            overuse = assess_medication_overuse(outcomes.case.days, window, rules)
        start = chosen.injection
        following = [c.injection for c in cycles if c.number == chosen.number + 1]
        end = following[0] - dt.timedelta(days=1) if following else today
        events = adverse_events_between(patient, start, end)
        bridging = [b for b in outcomes.bridging if start <= b.date <= end]
        decision = next((d for d in reversed(outcomes.decisions) if d.decided_on >= start), None)
    return CycleSummary(
        outcomes=outcomes,
        cycle=chosen,
        overuse=overuse,
        adverse_events=events,
        hit6=_first_and_latest(outcomes.questionnaires, Instrument.HIT6),
        midas=_first_and_latest(outcomes.questionnaires, Instrument.MIDAS),
        decision=decision,
        bridging=bridging,
    )


@dataclass(frozen=True)
class AdverseEventRow:
    onset: dt.date
    label: str
    severity: str
    serious: bool
    red_flag: bool


def adverse_events_between(patient: Patient, start: dt.date, end: dt.date) -> list[AdverseEventRow]:
    """The patient's adverse events with onset in [start, end], oldest first."""
    try:
        from cephalog.safety.queries import events_between
    except ImportError:  # the safety reads are being extended; fall back to the model
        rows = patient.adverse_events.filter(onset__range=(start, end)).order_by("onset", "id")
        return [
            AdverseEventRow(e.onset, e.get_symptom_display(), e.severity, e.serious, e.red_flag)
            for e in rows
        ]
    return [
        AdverseEventRow(e.onset, e.label, e.severity, e.serious, e.red_flag)
        for e in events_between(patient, start, end)
    ]


__all__ = [
    "WINDOW_DAYS",
    "CycleSummary",
    "PatientOutcomes",
    "Progress",
    "QuestionnaireDue",
    "active_pack",
    "cycle_summary",
    "patient_outcomes",
    "progress",
    "questionnaire_due",
    "weekly_headache_days",
]
