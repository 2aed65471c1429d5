"""Importing days: cephalog's days CSV, and its CSV of either kind told apart by the header."""

from __future__ import annotations

import datetime as dt
import time
from typing import IO, Any

from django.db import transaction

from cephalog.core.time import patient_today
from cephalog.diary.attack_actions import Progress, apply_days, plan_days
from cephalog.diary.imports.attacks import import_attacks_csv
from cephalog.diary.imports.result import DAYS, ImportResult, _finish, _reason, read_upload
from cephalog.diary.models import EntrySource
from cephalog.domain.importing import read_days_csv
from cephalog.patients.models import Patient


def import_days_csv(
    patient: Patient,
    file: IO[bytes] | IO[str] | bytes | str,
    by: Any,
    *,
    today: dt.date | None = None,
    progress: Progress | None = None,
    filename: str = "",
    confirm: bool = False,
    dry_run: bool = False,
) -> ImportResult:
    """Import cephalog's days CSV: each row replaces the day it names (revision kept).

    A note in the file fills an empty note; one that differs from a note recorded
    since is listed in `differences` and applied only with `confirm`."""
    started = time.perf_counter()
    text, problems = read_upload(file)
    return _import_days(
        text,
        problems,
        patient,
        by,
        today=today,
        progress=progress,
        filename=filename,
        started=started,
        confirm=confirm,
        dry_run=dry_run,
    )


def _import_days(
    text: str,
    problems: list[str],
    patient: Patient,
    by: Any,
    *,
    today: dt.date | None,
    progress: Progress | None,
    filename: str,
    started: float,
    confirm: bool = False,
    dry_run: bool = False,
) -> ImportResult:
    result = ImportResult(DAYS, problems=problems, dry_run=dry_run)
    if result.problems:
        return _finish(result, patient, started)
    parsed = read_days_csv(text)
    result.rows, result.problems = len(parsed.days), parsed.problems
    result.file_days = [day for _, day in parsed.days]
    if not result.problems:
        today = today or patient_today(patient)
        reason = _reason(DAYS, filename)
        with transaction.atomic():
            plan = plan_days(
                patient=patient,
                days=parsed.days,
                merge=False,
                by=by,
                today=today,
                reason=reason,
                notes=parsed.notes,
                confirm=confirm,
            )
            result.problems = plan.problems
            result.differences = plan.differences
            if plan.problems or dry_run:
                result.days = plan.counts
                result.days.created = sum(1 for c in plan.changes if not c.exists)
                result.days.updated = sum(1 for c in plan.changes if c.exists)
            else:
                result.days = apply_days(
                    plan,
                    patient=patient,
                    by=by,
                    today=today,
                    reason=reason,
                    source=EntrySource.IMPORT,
                    progress=progress,
                )
    return _finish(result, patient, started)


def import_cephalog_csv(
    patient: Patient,
    file: IO[bytes] | IO[str] | bytes | str,
    by: Any,
    *,
    today: dt.date | None = None,
    progress: Progress | None = None,
    filename: str = "",
    confirm: bool = False,
    dry_run: bool = False,
) -> ImportResult:
    """Import a days or an attacks CSV, told apart by the header (`start` without `date`)."""
    started = time.perf_counter()
    text, problems = read_upload(file)
    header = {c.strip().strip('"').lower() for c in text.split("\n", 1)[0].split(",")}
    options: dict[str, Any] = {
        "today": today,
        "progress": progress,
        "filename": filename,
        "confirm": confirm,
        "dry_run": dry_run,
    }
    if "start" in header and "date" not in header:
        # A readable upload (a problem leaves no text, so no header): the attacks import.
        return import_attacks_csv(patient, text, by, **options)
    return _import_days(text, problems, patient, by, started=started, **options)
