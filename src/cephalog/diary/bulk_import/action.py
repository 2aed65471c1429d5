"""The action: check who, read, check, store and audit in one transaction."""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any

import polars as pl
from django.db import connection, transaction
from django.utils import timezone

from cephalog.accounts.models import Clinic
from cephalog.audit.actions import record, record_many
from cephalog.diary.bulk_import.check import (
    Checked,
    check_rows,
)
from cephalog.diary.bulk_import.common import (
    MAX_PROBLEMS,
    PATIENT_COLUMN,
    WHITESPACE,
    BulkImportResult,
    Progress,
)
from cephalog.diary.bulk_import.generic import (
    _store_generic,
)
from cephalog.diary.bulk_import.postgresql import (
    _store_postgresql,
)
from cephalog.diary.bulk_import.problems import render_problems
from cephalog.diary.bulk_import.reading import (
    _file_bytes,
    check_importer,
    read_table,
)
from cephalog.diary.bulk_import.storing import (
    Stored,
    _chunks,
)
from cephalog.domain.importing import (
    DAY_COLUMNS,
    DERIVED_COLUMNS,
    NOTES_COLUMN,
)
from cephalog.ops.db import retry_on_serialization_failure
from cephalog.patients.models import Patient

# --- The action ------------------------------------------------------------------------------


def import_diaries_csv(
    clinic: Clinic,
    file: IO[bytes] | IO[str] | bytes | str | Path,
    by: Any,
    *,
    today: dt.date | None = None,
    progress: Progress | None = None,
    filename: str = "",
    limit: int = MAX_PROBLEMS,
    key_checks_per_row: bool | None = None,
) -> BulkImportResult:
    """Import a clinic's diary days from one CSV (see the module notes): all or nothing.

    `by` must be a physician or nurse of `clinic` (PermissionDenied otherwise).
    `today` overrides each patient's local today (tests). `progress` is told
    what happened after each phase. `key_checks_per_row=True` keeps PostgreSQL's
    per-row foreign-key checks even when the role may skip them (`_store_postgresql`).
    """
    check_importer(clinic, by)
    started = time.perf_counter()
    result = BulkImportResult(backend=connection.vendor)
    say = progress or (lambda message: None)

    def lap(phase: str, since: float) -> float:
        now = time.perf_counter()
        result.timings[phase] = round(now - since, 4)
        return now

    table = read_table(_file_bytes(file))
    mark = lap("read", started)
    if table.frame is None:
        result.problems = [f"line {n}: {m}" if n else m for n, m in sorted(table.problems)]
        result.problem_lines = len(result.problems)
        return _refused(result, clinic, by, started)
    result.rows = table.frame.height
    result.not_imported = _not_imported(table.frame)
    say(f"read {result.rows:,} rows in {result.timings['read']:.2f} s")

    now = timezone.now()
    named = table.frame[PATIENT_COLUMN].drop_nulls().unique()
    mrns = pl.concat([named, named.str.strip_chars(WHITESPACE)]).unique().to_list()
    checked = check_rows(table, _patients_frame(clinic, mrns), today=today, now=now)
    mark = lap("check", mark)
    if table.problems or checked.bad.height:
        result.problems, result.problem_lines = render_problems(table.problems, checked.bad, limit)
        say(
            f"checked in {result.timings['check']:.2f} s: "
            f"{result.problem_lines:,} line(s) with problems; nothing stored"
        )
        return _refused(result, clinic, by, started)
    result.patients = checked.days["p"].n_unique()
    say(
        f"checked {result.rows:,} rows for {result.patients:,} patients "
        f"in {result.timings['check']:.2f} s"
    )

    _store(
        checked,
        result,
        clinic=clinic,
        by=by,
        now=now,
        filename=filename,
        key_checks_per_row=key_checks_per_row,
    )
    lap("store", mark)
    result.seconds = time.perf_counter() - started
    say(
        f"stored in {result.timings['store']:.2f} s: {result.created:,} new, "
        f"{result.updated:,} changed, {result.unchanged:,} unchanged days"
    )
    return result


