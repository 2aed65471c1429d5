"""Reads for eligibility: the clinic's policies, the screening with its evidence, the gate.

Every screening builds the patient's case with `eligibility.case.build_case` and
runs `domain.assess.assess` on it, so the page, the letter, the gate and
`cephalog assess` compute the same eligibility (spec section 6). The
evidence (windows, preventives, overuse figures) is recomputed with the same
domain functions the assessment uses.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Any

from cephalog.accounts.models import Clinic
from cephalog.core.time import patient_today
from cephalog.domain.assess import Assessment, assess
from cephalog.domain.case import Case
from cephalog.domain.criteria import ChronicMigraine, MedicationOveruse, multiple_holds
from cephalog.domain.intervals import EARLIEST_INTERVAL_DAYS
from cephalog.domain.policies import (
    POLICIES,
    Eligibility,
    Policy,
    PolicyError,
    as_of_date,
    preventive_key,
)
from cephalog.domain.rulesets import DEFAULT_RULESET, RULESETS, Rules, Ruleset
from cephalog.domain.vocab import FAILED_OUTCOMES, MULTIPLE_THRESHOLD, OVERUSE_THRESHOLDS
from cephalog.domain.windows import (
    MIN_RECORDED_DAYS,
    WINDOW_DAYS,
    Window,
    windows_before,
)
from cephalog.eligibility import texts
from cephalog.eligibility.case import build_case
from cephalog.eligibility.models import ClinicPolicy, ClinicRuleset, FlagSignOff, StartDecision
from cephalog.ops import clinic_cache
from cephalog.patients.models import Patient, Preventive


class UnknownPolicy(LookupError):
    """A policy name that is neither built in nor defined by the clinic."""


# --- Ruleset and policies -------------------------------------------------------------------


def clinic_ruleset(clinic: Clinic) -> Ruleset:
    """The ruleset the clinic assesses with (spec section 11): its choice, else standard-2."""
    name = (
        ClinicRuleset.objects.filter(clinic=clinic).values_list("ruleset", flat=True).first()
        or DEFAULT_RULESET
    )
    return RULESETS.get(name, RULESETS[DEFAULT_RULESET])


@dataclass(frozen=True)
class PolicyOption:
    name: str
    title: str
    builtin: bool
    is_default: bool


def policy_for(clinic: Clinic, name: str | None = None) -> Policy:
    """The domain policy called `name`, or the clinic's default (Clinic.default_policy).

    A built-in name (`us-label`, `us-payer`, `nice-ta260`, `ehf-2018`) always
    means the built-in policy; any other name is one of the clinic's own
    ClinicPolicy rows. Raises UnknownPolicy otherwise.
    """
    name = name or clinic.default_policy
    if name in POLICIES:
        return POLICIES[name]
    row = ClinicPolicy.objects.filter(clinic=clinic, name=name).first()
    if row is None:
        known = ", ".join(option.name for option in policy_options(clinic))
        raise UnknownPolicy(f"unknown policy {name!r}; choose one of {known}")
    try:
        return row.to_policy()
    except PolicyError as error:  # only if a row was written around the actions
        raise UnknownPolicy(f"policy {name!r} has a bad definition: {error}") from None


def earliest_interval_days(clinic: Clinic) -> int:
    """The earliest-next-session interval of the clinic's policy (spec §9: 77 or 84 days);
    the domain's default when the clinic's policy is unknown."""
    try:
        return policy_for(clinic).earliest_interval_days
    except UnknownPolicy:
        return EARLIEST_INTERVAL_DAYS


def clinic_rules(clinic: Clinic, policy_name: str | None = None) -> Rules:
    """The clinic's ruleset with the day definition of its default policy (or `policy_name`):
    what every page counting a patient's days uses (spec section 11.1)."""
    ruleset = clinic_ruleset(clinic)
    try:
        definition = policy_for(clinic, policy_name).day_definition
    except UnknownPolicy:
        definition = "label"
    return Rules.of(ruleset, definition)


def clinic_rules_by_id(
    *, clinic_id: int | None = None, patient_id: uuid.UUID | None = None
) -> Rules:
    """`clinic_rules` of a clinic (or a patient's clinic) not loaded yet, in one query, for
    the busiest API paths; by clinic from the shared cache (cephalog.ops.clinic_cache)."""
    if clinic_id is not None:
        clinics = Clinic.objects.filter(pk=clinic_id)
        ruleset, definition = clinic_cache.cached(clinic_id, "rules", lambda: _rules_of(clinics))
    elif patient_id is not None:
        ruleset, definition = _rules_of(Clinic.objects.filter(patients__pk=patient_id))
    else:
        raise TypeError("clinic_rules_by_id needs clinic_id or patient_id")
    return Rules.of(ruleset, definition)


def _rules_of(clinics: Any) -> tuple[str, str]:
    """(ruleset name, day definition) of the one clinic in `clinics`."""
    row = clinics.values_list("id", "default_policy", "ruleset_setting__ruleset").first()
    if row is None:
        return DEFAULT_RULESET, "label"
    clinic_id, policy_name, ruleset = row
    ruleset = ruleset if ruleset in RULESETS else DEFAULT_RULESET
    if policy_name in POLICIES:
        return ruleset, POLICIES[policy_name].day_definition
    own = ClinicPolicy.objects.filter(clinic_id=clinic_id, name=policy_name).first()
    try:
        definition = own.to_policy().day_definition if own is not None else "label"
    except PolicyError:
        definition = "label"
    return ruleset, definition


