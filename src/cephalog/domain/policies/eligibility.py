"""Eligibility under a policy (spec section 6)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from cephalog.domain.case import Case
from cephalog.domain.criteria import ChronicMigraine, MedicationOveruse
from cephalog.domain.policies.model import (
    CHRONIC_MIGRAINE_SOURCE,
    CHRONIC_MIGRAINE_SOURCES,
    RECENT_TOXIN_DAYS,
    Policy,
)
from cephalog.domain.preventive_catalogue import drug_key
from cephalog.domain.rulesets import LEGACY, Rules
from cephalog.domain.vocab import (
    FAILED_OUTCOMES,
    HARD_STOP_CONDITIONS,
    INTERACTING_MEDICATION_CLASSES,
    Allergy,
    Condition,
)

# --- Eligibility (spec section 6) -----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Criterion:
    """One eligibility criterion: met True/False/None, why, and where it comes from."""

    code: str
    met: bool | None
    detail: str
    source: str

    def to_dict(self) -> dict[str, Any]:
        """The criterion object of spec section 6 (with the allowed `source` key)."""
        return {"code": self.code, "met": self.met, "detail": self.detail, "source": self.source}


@dataclass(frozen=True, slots=True)
class Eligibility:
    """Eligibility under one policy (spec section 6)."""

    policy: str
    as_of: dt.date
    status: str
    hard_stops: tuple[str, ...]
    flags: tuple[str, ...]
    criteria: tuple[Criterion, ...]

    def to_dict(self) -> dict[str, Any]:
        """The `eligibility` object of the assessment (spec sections 6 and 10)."""
        return {
            "policy": self.policy,
            "as_of": self.as_of.isoformat(),
            "status": self.status,
            "hard_stops": list(self.hard_stops),
            "flags": list(self.flags),
            "criteria": [criterion.to_dict() for criterion in self.criteria],
        }


def as_of_date(case: Case) -> dt.date:
    """The first injection's date, or `assessed_on` without injections (spec section 6)."""
    return min(case.injection_dates, default=case.assessed_on)


def age_on(birth_date: dt.date, day: dt.date) -> int:
    """Age in whole years on `day` (spec section 6).

    Someone born on 29 February turns a year older on 1 March in other years.
    """
    before_birthday = (day.month, day.day) < (birth_date.month, birth_date.day)
    return day.year - birth_date.year - before_birthday


def preventive_key(name: str, by_drug: bool = False) -> str:
    """What makes two preventives the same for the count (spec sections 6 and 11.3).

    standard-1: the name without case or surrounding spaces. standard-2: the
    drug, `preventive_catalogue.drug_key` (brand names and salts mapped to
    the generic, then the case-folded first word): "Propranolol MR 80 mg"
    and "propranolol" are one drug.
    """
    return drug_key(name) if by_drug else name.strip().casefold()


def failed_preventives(case: Case, as_of: dt.date, by_drug: bool = False) -> tuple[str, ...]:
    """Distinct failed preventives, sorted (spec section 6; 11.3 with `by_drug`).

    Failed means outcome inadequate_response, intolerance or contraindicated,
    started on or before `as_of` (a preventive without a start date is a past
    one). Names compare without case or surrounding spaces; with `by_drug`
    (standard-2) distinct drugs count, and each is shown by its first name.
    """
    names: dict[str, str] = {}
    for preventive in case.preventives:
        if preventive.outcome not in FAILED_OUTCOMES:
            continue
        if preventive.start is not None and preventive.start > as_of:
            continue
        names.setdefault(preventive_key(preventive.name, by_drug), preventive.name.strip())
    return tuple(sorted(names.values(), key=str.casefold))


