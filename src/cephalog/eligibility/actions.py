"""All writes of the consultation record, clinic policies, sign-offs and decisions to start.

Each function is one use case: keyword-only arguments, one transaction,
`full_clean()`, and an audit row written in the same transaction. Values
the case format knows (preventives, medicines, toxin exposures) are checked
with the domain's own validators, so the consultation page refuses exactly
what `cephalog assess` would refuse, with the same messages (spec section 1).
Audit details hold ids, codes of what changed and counts, never names.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from cephalog.accounts.access import require_role
from cephalog.accounts.models import Clinic, Role, User
from cephalog.audit.actions import record
from cephalog.core.errors import AppError
from cephalog.domain import preventive_catalogue
from cephalog.domain.case import validate_medication, validate_preventive, validate_toxin_exposure
from cephalog.domain.policies import POLICIES
from cephalog.domain.rulesets import DEFAULT_RULESET, RULESET_NAMES
from cephalog.domain.vocab import CONDITION_CODES
from cephalog.eligibility import queries, texts
from cephalog.eligibility.models import ClinicPolicy, ClinicRuleset, FlagSignOff, StartDecision
from cephalog.patients.models import (
    Allergy,
    Condition,
    Medication,
    Patient,
    Preventive,
    ToxinExposure,
)

CLINICAL = (Role.PHYSICIAN, Role.NURSE)
REASON_MAX = 1000


class EligibilityError(AppError):
    """Refused input: `problems` holds one message per problem, each naming its field."""


def _iso(value: dt.date | None) -> str | None:
    return None if value is None else value.isoformat()


def _changed(instance: Any, before: dict[str, Any], fields: Iterable[str]) -> list[str]:
    return sorted(f for f in fields if before.get(f) != getattr(instance, f))


def _full_clean(instance: Any, exclude: Sequence[str] = ()) -> None:
    try:
        instance.full_clean(exclude=list(exclude))
    except ValidationError as error:
        raise EligibilityError(
            [f"{name}: {' '.join(messages)}" for name, messages in error.message_dict.items()]
        ) from None


# --- Migraine history ----------------------------------------------------------------------

HISTORY_FIELDS = (
    "migraine_onset_year",
    "migraine_with_aura",
    "chronic_headache_since",
    "intractable",
    "status_migrainosus",
)


@transaction.atomic
def update_history(
    *,
    patient: Patient,
    by: User,
    today: dt.date,
    migraine_onset_year: int | None,
    migraine_with_aura: bool,
    chronic_headache_since: dt.date | None,
    intractable: bool,
    status_migrainosus: bool,
) -> Patient:
    """Migraine onset, aura, the date since which headache is on >= 15 days a month, and the
    intractable / status migrainosus axes of the ICD-10-CM code (clinical reference 9.1)."""
    require_role(by, patient.clinic, CLINICAL, "edit the consultation record")
    problems = []
    if migraine_onset_year is not None and not (
        patient.birth_date.year <= migraine_onset_year <= today.year
    ):
        problems.append(
            f"migraine_onset_year: must be between the year of birth "
            f"{patient.birth_date.year} and {today.year}, got {migraine_onset_year}"
        )
    if chronic_headache_since is not None and not (
        patient.birth_date <= chronic_headache_since <= today
    ):
        problems.append(
            "chronic_headache_since: must be between the date of birth and today, "
            f"got {chronic_headache_since.isoformat()}"
        )
    if problems:
        raise EligibilityError(problems)
    before = {f: getattr(patient, f) for f in HISTORY_FIELDS}
    patient.migraine_onset_year = migraine_onset_year
    patient.migraine_with_aura = migraine_with_aura
    patient.chronic_headache_since = chronic_headache_since
    patient.intractable = intractable
    patient.status_migrainosus = status_migrainosus
    _full_clean(patient)
    patient.save(update_fields=[*HISTORY_FIELDS, "updated_at"])
    record(
        action="update",
        category="migraine_history",
        patient=patient,
        object_ref=f"patient:{patient.pk}",
        detail={"fields": _changed(patient, before, HISTORY_FIELDS)},
    )
    return patient


# --- Preventives, medicines, toxin exposures -----------------------------------------------

PREVENTIVE_FIELDS = ("name", "drug_class", "dose", "start", "stop", "outcome")
MEDICATION_FIELDS = ("name", "drug_class", "start", "stop")


def _domain_problems(
    validate: Any, item: dict[str, Any], start: dt.date | None, stop: dt.date | None
) -> list[str]:
    """The domain validator's messages (spec section 1). A blank name or class is left out
    of the item: its problem ("required", "not in the catalogue") is reported already."""
    data = {key: value for key, value in item.items() if value}
    data["start"], data["stop"] = _iso(start), _iso(stop)
    skip = {key for key, value in item.items() if not value}
    return [p for p in validate(data) if p.partition(":")[0] not in skip]


def _class_from_catalogue(name: str, drug_class: str, lookup: Any, problems: list[str]) -> str:
    if drug_class:
        return drug_class
    found = lookup(name) if name else None
    if found is None:
        if name:
            problems.append(f'class: "{name}" is not in the catalogue; choose its class')
        return ""
    return str(found)


@transaction.atomic
def save_preventive(
    *,
    patient: Patient,
    by: User,
    name: str,
    outcome: str,
    drug_class: str = "",
    dose: str = "",
    start: dt.date | None = None,
    stop: dt.date | None = None,
    preventive: Preventive | None = None,
) -> Preventive:
    """Add a preventive (or change `preventive`). A blank class comes from the catalogue
    (clinical reference 5.4); a name it does not know needs a class."""
    require_role(by, patient.clinic, CLINICAL, "edit the consultation record")
    if preventive is not None and preventive.patient_id != patient.pk:
        raise PermissionDenied("That preventive belongs to another patient.")
    name = " ".join(name.split())
    problems = [] if name else ["name: required"]
    drug_class = _class_from_catalogue(
        name, drug_class, preventive_catalogue.preventive_class, problems
    )
    item = {"name": name, "class": drug_class, "outcome": outcome}
    problems += _domain_problems(validate_preventive, item, start, stop)
    if problems:
        raise EligibilityError(problems)
    creating = preventive is None
    target = preventive if preventive is not None else Preventive(patient=patient)
    before = {f: getattr(target, f) for f in PREVENTIVE_FIELDS}
    target.name, target.drug_class, target.dose = name, drug_class, dose.strip()
    target.start, target.stop, target.outcome = start, stop, outcome
    _full_clean(target)
    target.save()
    record(
        action="create" if creating else "update",
        category="preventive",
        patient=patient,
        object_ref=f"preventive:{target.pk}",
        detail={"fields": _changed(target, before, PREVENTIVE_FIELDS)},
    )
    return target


@transaction.atomic
def remove_preventive(*, preventive: Preventive, by: User) -> None:
    """Remove a preventive recorded in error; the audit row of the removal stays."""
    patient = preventive.patient
    require_role(by, patient.clinic, CLINICAL, "edit the consultation record")
    ref = f"preventive:{preventive.pk}"
    preventive.delete()
    record(action="delete", category="preventive", patient=patient, object_ref=ref)


@transaction.atomic
def save_medication(
    *,
    patient: Patient,
    by: User,
    name: str,
    drug_class: str = "",
    start: dt.date | None = None,
    stop: dt.date | None = None,
    medication: Medication | None = None,
) -> Medication:
    """Add a current or recent medicine (or change `medication`). A blank class comes from
    the catalogue of interacting drugs (clinical reference 2.6); otherwise it must be chosen
    (`other` for a medicine that does not interact)."""
    require_role(by, patient.clinic, CLINICAL, "edit the consultation record")
    if medication is not None and medication.patient_id != patient.pk:
        raise PermissionDenied("That medicine belongs to another patient.")
    name = " ".join(name.split())
    problems = [] if name else ["name: required"]
    drug_class = _class_from_catalogue(
        name, drug_class, preventive_catalogue.medication_class, problems
    )
    item = {"name": name, "class": drug_class}
    problems += _domain_problems(validate_medication, item, start, stop)
    if problems:
        raise EligibilityError(problems)
    creating = medication is None
    target = medication if medication is not None else Medication(patient=patient)
    before = {f: getattr(target, f) for f in MEDICATION_FIELDS}
    target.name, target.drug_class, target.start, target.stop = name, drug_class, start, stop
    _full_clean(target)
    target.save()
    record(
        action="create" if creating else "update",
        category="medication",
        patient=patient,
        object_ref=f"medication:{target.pk}",
        detail={"fields": _changed(target, before, MEDICATION_FIELDS)},
    )
    return target


@transaction.atomic
def remove_medication(*, medication: Medication, by: User) -> None:
    patient = medication.patient
    require_role(by, patient.clinic, CLINICAL, "edit the consultation record")
    ref = f"medication:{medication.pk}"
    medication.delete()
    record(action="delete", category="medication", patient=patient, object_ref=ref)


@transaction.atomic
def add_toxin_exposure(
    *,
    patient: Patient,
    by: User,
    date: dt.date | None,
    units: int | None,
    indication: str,
    product: str = "",
) -> ToxinExposure:
    """Record botulinum toxin given for another indication (clinical reference 2.2, 2.6)."""
    require_role(by, patient.clinic, CLINICAL, "edit the consultation record")
    indication = " ".join(indication.split())
    item: dict[str, Any] = {"date": _iso(date), "units": units, "indication": indication or None}
    problems = validate_toxin_exposure(item)
    if units is None:
        problems.append("units: required")
    if not indication:
        problems.append("indication: required")
    if problems:
        raise EligibilityError(problems)
    assert date is not None  # checked above
    assert units is not None
    exposure = ToxinExposure(
        patient=patient, date=date, units=units, indication=indication, product=product.strip()
    )
    _full_clean(exposure)
    exposure.save()
    record(
        action="create",
        category="toxin_exposure",
        patient=patient,
        object_ref=f"toxin_exposure:{exposure.pk}",
    )
    return exposure


@transaction.atomic
def remove_toxin_exposure(*, exposure: ToxinExposure, by: User) -> None:
    patient = exposure.patient
    require_role(by, patient.clinic, CLINICAL, "edit the consultation record")
    ref = f"toxin_exposure:{exposure.pk}"
    exposure.delete()
    record(action="delete", category="toxin_exposure", patient=patient, object_ref=ref)


@transaction.atomic
def set_cautions(
    *,
    patient: Patient,
    by: User,
    today: dt.date,
    conditions: Iterable[str],
    toxin_allergy: bool,
    allergy_reaction: str = "",
) -> None:
    """Set the patient's current conditions (spec section 1 vocabulary) and the botulinum
    toxin allergy. An unticked condition is resolved today, not deleted, so the screening
    of an earlier date still sees it; ticking it again reopens it."""
    require_role(by, patient.clinic, CLINICAL, "edit the consultation record")
    wanted = set(conditions)
    unknown = sorted(wanted - set(CONDITION_CODES))
    if unknown:
        raise EligibilityError(
            [f"conditions: must be among {', '.join(CONDITION_CODES)}; got {unknown[0]!r}"]
        )
    existing = {c.code: c for c in patient.conditions.all()}
    added, resolved = [], []
    for code in sorted(wanted):
        row = existing.get(code)
        if row is None:
            row = Condition(patient=patient, code=code, noted_on=today)
        elif row.resolved_on is not None and row.resolved_on <= today:
            row.resolved_on = None
            row.noted_on = today
        else:
            continue
        _full_clean(row, exclude=["patient"])
        row.save()
        added.append(code)
    for code, row in existing.items():
        if code not in wanted and (row.resolved_on is None or row.resolved_on > today):
            row.resolved_on = today
            row.save(update_fields=["resolved_on"])
            resolved.append(code)
    allergy = patient.allergies.filter(code="botulinum_toxin").first()
    allergy_change = ""
    reaction = allergy_reaction.strip()
    if toxin_allergy and allergy is None:
        allergy = Allergy(patient=patient, code="botulinum_toxin", reaction=reaction)
        _full_clean(allergy, exclude=["patient"])
        allergy.save()
        allergy_change = "added"
    elif toxin_allergy and allergy is not None and allergy.reaction != reaction:
        allergy.reaction = reaction
        _full_clean(allergy, exclude=["patient"])
        allergy.save(update_fields=["reaction"])
        allergy_change = "changed"
    elif not toxin_allergy and allergy is not None:
        allergy.delete()
        allergy_change = "removed"
    record(
        action="update",
        category="cautions",
        patient=patient,
        object_ref=f"patient:{patient.pk}",
        detail={
            "conditions_added": len(added),
            "conditions_resolved": len(resolved),
            "allergy_changed": bool(allergy_change),
        },
    )


# --- Clinic policies -----------------------------------------------------------------------


@transaction.atomic
def save_clinic_policy(
    *,
    clinic: Clinic,
    by: User,
    name: str,
    title: str,
    definition: Any,
    policy: ClinicPolicy | None = None,
) -> ClinicPolicy:
    """Add (or change) a clinic policy; the definition is checked by `Policy.from_dict`.

    Renaming a policy that is the clinic's default is refused: the default
    would then name nothing.
    """
    require_role(by, clinic, (Role.CLINIC_ADMIN,), "change the clinic's policies")
    if policy is not None and policy.clinic_id != clinic.pk:
        raise PermissionDenied("That policy belongs to another clinic.")
    if policy is not None and policy.name != name and clinic.default_policy == policy.name:
        raise EligibilityError(
            [f"name: {policy.name!r} is the clinic's default policy; choose another default first"]
        )
    creating = policy is None
    target = policy if policy is not None else ClinicPolicy(clinic=clinic)
    target.name, target.title, target.definition = name.strip(), title.strip(), definition
    _full_clean(target)
    target.save()
    record(
        action="create" if creating else "update",
        category="clinic_policy",
        clinic_id=clinic.pk,
        object_ref=f"clinic_policy:{target.pk}",
        detail={"name": target.name},
    )
    return target


@transaction.atomic
def delete_clinic_policy(*, policy: ClinicPolicy, by: User) -> None:
    clinic = policy.clinic
    require_role(by, clinic, (Role.CLINIC_ADMIN,), "change the clinic's policies")
    if clinic.default_policy == policy.name:
        raise EligibilityError(
            [f"{policy.name!r} is the clinic's default policy; choose another default first"]
        )
    ref, name = f"clinic_policy:{policy.pk}", policy.name
    policy.delete()
    record(
        action="delete",
        category="clinic_policy",
        clinic_id=clinic.pk,
        object_ref=ref,
        detail={"name": name},
    )


@transaction.atomic
def set_default_policy(*, clinic: Clinic, by: User, name: str) -> Clinic:
    """Choose the clinic's default policy: a built-in one or one of the clinic's own."""
    require_role(by, clinic, (Role.CLINIC_ADMIN,), "change the clinic's policies")
    if name not in POLICIES and not ClinicPolicy.objects.filter(clinic=clinic, name=name).exists():
        raise EligibilityError([f"default_policy: unknown policy {name!r}"])
    previous = clinic.default_policy
    clinic.default_policy = name
    _full_clean(clinic)
    clinic.save(update_fields=["default_policy"])
    record(
        action="update",
        category="clinic_policy",
        clinic_id=clinic.pk,
        object_ref=f"clinic:{clinic.pk}",
        detail={"default_policy": name, "previous": previous},
    )
    return clinic


@transaction.atomic
def set_clinic_ruleset(*, clinic: Clinic, by: User, name: str) -> ClinicRuleset:
    """Choose the version of the clinical rules the clinic assesses with (spec section 11).

    Clinic admins only. Records already made keep the ruleset they name.
    """
    require_role(by, clinic, (Role.CLINIC_ADMIN,), "change the clinic's policies")
    if name not in RULESET_NAMES:
        raise EligibilityError(
            [f"ruleset: unknown ruleset {name!r}; choose one of {', '.join(RULESET_NAMES)}"]
        )
    row, _ = ClinicRuleset.objects.select_for_update().get_or_create(clinic=clinic)
    previous = row.ruleset if row.pk else DEFAULT_RULESET
    row.ruleset = name
    _full_clean(row)
    row.save()
    record(
        action="update",
        category="clinic_policy",
        clinic_id=clinic.pk,
        object_ref=f"clinic:{clinic.pk}",
        detail={"ruleset": name, "previous": previous},
    )
    return row


# --- Sign-off and the decision to start ----------------------------------------------------


def _reason(value: str, field: str, problems: list[str]) -> str:
    text = value.strip()
    if not text:
        problems.append(f"{field}: required")
    elif len(text) > REASON_MAX:
        problems.append(f"{field}: must be at most {REASON_MAX} characters, got {len(text)}")
    return text


@transaction.atomic
def sign_off_flag(
    *, patient: Patient, policy_name: str, flag: str, by: User, reason: str, on: dt.date
) -> FlagSignOff:
    """A physician signs off one flag raised by the screening, giving a reason (spec section 6:
    flags need a clinician's sign-off)."""
    require_role(by, patient.clinic, (Role.PHYSICIAN,), "sign off eligibility flags")
    policy = queries.policy_for(patient.clinic, policy_name)
    evaluation = queries.evaluate(patient, on, policy)
    problems: list[str] = []
    if flag not in evaluation.eligibility.flags:
        problems.append(f"flag: {flag!r} is not raised for this patient under {policy.name}")
    text = _reason(reason, "reason", problems)
    if problems:
        raise EligibilityError(problems)
    sign_off = FlagSignOff(
        patient=patient,
        policy=policy.name,
        ruleset=evaluation.ruleset.name,
        flag=flag,
        signed_by=by,
        reason=text,
        signed_at=timezone.now(),
    )
    _full_clean(sign_off)
    sign_off.save()
    record(
        action="create",
        category="flag_sign_off",
        patient=patient,
        object_ref=f"flag_sign_off:{sign_off.pk}",
        detail={"policy": policy.name, "ruleset": sign_off.ruleset},
    )
    return sign_off


@transaction.atomic
def decide_to_start(
    *,
    patient: Patient,
    policy_name: str,
    by: User,
    on: dt.date,
    override_reason: str = "",
) -> StartDecision:
    """A physician records the decision to start treatment on the screening of `on`.

    Refused while a hard stop stands (age under 18, toxin hypersensitivity,
    infection at the injection sites): those are contraindications, not
    judgement calls, so no reason overrides them. A criterion not met or
    unknown, or a flag not signed off, needs an `override_reason`.
    """
    require_role(by, patient.clinic, (Role.PHYSICIAN,), "decide to start treatment")
    policy = queries.policy_for(patient.clinic, policy_name)
    evaluation = queries.evaluate(patient, on, policy)
    eligibility = evaluation.eligibility
    if eligibility.hard_stops:
        raise EligibilityError(
            [
                "hard stop: "
                + ", ".join(eligibility.hard_stops)
                + " - treatment cannot start, whatever the reason given"
            ]
        )
    problems: list[str] = []
    reason = override_reason.strip()
    if evaluation.problems and not reason:
        problems.append(
            "override_reason: required to start despite "
            + "; ".join(texts.problem_text(p) for p in evaluation.problems)
        )
    elif len(reason) > REASON_MAX:
        problems.append(f"override_reason: must be at most {REASON_MAX} characters")
    if problems:
        raise EligibilityError(problems)
    decision = StartDecision(
        patient=patient,
        policy=policy.name,
        ruleset=evaluation.ruleset.name,
        decided_by=by,
        decided_at=timezone.now(),
        assessed_on=on,
        status=eligibility.status,
        snapshot={
            "ruleset": evaluation.ruleset.name,
            "day_definition": evaluation.assessment.day_definition.value,
            "eligibility": eligibility.to_dict(),
            "problems": evaluation.problems,
            "signed_flags": {flag: s.pk for flag, s in sorted(evaluation.sign_offs.items())},
        },
        override_reason=reason if evaluation.problems else "",
    )
    _full_clean(decision)
    decision.save()
    record(
        action="create",
        category="start_decision",
        patient=patient,
        object_ref=f"start_decision:{decision.pk}",
        detail={
            "policy": policy.name,
            "ruleset": decision.ruleset,
            "status": decision.status,
            "overridden": bool(decision.override_reason),
            "problems": len(evaluation.problems),
        },
    )
    return decision
