"""Exports of one patient's record (FHIR bundle, portability files), each audited, and
the writes of a FHIR import.

Imports are read and checked in cephalog.interop.fhir_import, which writes through the
diary's and patients' actions and, for the rest of the record, through
`store_imported_row` here: the treatment, safety and outcomes actions are for things
happening now (vial expiry and reconstitution are checked against the current time; a
red flag raises an alert), an import restores what already happened. The import is one
transaction with one audit row (`record_import`). The clinic's bulk export is in
cephalog.interop.bulk.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from django.db import models, transaction

from cephalog.audit.actions import record
from cephalog.interop import fhir
from cephalog.patients.models import Patient


def export_bundle(
    *,
    patient: Patient,
    by: Any,
    via: str,
    bundle_type: str = fhir.BUNDLE_COLLECTION,
) -> fhir.Json:
    """The patient's FHIR bundle; one `export` audit row saying who, and through what
    (`via`: "command", "everything", "download")."""
    bundle = fhir.patient_bundle(patient, bundle_type)
    record(
        action="export",
        category="fhir",
        patient=patient,
        user=by,
        object_ref=f"patient:{patient.pk}",
        detail={"via": via, "type": bundle_type, "entries": len(bundle["entry"])},
    )
    return bundle


def record_download(*, patient: Patient, by: Any, kind: str, rows: int | None = None) -> None:
    """Audit one of the patient's own downloads (/me/data/)."""
    detail: dict[str, Any] = {"via": "my-data"}
    if rows is not None:
        detail["rows"] = rows
    record(
        action="export",
        category="portability",
        patient=patient,
        user=by,
        object_ref=f"my-data:{kind}",
        detail=detail,
    )


def store_imported_row(row: models.Model, *, exclude: Sequence[str] | None = None) -> None:
    """Validate (`full_clean`) and save one row of an imported record, in its own savepoint
    so a refused row leaves the import's transaction usable. Raises `ValidationError` or
    `IntegrityError`; the import turns them into problems and refuses the whole bundle."""
    row.full_clean(exclude=list(exclude) if exclude is not None else None)
    with transaction.atomic():
        row.save()


def keep_reported_at(event: models.Model, reported_at: dt.datetime) -> None:
    """An imported adverse event keeps the source's report time (`reported_at` is
    `auto_now_add`, so it is set after the save)."""
    type(event)._default_manager.filter(pk=event.pk).update(reported_at=reported_at)


def record_import(
    *,
    patient: Patient,
    by: Any,
    counts: Mapping[str, int],
    imported: Mapping[str, int],
    not_imported: Mapping[str, int],
) -> None:
    """The import's one audit row: who imported the patient, and how many of what."""
    record(
        action="import",
        category="fhir",
        patient=patient,
        user=by,
        object_ref=f"patient:{patient.pk}",
        detail={"counts": counts, "imported": imported, "not_imported": not_imported},
    )