def policy_options(clinic: Clinic) -> list[PolicyOption]:
    """The built-in policies, then the clinic's own, each marked when it is the default."""
    options = [
        PolicyOption(p.name, p.title, True, p.name == clinic.default_policy)
        for p in POLICIES.values()
    ]
    for row in ClinicPolicy.objects.filter(clinic=clinic).only("name", "title"):
        options.append(PolicyOption(row.name, row.title, False, row.name == clinic.default_policy))
    return options


# --- Evidence ------------------------------------------------------------------------------


def window_evidence(window: Window, label: str, rules: Rules) -> dict[str, Any]:
    """A window object (spec section 3) with its label and diary compliance."""
    data = window.to_dict(rules.one_decimal)
    data["label"] = label
    data["start_date"] = window.start
    data["end_date"] = window.end
    data["compliance_pct"] = round(window.recorded_days * 100 / WINDOW_DAYS)
    data["days"] = WINDOW_DAYS
    data["needed"] = MIN_RECORDED_DAYS
    return data


@dataclass(frozen=True)
class PreventiveRow:
    """One recorded preventive, and whether the failed-preventives count includes it."""

    preventive: Preventive
    trial_days: int | None
    counted: bool
    why: str


@dataclass(frozen=True)
class OveruseRow:
    """Per-28 days of one acute class in the three overuse windows, oldest first."""

    label: str
    threshold: int
    rates: list[float | None]
    qualifies: bool


@dataclass(frozen=True)
class FlagRow:
    text: texts.CodeText
    sign_off: FlagSignOff | None

    @property
    def signed(self) -> bool:
        return self.sign_off is not None


@dataclass(frozen=True)
class CriterionRow:
    code: str
    title: str
    met: bool | None
    detail: str
    source: str
    anchor: str


@dataclass(frozen=True)
class Gate:
    """May a treatment session start? (for `treatment.actions.start_session`)

    - `allowed`: a physician's StartDecision covers the current screening and
      there is no hard stop.
    - `needs_override`: a criterion is not met or unknown, or a flag is not
      signed off; a decision to start must then carry an override reason.
    - `hard_stops`: never overridable; `allowed` is then always False.
    - `reasons`: why it is not (or only by override) allowed, in words.
    """

    allowed: bool
    needs_override: bool
    hard_stops: list[str]
    reasons: list[str]
    status: str
    policy: str = ""
    decision_id: int | None = None


def trial_days(preventive: Preventive, on: dt.date) -> int | None:
    """Days from start to stop (or to `on` while it is still taken); None without a start."""
    if preventive.start is None:
        return None
    end = preventive.stop or on
    return max((end - preventive.start).days, 0)


def preventive_rows(
    patient: Patient, as_of: dt.date, on: dt.date, by_drug: bool = False
) -> list[PreventiveRow]:
    """Each preventive with the spec section 6 verdict: failed, started by `as_of`, by name
    (standard-1) or by drug (standard-2, spec section 11.3: "Propranolol MR 80 mg" = propranolol)."""
    rows = []
    seen: set[str] = set()
    for p in patient.preventives.all():
        key = preventive_key(p.name, by_drug)
        if p.outcome not in FAILED_OUTCOMES:
            counted, why = False, f"not counted: {p.get_outcome_display().lower()}"
        elif p.start is not None and p.start > as_of:
            counted, why = False, f"not counted: started after {as_of:%-d %b %Y}"
        elif key in seen:
            counted, why = (
                False,
                "same drug as above: counted once"
                if by_drug
                else "same name as above: counted once",
            )
        else:
            counted, why = True, "counted"
            seen.add(key)
        rows.append(PreventiveRow(p, trial_days(p, on), counted, why))
    return rows


def overuse_rows(windows: tuple[Window, ...], rules: Rules) -> list[OveruseRow]:
    """The overuse screen's figures (spec section 5) for the classes taken, and "multiple"
    (under standard-2 with at least two classes in each window, spec section 11.2)."""
    round1 = rules.one_decimal
    rows = []
    taken = {cls for window in windows for cls, _ in window.by_class}
    for drug_class, threshold in OVERUSE_THRESHOLDS.items():
        if drug_class not in taken:
            continue
        rates = [window.class_rate(drug_class) for window in windows]
        rows.append(
            OveruseRow(
                drug_class.replace("_", " "),
                threshold,
                [None if r is None else round1(r) for r in rates],
                all(r is not None and r >= threshold for r in rates),
            )
        )
    totals = [window.overuse_rate() for window in windows]
    label = "any of these (multiple)"
    if rules.ruleset.multiple_needs_two_classes:
        label = "any of these, 2 or more classes (multiple)"
    rows.append(
        OveruseRow(
            label,
            MULTIPLE_THRESHOLD,
            [None if r is None else round1(r) for r in totals],
            all(multiple_holds(window, rules) for window in windows),
        )
    )
    return rows


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
                reasons.append(f"no decision to start recorded under {self.policy.name}")
        self.gate = Gate(
            allowed=not hard and self.decision is not None,
            needs_override=not hard and bool(self.problems),
            hard_stops=hard,
            reasons=reasons,
            status=eligibility.status,
            policy=self.policy.name,
            decision_id=None if hard or self.decision is None else self.decision.pk,
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
            return "Chronic migraine (ICHD-3 1.3, ichd3 day definition)"
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
