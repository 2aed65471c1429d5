"""`import_bundle`: the one write, all or nothing, and the order the parts run in."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from cephalog.accounts.access import STAFF_ROLES, role_in
from cephalog.accounts.models import Clinic
from cephalog.core.time import patient_today
from cephalog.interop.actions import record_import
from cephalog.interop.fhir import Json
from cephalog.interop.fhir_import.bundle import _validate
from cephalog.interop.fhir_import.diary import read_diary
from cephalog.interop.fhir_import.history import read_history
from cephalog.interop.fhir_import.reader import _Reader
from cephalog.interop.fhir_import.reports import (
    write_adverse_events,
    write_checkins,
    write_questionnaires,
)
from cephalog.interop.fhir_import.result import ImportRefused, ImportResult
from cephalog.interop.fhir_import.sessions import write_bridging, write_sessions
from cephalog.interop.fhir_import.values import _ADJUSTED, _validation, parse_json
from cephalog.interop.fhir_import.writer import _Writer
from cephalog.patients.actions import create_patient
from cephalog.patients.models import Patient


def _require_staff(by: Any, clinic: Clinic) -> None:
    if by is None or role_in(by, clinic) not in STAFF_ROLES:
        raise ImportRefused([f"by: must be a member of staff of {clinic.name}"])


@transaction.atomic
def import_bundle(
    bundle_json: str | bytes | Json,
    clinic: Clinic,
    by: Any,
    *,
    mrn: str | None = None,
    today: dt.date | None = None,
) -> ImportResult:
    """Import a patient from a FHIR R4 bundle into `clinic`: all of it, or nothing.

    `mrn` gives the patient's MRN when the bundle has none of type MR, or replaces it
    (needed when that MRN is taken in `clinic`). `by` must be a member of staff of
    `clinic`; they are recorded as the importer. Every entry is accounted for in the
    result (`imported`, `not_imported`, `reasons`). Any input that is not a bundle
    cephalog can read is refused with `ImportRefused`, never a traceback.
    """
    _require_staff(by, clinic)
    bundle = parse_json(bundle_json)
    adjusted: list[str] = []
    token = _ADJUSTED.set(adjusted)
    try:
        result = _import(bundle, clinic, by, mrn=mrn, today=today)
    except ImportRefused:
        raise
    except (AttributeError, TypeError, KeyError, IndexError, ValueError, RecursionError) as error:
        # A value in a shape FHIR does not give it (a list where an object goes, ...)
        # that the validator let through: refused like any other problem.
        raise ImportRefused(
            [f"bundle: a value is not in the shape FHIR R4 gives it ({type(error).__name__})"]
        ) from None
    finally:
        _ADJUSTED.reset(token)
    result.adjusted = adjusted
    return result


def _import(
    bundle: Json, clinic: Clinic, by: Any, *, mrn: str | None, today: dt.date | None
) -> ImportResult:
    problems, invalid = _validate(bundle)
    if problems:
        raise ImportRefused(problems)
    reader = _Reader(bundle, invalid)
    model_fields = {f.name for f in Patient._meta.get_fields()}
    fields = reader.patient_fields(mrn, clinic.time_zone)
    reader.chronic_migraine(fields, model_fields)
    history = read_history(reader)
    days, attacks = read_diary(reader)
    if reader.problems:
        raise ImportRefused(reader.problems)
    if Patient.objects.filter(clinic=clinic, mrn=fields["mrn"]).exists():
        raise ImportRefused(
            [
                f"Patient.identifier: MRN {fields['mrn']} is already used in {clinic.name}; "
                "import with another MRN (--mrn)"
            ]
        )
    try:
        patient = create_patient(clinic=clinic, **fields)
    except ValidationError as error:
        raise ImportRefused(_validation("Patient", error)) from None

    result = ImportResult(patient=patient, ignored=reader.ignored)
    writer = _Writer(reader, patient, by, today or patient_today(patient), result)
    writer.history(history)
    writer.diary(days, attacks)
    procedures = write_sessions(writer)
    if procedures:
        orgs = reader.of_type("Organization")
        reader.use(orgs[0][1] if orgs else None)  # named in each session's provenance
    write_bridging(writer)
    write_questionnaires(writer)
    checkins = write_checkins(writer, procedures)
    write_adverse_events(writer, procedures, checkins)
    _check_references(reader, writer)
    if writer.problems:
        raise ImportRefused(writer.problems)
    _account(reader, result)
    record_import(
        patient=patient,
        by=by,
        counts=result.counts,
        imported=result.imported,
        not_imported=result.not_imported,
    )
    return result


def _check_references(reader: _Reader, writer: _Writer) -> None:
    """A record cephalog imports must not point at something the bundle lacks."""
    for url, resource in reader.index.entries:
        if id(resource) in reader.used:
            writer.problems.extend(
                f"reference: {r} does not name an entry of the bundle"
                for r in reader.index.unresolved(resource, url)[:20]
            )


def _account(reader: _Reader, result: ImportResult) -> None:
    """Every entry imported or not, by type, and why not."""
    imported, left, reasons = reader.accounting()
    result.imported = dict(sorted(imported.items()))
    result.not_imported = dict(sorted(left.items()))
    result.reasons = {k: dict(v) for k, v in sorted(reasons.items())}
