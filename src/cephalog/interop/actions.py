"""Exports of one patient's record (FHIR bundle, portability files), each audited, and
the audit row of a FHIR import.

Imports are read and checked in cephalog.interop.fhir_import, which writes through the
diary's and patients' actions and, for the rest of the record, through each app's
`import_actions` (patients, treatment, safety, outcomes): their other actions are for
things happening now (vial expiry and reconstitution are checked against the current
time; a red flag raises an alert), an import restores what already happened. The import
is one transaction with one audit row saying who imported how many of what
(`record_import`) besides the row of each record stored. The clinic's bulk export is in
cephalog.interop.bulk.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

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
    record_fhir_export(
        patient=patient,
        by=by,
        detail={"via": via, "type": bundle_type, "entries": len(bundle["entry"])},
    )
    return bundle


def record_fhir_export(*, patient: Patient, by: Any, detail: dict[str, Any]) -> None:
    """The `export` audit row of one patient's FHIR resources, whatever carried them (a
    bundle, a download, the clinic's bulk export)."""
    record(
        action="export",
        category="fhir",
        patient=patient,
        user=by,
        object_ref=f"patient:{patient.pk}",
        detail=detail,
    )


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