def eligibility_flags(
    case: Case, as_of: dt.date, overuse: MedicationOveruse, policy: Policy
) -> tuple[str, ...]:
    """Flags needing a clinician's sign-off (spec section 6), sorted.

    Conditions other than the hard stops; interacting medications current on
    `as_of`; toxin exposure on or after `as_of - 90 days` and before `as_of`;
    medication overuse when the policy does not make managed overuse a criterion.
    """
    flags = {code for code in case.conditions if code not in HARD_STOP_CONDITIONS}
    for medication in case.medications:
        if medication.drug_class in INTERACTING_MEDICATION_CLASSES and medication.current_on(as_of):
            flags.add(f"interacting_medication:{medication.drug_class}")
    earliest = as_of - dt.timedelta(days=RECENT_TOXIN_DAYS)
    if any(earliest <= exposure.date < as_of for exposure in case.toxin_exposures):
        flags.add("recent_toxin_exposure")
    if overuse.met is True and not policy.overuse_managed_required:
        flags.add("medication_overuse")
    return tuple(sorted(flags))


def assess_eligibility(
    case: Case,
    policy: Policy,
    chronic_migraine: ChronicMigraine,
    medication_overuse: MedicationOveruse,
    rules: Rules = LEGACY,
) -> Eligibility:
    """Eligibility for onabotulinumtoxinA under `policy` (spec section 6).

    `not_eligible` on a hard stop (age under 18, toxin hypersensitivity,
    injection-site infection) or a criterion not met; otherwise
    `needs_review` when a criterion is unknown or a flag is raised;
    otherwise `eligible`.
    """
    as_of = as_of_date(case)
    hard_stops = _hard_stops(case, policy, as_of)
    criteria = _criteria(case, as_of, policy, chronic_migraine, medication_overuse, rules)
    flags = eligibility_flags(case, as_of, medication_overuse, policy)
    if hard_stops or any(criterion.met is False for criterion in criteria):
        status = "not_eligible"
    elif flags or any(criterion.met is None for criterion in criteria):
        status = "needs_review"
    else:
        status = "eligible"
    return Eligibility(
        policy=policy.name,
        as_of=as_of,
        status=status,
        hard_stops=tuple(sorted(hard_stops)),
        flags=flags,
        criteria=tuple(criteria),
    )


def _hard_stops(case: Case, policy: Policy, as_of: dt.date) -> set[str]:
    """Age under the policy's minimum, toxin hypersensitivity, injection-site infection."""
    hard_stops: set[str] = set()
    if age_on(case.patient.birth_date, as_of) < policy.minimum_age:
        hard_stops.add(f"age_under_{policy.minimum_age}")
    if Allergy.BOTULINUM_TOXIN in case.allergies:
        hard_stops.add("toxin_hypersensitivity")
    if Condition.INJECTION_SITE_INFECTION in case.conditions:
        hard_stops.add("injection_site_infection")
    return hard_stops


def _criteria(
    case: Case,
    as_of: dt.date,
    policy: Policy,
    chronic_migraine: ChronicMigraine,
    medication_overuse: MedicationOveruse,
    rules: Rules,
) -> list[Criterion]:
    """The policy's criteria: chronic migraine, failed preventives, overuse managed."""
    criteria = [
        Criterion(
            "chronic_migraine",
            chronic_migraine.met,
            chronic_migraine.detail,
            f"{policy.source}; "
            + (
                CHRONIC_MIGRAINE_SOURCES[rules.definition]
                if rules.named
                else CHRONIC_MIGRAINE_SOURCE
            ),
        )
    ]
    if policy.failed_preventives_required is not None:
        required = policy.failed_preventives_required
        names = failed_preventives(case, as_of, rules.ruleset.preventives_by_drug)
        detail = f"{len(names)} of {required} required"
        if names:
            detail += f" ({', '.join(names)})"
        criteria.append(
            Criterion("failed_preventives", len(names) >= required, detail, policy.source)
        )
    if policy.overuse_managed_required:
        criteria.append(
            Criterion(
                "medication_overuse_managed",
                None if medication_overuse.met is None else not medication_overuse.met,
                _overuse_managed_detail(medication_overuse, rules),
                policy.source,
            )
        )
    return criteria


def _overuse_managed_detail(overuse: MedicationOveruse, rules: Rules = LEGACY) -> str:
    if overuse.met is None:
        return overuse.detail
    if overuse.met:
        return f"medication overuse ({', '.join(overuse.classes)}): manage before starting"
    if rules.named:
        return f"no overuse ({rules.definition} headache days)"
    return "no overuse"