def _not_imported(frame: pl.DataFrame) -> list[str]:
    """The file's columns this import does not store: the derived columns of an export
    are worked out again; the day's note is kept only by one patient's import."""
    known = {PATIENT_COLUMN, *DAY_COLUMNS, *DERIVED_COLUMNS, "_line"}
    out = []
    for name in frame.columns:
        if name in known:
            continue
        if name == NOTES_COLUMN:
            filled = frame.select(
                (pl.col(name).is_not_null() & (pl.col(name).str.strip_chars() != "")).sum()
            ).item()
            if filled:
                out.append(
                    f"column notes: {filled:,} row(s) with a note (the clinic-wide import "
                    "does not store notes; import one patient's file with --patient to keep them)"
                )
            continue
        out.append(f'column "{name}"')
    return out


def _patients_frame(clinic: Clinic, mrns: Sequence[str]) -> pl.DataFrame:
    """The clinic's patients named in the file: MRN, id and time zone."""
    rows: list[tuple[str, uuid.UUID, str]] = []
    for chunk in _chunks(mrns, 2000):
        rows.extend(
            Patient.objects.filter(clinic=clinic, mrn__in=chunk).values_list(
                "mrn", "id", "time_zone"
            )
        )
    return pl.DataFrame(
        {
            PATIENT_COLUMN: [r[0] for r in rows],
            "patient": [str(r[1]) for r in rows],
            "time_zone": [r[2] for r in rows],
        },
        schema={PATIENT_COLUMN: pl.String, "patient": pl.String, "time_zone": pl.String},
    )


@retry_on_serialization_failure()
@transaction.atomic
def _store(
    checked: Checked,
    result: BulkImportResult,
    *,
    clinic: Clinic,
    by: Any,
    now: dt.datetime,
    filename: str,
    key_checks_per_row: bool | None,
) -> None:
    """Store the checked days and audit the import, in one transaction."""
    reason = f"import (bulk) {filename}".strip()
    by_id = getattr(by, "pk", None)
    if connection.vendor == "postgresql":
        stored = _store_postgresql(
            checked, by_id=by_id, reason=reason, now=now, key_checks_per_row=key_checks_per_row
        )
    else:
        stored = _store_generic(checked, by_id=by_id, reason=reason, now=now)
    result.created, result.updated = stored.created, stored.updated
    result.unchanged, result.medicines = stored.unchanged, stored.medicines
    _audit_patients(stored, clinic, by)
    _audit(result, clinic, by)


def _audit_patients(stored: Stored, clinic: Clinic, by: Any) -> None:
    """One audit row per patient whose diary changed (counts only), appended together by
    `audit.record_many` (one statement per few thousand rows on PostgreSQL)."""
    record_many(
        {
            "action": "import",
            "category": "diary",
            "patient_id": uuid.UUID(patient_id),
            "clinic_id": clinic.pk,
            "user": by,
            "object_ref": "diary-import:bulk",
            "detail": {"batch": True, "created": created, "updated": updated, "reason": True},
        }
        for patient_id, (created, updated) in sorted(stored.by_patient.items())
    )


def _refused(result: BulkImportResult, clinic: Clinic, by: Any, started: float) -> BulkImportResult:
    result.seconds = time.perf_counter() - started
    _audit(result, clinic, by)
    return result


def _audit(result: BulkImportResult, clinic: Clinic, by: Any) -> None:
    """The import as a whole, for the clinic (counts only: the file name may hold a name)."""
    record(
        action="import",
        category="diary",
        clinic_id=clinic.pk,
        user=by,
        object_ref="diary-import:bulk",
        detail={
            "ok": result.ok,
            "rows": result.rows,
            "patients": result.patients,
            "problem_lines": result.problem_lines,
            "created": result.created,
            "updated": result.updated,
            "unchanged": result.unchanged,
            "medicines": result.medicines,
        },
    )
