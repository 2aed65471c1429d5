"""Importing days: cephalog's days CSV, and its CSV of either kind told apart by the header."""

from __future__ import annotations

from typing import Any, Unpack

from django.db import transaction

from cephalog.diary.attack_actions import apply_days, plan_days
from cephalog.diary.imports.attacks import _import_attacks
from cephalog.diary.imports.result import (
    ATTACKS,
    DAYS,
    ImportOptions,
    ImportResult,
    Run,
    Upload,
    _finish,
    planned_days,
    read_upload,
)
from cephalog.diary.models import EntrySource
from cephalog.domain.importing import read_attacks_csv, read_days_csv
from cephalog.patients.models import Patient


def import_days_csv(
    patient: Patient, file: Upload, by: Any, **options: Unpack[ImportOptions]
) -> ImportResult:
    """Import cephalog's days CSV: each row replaces the day it names (revision kept).

    A note in the file fills an empty note; one that differs from a note recorded
    since is listed in `differences` and applied only with `confirm`."""
    run = Run(**options)
    text, problems = read_upload(file)
    return _import_days(text, problems, patient, by, run)


def _import_days(
    text: str, problems: list[str], patient: Patient, by: Any, run: Run
) -> ImportResult:
    result = ImportResult(DAYS, problems=problems, dry_run=run.dry_run)
    if result.problems:
        return _finish(result, patient, run)
    parsed = read_days_csv(text)
    result.rows, result.problems = len(parsed.days), parsed.problems
    result.file_days = [day for _, day in parsed.days]
    if not result.problems:
        writer = run.writer(DAYS, patient, by)
        with transaction.atomic():
            plan = plan_days(
                days=parsed.days, merge=False, notes=parsed.notes, confirm=run.confirm, **writer
            )
            result.problems = plan.problems
            result.differences = plan.differences
            if plan.problems or run.dry_run:
                result.days = planned_days(plan)
            else:
                result.days = apply_days(
                    plan, source=EntrySource.IMPORT, progress=run.progress, **writer
                )
    return _finish(result, patient, run)


def import_cephalog_csv(
    patient: Patient, file: Upload, by: Any, **options: Unpack[ImportOptions]
) -> ImportResult:
    """Import a days or an attacks CSV, told apart by the header (`start` without `date`)."""
    run = Run(**options)
    text, problems = read_upload(file)
    header = {c.strip().strip('"').lower() for c in text.split("\n", 1)[0].split(",")}
    if "start" in header and "date" not in header:
        # A readable upload (a problem leaves no text, so no header): the attacks import.
        return _import_attacks(ATTACKS, read_attacks_csv(text), patient, by, run)
    return _import_days(text, problems, patient, by, run)
