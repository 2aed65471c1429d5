"""Exports of one patient's record (FHIR bundle, portability files), each audited.

Imports are in cephalog.interop.fhir_import; the clinic's bulk export in
cephalog.interop.bulk.
"""

from __future__ import annotations

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
