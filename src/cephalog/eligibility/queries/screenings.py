"""The screening page's reads: the screening with its evidence, the histories."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from cephalog.core.time import patient_today
from cephalog.domain.criteria import ChronicMigraine, MedicationOveruse
from cephalog.domain.policies import Eligibility, Policy, as_of_date
from cephalog.domain.rulesets import Ruleset
from cephalog.domain.windows import windows_before
from cephalog.eligibility import texts
from cephalog.eligibility.models import FlagSignOff, StartDecision
from cephalog.eligibility.queries.evidence import (
    CriterionRow,
    FlagRow,
    Gate,
    OveruseRow,
    PreventiveRow,
    overuse_rows,
    preventive_rows,
    window_evidence,
)
from cephalog.eligibility.queries.gate import Evaluation, evaluate
from cephalog.patients.models import Patient


def screening_date(patient: Patient) -> dt.date:
    """Screening is on the patient's local date, like the diary."""
    return patient_today(patient)


@dataclass
class Screening:
    """Everything the screening page, the letter and the patient's page show."""

    evaluation: Evaluation
    as_of: dt.date
    baseline: dict[str, Any]
    earlier_windows: list[dict[str, Any]]
    preventives: list[PreventiveRow]
    failed_count: int
    overuse_rows: list[OveruseRow]
    criteria: list[CriterionRow]
    hard_stops: list[texts.CodeText]
    flags: list[FlagRow]
    has_injections: bool

    @property
    def policy(self) -> Policy:
        return self.evaluation.policy

    @property
    def eligibility(self) -> Eligibility:
        return self.evaluation.eligibility

    @property
    def ruleset(self) -> Ruleset:
        return self.evaluation.ruleset

    @property
    def day_definition(self) -> str:
        """`label` or `ichd3`: the days this screening counted (spec section 11.1)."""
        return self.evaluation.assessment.day_definition.value

    @property
    def chronic_migraine_title(self) -> str:
        """What the chronic-migraine criterion was measured by: never "ICHD-3" for label days."""
        if self.ruleset.day_definition_by_policy and self.day_definition == "label":
            return "Chronic migraine, label day definition (headache of 4 h or more)"
        if self.ruleset.day_definition_by_policy:
            return "Chronic migraine (ICHD-3 1.3, ICHD-3 day definition)"
        return "Chronic migraine (ICHD-3 1.3)"

    @property
    def status(self) -> str:
        return self.eligibility.status

    @property
    def gate(self) -> Gate:
        return self.evaluation.gate

    @property
    def signed_flags(self) -> int:
        return sum(flag.signed for flag in self.flags)

    @property
    def overuse(self) -> MedicationOveruse:
        return self.evaluation.assessment.medication_overuse

    @property
    def chronic_migraine(self) -> ChronicMigraine:
        return self.evaluation.assessment.chronic_migraine


def screening(patient: Patient, on: dt.date, policy: Policy) -> Screening:
    """The screening of `patient` under `policy` with the evidence behind each criterion."""
    evaluation = evaluate(patient, on, policy)
    case = evaluation.case
    rules = evaluation.assessment.rules
    days = case.days
    baseline = evaluation.assessment.baseline
    before = windows_before(days, baseline, 2, rules.definition)
    as_of = as_of_date(case)
    rows = preventive_rows(patient, as_of, on, rules.ruleset.preventives_by_drug)
    eligibility = evaluation.eligibility
    return Screening(
        evaluation=evaluation,
        as_of=as_of,
        baseline=window_evidence(baseline, "Baseline", rules),
        earlier_windows=[
            window_evidence(before[1], "Two windows before", rules),
            window_evidence(before[0], "Window before", rules),
        ],
        preventives=rows,
        failed_count=sum(row.counted for row in rows),
        overuse_rows=overuse_rows((before[1], before[0], baseline), rules),
        criteria=[
            CriterionRow(
                code=c.code,
                title=texts.criterion_title(c.code),
                met=c.met,
                detail=c.detail,
                source=c.source,
                anchor=texts.EVIDENCE_ANCHORS.get(c.code, ""),
            )
            for c in eligibility.criteria
        ],
        hard_stops=[texts.hard_stop_text(code) for code in eligibility.hard_stops],
        flags=[
            FlagRow(texts.flag_text(code), evaluation.sign_offs.get(code))
            for code in eligibility.flags
        ],
        has_injections=bool(case.injections),
    )


def decision_history(patient: Patient) -> list[StartDecision]:
    return list(StartDecision.objects.filter(patient=patient).select_related("decided_by")[:20])


def sign_off_history(patient: Patient) -> list[FlagSignOff]:
    return list(FlagSignOff.objects.filter(patient=patient).select_related("signed_by")[:50])
