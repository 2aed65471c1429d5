"""Storing a patient's medical history as another system recorded it (a FHIR import).

The consultation actions (`cephalog.eligibility.actions`) are for a clinician editing the
record now: they tidy names, fill classes from the catalogue and check dates against the
domain's rules. An import keeps what the source recorded, so it has its own action:
the row is checked by the model (`full_clean`), saved and audited in one step, and a
refusal (`AppError`, `IntegrityError`) leaves the caller's transaction usable. Who may
import is checked by the importer (`cephalog.interop.fhir_import.import_bundle`).
"""

from __future__ import annotations

from typing import Any

from cephalog.core.writes import save_audited
from cephalog.eligibility.models import (
    Allergy,
    Condition,
    Medication,
    Preventive,
    ToxinExposure,
)
from cephalog.patients.models import Patient

type HistoryItem = Condition | Allergy | Preventive | Medication | ToxinExposure

#: The audit category of each kind of history item (as the consultation actions name them).
CATEGORIES: dict[type[HistoryItem], str] = {
    Condition: "condition",
    Allergy: "allergy",
    Preventive: "preventive",
    Medication: "medication",
    ToxinExposure: "toxin_exposure",
}
#: The audit row's object name of each kind, as it was while the patients app held these
#: models (`patients.preventive:12`): moving them did not rename their audit history.
AUDIT_NAMES: dict[type[HistoryItem], str] = {
    kind: f"patients.{kind._meta.model_name}" for kind in CATEGORIES
}


def import_history_item(*, patient: Patient, item: HistoryItem, by: Any) -> HistoryItem:
    """Store one imported history item (an unsaved row) for `patient`, audited as imported
    by `by`. Raises `AppError` naming the fields the model refuses."""
    item.patient = patient
    kind = type(item)
    return save_audited(
        item,
        action="import",
        category=CATEGORIES[kind],
        ref=AUDIT_NAMES[kind],
        patient=patient,
        user=by,
    )
