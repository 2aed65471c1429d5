"""A patient's eligibility under a policy, with its sign-offs, the covering decision
and the gate a session start passes."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from cephalog.accounts.rules_queries import UnknownPolicy, clinic_ruleset, policy_for
from cephalog.domain.assess import Assessment, assess
from cephalog.domain.case import Case
from cephalog.domain.policies import Eligibility, Policy
from cephalog.domain.rulesets import Ruleset
from cephalog.eligibility import texts
from cephalog.eligibility.case import build_case
from cephalog.eligibility.models import FlagSignOff, StartDecision
from cephalog.eligibility.queries.evidence import Gate
from cephalog.patients.models import Patient


def latest_sign_offs(patient: Patient, policy: str) -> dict[str, FlagSignOff]:
    """The latest sign-off of each flag under `policy`."""
    latest: dict[str, FlagSignOff] = {}
    for row in FlagSignOff.objects.filter(patient=patient, policy=policy).select_related(
        "signed_by"
    ):
        latest.setdefault(row.flag, row)
    return latest


def problems_of(eligibility: Eligibility, signed: set[str]) -> list[str]:
    """What a decision to start would have to accept: unsigned flags, criteria not met/unknown."""
    problems = [f"flag:{flag}" for flag in eligibility.flags if flag not in signed]
    problems += [
        f"criterion:{criterion.code}"
        for criterion in eligibility.criteria
        if criterion.met is not True
    ]
    return sorted(problems)


def covering_decision(patient: Patient, policy: str, problems: list[str]) -> StartDecision | None:
    """The latest decision to start under `policy`, if it accepted every current problem.

    A decision made on findings that have since changed for the worse (a new
    flag not signed off, a criterion no longer met) no longer covers; one
    whose accepted problems have since gone away still does.
    """
    latest = (
        StartDecision.objects.filter(patient=patient, policy=policy)
        .select_related("decided_by")
        .first()
    )
    if latest is None or not set(problems) <= set(latest.problems):
        return None
    return latest


@dataclass
class Evaluation:
    """The eligibility of a patient under a policy, with sign-offs and the covering decision."""

    patient: Patient
    policy: Policy
    on: dt.date
    case: Case
    assessment: Assessment
    sign_offs: dict[str, FlagSignOff]
    problems: list[str]
    decision: StartDecision | None
    gate: Gate = field(init=False)

    @property
    def eligibility(self) -> Eligibility:
        return self.assessment.eligibility

    @property
    def ruleset(self) -> Ruleset:
        return self.assessment.ruleset

    def __post_init__(self) -> None:
        eligibility = self.eligibility
        hard = list(eligibility.hard_stops)
        reasons = [
            f"hard stop: {texts.hard_stop_text(code).label} (cannot be overridden)" for code in hard
        ]
        reasons += [texts.problem_text(problem) for problem in self.problems]
        if not hard and self.decision is None:
            if StartDecision.objects.filter(patient=self.patient, policy=self.policy.name).exists():
                reasons.append(
                    "the recorded decision to start was made on other findings: "
                    "a physician records it again"
                )
            else:
                reasons.append(f"no decision to start recorded under {self.policy.label}")
        self.gate = Gate(
            allowed=not hard and self.decision is not None,
            needs_override=not hard and bool(self.problems),
            hard_stops=hard,
            reasons=reasons,
            status=eligibility.status,
            policy=self.policy.name,
            decision_id=None if hard or self.decision is None else self.decision.pk,
            policy_label=self.policy.label,
        )


def evaluate(
    patient: Patient, on: dt.date, policy: Policy, ruleset: Ruleset | None = None
) -> Evaluation:
    """Assess `patient` on `on` under `policy` and the clinic's ruleset (or `ruleset`),
    exactly as `cephalog assess --ruleset` would."""
    case = build_case(patient, on)
    chosen = ruleset if ruleset is not None else clinic_ruleset(patient.clinic)
    assessment = assess(case, policy=policy, ruleset=chosen)
    sign_offs = latest_sign_offs(patient, policy.name)
    problems = problems_of(assessment.eligibility, set(sign_offs))
    return Evaluation(
        patient=patient,
        policy=policy,
        on=on,
        case=case,
        assessment=assessment,
        sign_offs=sign_offs,
        problems=problems,
        decision=covering_decision(patient, policy.name, problems),
    )


def start_gate(patient: Patient, on: dt.date) -> Gate:
    """May a session start for `patient` on `on`, under the clinic's default policy?

    Allowed when a physician's decision to start covers the current screening
    and there is no hard stop (age under 18, toxin hypersensitivity,
    infection at the injection sites: these block, clinically, whatever the
    reason given). `needs_override` says the decision had to, or will have
    to, carry an override reason.
    """
    try:
        policy = policy_for(patient.clinic)
    except UnknownPolicy as error:
        # Fail closed: a clinic whose default names no policy cannot screen anyone.
        return Gate(
            allowed=False,
            needs_override=False,
            hard_stops=[],
            reasons=[f"the clinic's default policy cannot be used: {error}"],
            status="unknown",
            policy=patient.clinic.default_policy,
        )
    return evaluate(patient, on, policy).gate
