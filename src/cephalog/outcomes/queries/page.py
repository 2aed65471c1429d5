"""The outcomes page: a patient's cycles, decisions and timeline."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from cephalog.accounts.rules_queries import clinic_ruleset
from cephalog.domain import schedule
from cephalog.domain.assess import Assessment, assess
from cephalog.domain.case import Case
from cephalog.domain.cycles import Cycle
from cephalog.domain.policies import POLICIES, Continuation, policy_label
from cephalog.domain.rulesets import Rules, Ruleset
from cephalog.domain.windows import Window
from cephalog.eligibility.case import build_case
from cephalog.outcomes.actions import DecisionEffect, effect_of
from cephalog.outcomes.models import (
    BridgingTreatment,
    ContinuationDecision,
    Decision,
    QuestionnaireResponse,
)
from cephalog.outcomes.queries.weekly import (
    RECOMMENDATION_LABELS,
    band_label,
    clinician_wearing_off,
    weekly_headache_days,
)
from cephalog.patients.models import Patient


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
    #: Current bridging treatments only: the withdrawn ones are in `bridging_withdrawn`,
    #: shown on the outcomes page as withdrawn and nowhere else.
    bridging: list[BridgingTreatment]
    bridging_withdrawn: list[BridgingTreatment]
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
    recorded = list(
        BridgingTreatment.objects.filter(patient=patient)
        .select_related("recorded_by", "withdrawn_by")
        .order_by("date", "id")
    )
    bridging = [b for b in recorded if b.withdrawn_at is None]
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
        bridging_withdrawn=[b for b in recorded if b.withdrawn_at is not None],
        questionnaires=questionnaires,
        effect=effect_of(decisions, last),
        last_session=last,
    )
    result.timeline = timeline(result)
    return result


def bridging_treatment(patient: Patient, bridging_id: int) -> BridgingTreatment | None:
    """One of the patient's bridging treatments (None when the id is not hers)."""
    return BridgingTreatment.objects.filter(pk=bridging_id, patient=patient).first()


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
                f"{by}; recommendation under {policy_label(d.policy)} ({d.ruleset}): {rec}. "
                f"Reason: {d.reason}",
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
