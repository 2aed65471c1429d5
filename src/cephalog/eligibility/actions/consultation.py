"""Preventives, medicines, toxin exposures and cautions."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction

from cephalog.accounts.access import require_role
from cephalog.accounts.models import User
from cephalog.audit.actions import record
from cephalog.core.writes import save_recorded
from cephalog.domain import preventive_catalogue
from cephalog.domain.case import validate_medication, validate_preventive, validate_toxin_exposure
from cephalog.domain.vocab import CONDITION_CODES
from cephalog.eligibility.actions.common import (
    CLINICAL,
    EligibilityError,
    _changed,
    _full_clean,
    _iso,
)
from cephalog.eligibility.models import Allergy, Condition, Medication, Preventive, ToxinExposure
from cephalog.patients.models import Patient

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


def _drug(
    patient: Patient, by: User, row: Any, what: str, name: str, drug_class: str, lookup: Any
) -> tuple[str, str, list[str]]:
    """Who may edit, whose `row` it is, the tidied name and the class (from the catalogue
    when blank), with the problems found so far."""
    require_role(by, patient.clinic, CLINICAL, "edit the consultation record")
    if row is not None and row.patient_id != patient.pk:
        raise PermissionDenied(f"That {what} belongs to another patient.")
    name = " ".join(name.split())
    problems = [] if name else ["name: required"]
    return name, _class_from_catalogue(name, drug_class, lookup, problems), problems


def _store[T: Any](target: T, patient: Patient, values: dict[str, Any], category: str) -> T:
    """Set `values` on one consultation item, check and save it, audited as created or
    changed (which fields)."""
    creating = target._state.adding
    before = {f: getattr(target, f) for f in values}
    for field, value in values.items():
        setattr(target, field, value)
    return save_recorded(
        target,
        action="create" if creating else "update",
        category=category,
        patient=patient,
        detail={"fields": _changed(target, before, values)},
        clean=_full_clean,
    )


def _remove(item: Any, *, by: User, category: str) -> None:
    """Remove an item recorded in error; the audit row of the removal stays."""
    patient = item.patient
    require_role(by, patient.clinic, CLINICAL, "edit the consultation record")
    ref = f"{category}:{item.pk}"
    item.delete()
    record(action="delete", category=category, patient=patient, object_ref=ref)


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
    name, drug_class, problems = _drug(
        patient,
        by,
        preventive,
        "preventive",
        name,
        drug_class,
        preventive_catalogue.preventive_class,
    )
    item = {"name": name, "class": drug_class, "outcome": outcome}
    problems += _domain_problems(validate_preventive, item, start, stop)
    if problems:
        raise EligibilityError(problems)
    fields = (name, drug_class, dose.strip(), start, stop, outcome)
    values = dict(zip(PREVENTIVE_FIELDS, fields, strict=True))
    return _store(preventive or Preventive(patient=patient), patient, values, "preventive")


@transaction.atomic
def remove_preventive(*, preventive: Preventive, by: User) -> None:
    """Remove a preventive recorded in error; the audit row of the removal stays."""
    _remove(preventive, by=by, category="preventive")


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
    name, drug_class, problems = _drug(
        patient, by, medication, "medicine", name, drug_class, preventive_catalogue.medication_class
    )
    item = {"name": name, "class": drug_class}
    problems += _domain_problems(validate_medication, item, start, stop)
    if problems:
        raise EligibilityError(problems)
    values = dict(zip(MEDICATION_FIELDS, (name, drug_class, start, stop), strict=True))
    return _store(medication or Medication(patient=patient), patient, values, "medication")


@transaction.atomic
def remove_medication(*, medication: Medication, by: User) -> None:
    _remove(medication, by=by, category="medication")


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
    return save_recorded(
        exposure,
        action="create",
        category="toxin_exposure",
        patient=patient,
        clean=_full_clean,
    )


@transaction.atomic
def remove_toxin_exposure(*, exposure: ToxinExposure, by: User) -> None:
    _remove(exposure, by=by, category="toxin_exposure")


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
    added, resolved = _set_conditions(patient, wanted, today)
    allergy_change = _set_toxin_allergy(patient, toxin_allergy, allergy_reaction)
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


def _set_conditions(
    patient: Patient, wanted: set[str], today: dt.date
) -> tuple[list[str], list[str]]:
    """Open the conditions ticked (again), resolve the unticked today; (added, resolved)."""
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
    return added, resolved


def _set_toxin_allergy(patient: Patient, toxin_allergy: bool, allergy_reaction: str) -> str:
    """Add, change or remove the botulinum toxin allergy: what changed ("" when nothing)."""
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
    return allergy_change
