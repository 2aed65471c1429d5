"""Importing attacks: cephalog's attacks CSV and Migraine Buddy's export."""

from __future__ import annotations

import zoneinfo
from collections.abc import Mapping
from typing import Any, Unpack

from django.db import transaction

from cephalog.diary.attack_actions import apply_attacks, plan_attacks
from cephalog.diary.imports.result import (
    ATTACKS,
    MIGRAINE_BUDDY,
    ImportOptions,
    ImportResult,
    Run,
    Upload,
    _finish,
    planned_days,
    read_upload,
)
from cephalog.diary.models import EntrySource
from cephalog.domain.importing import (
    AttacksFile,
    MigraineBuddyFile,
    days_from_attacks,
    notes_by_date,
    read_attacks_csv,
    read_migraine_buddy_csv,
)
from cephalog.patients.models import Patient


def _store_attacks(
    result: ImportResult, parsed: AttacksFile, patient: Patient, by: Any, run: Run
) -> None:
    """Plan the file's attacks and store them (unless a dry run or refused); counts into `result`."""
    tz = zoneinfo.ZoneInfo(patient.time_zone)
    yielded = days_from_attacks(parsed.attacks, tz)
    result.file_days = [yielded[date] for date in sorted(yielded)]
    result.file_attacks = sum(1 for a in parsed.attacks if a.peak_intensity)
    writer = run.writer(result.kind, patient, by)
    with transaction.atomic():
        plan = plan_attacks(
            attacks=parsed.attacks,
            source=EntrySource.IMPORT,
            notes=notes_by_date(parsed.attacks, tz),
            confirm=run.confirm,
            **writer,
        )
        result.problems = sorted(plan.problems, key=_line_number)
        result.differences = plan.differences
        if plan.problems or run.dry_run:
            result.attacks, result.days = plan.counts, planned_days(plan.days)
        else:
            result.attacks, result.days = apply_attacks(
                plan, source=EntrySource.IMPORT, progress=run.progress, **writer
            )


def _import_attacks(
    kind: str, parsed: AttacksFile, patient: Patient, by: Any, run: Run
) -> ImportResult:
    result = ImportResult(
        kind,
        rows=len(parsed.attacks),
        problems=parsed.problems,
        unknown_medicines=parsed.unknown_medicines,
        ignored=parsed.ignored,
        dry_run=run.dry_run,
    )
    if isinstance(parsed, MigraineBuddyFile):
        result.not_imported = parsed.not_imported
        result.needs_date_order = parsed.needs_date_order
        result.date_order = parsed.date_order
    if not result.problems:
        _store_attacks(result, parsed, patient, by, run)
    return _finish(result, patient, run)


def _line_number(problem: str) -> int:
    head = problem.split(":", 1)[0]
    return int(head[5:]) if head.startswith("line ") and head[5:].isdigit() else 0


def import_attacks_csv(
    patient: Patient, file: Upload, by: Any, **options: Unpack[ImportOptions]
) -> ImportResult:
    """Import cephalog's attacks CSV; the days they cover are brought in step."""
    run = Run(**options)
    text, problems = read_upload(file)
    parsed = AttacksFile(problems=problems) if problems else read_attacks_csv(text)
    return _import_attacks(ATTACKS, parsed, patient, by, run)


def import_migraine_buddy_csv(
    patient: Patient,
    file: Upload,
    by: Any,
    *,
    classes: Mapping[str, str] | None = None,
    date_order: str | None = None,
    **options: Unpack[ImportOptions],
) -> ImportResult:
    """Import Migraine Buddy's CSV export (one row per attack).

    Pain maps to intensity, duration to hours per date, known medicines to
    their class; unknown medicines are listed in the result and left out,
    unless `classes` (normalised name → class) names their class. A file whose
    dates read both month/day and day/month needs `date_order` ("mdy", "dmy").
    Facts recorded since that the file differs from are kept unless `confirm`.
    """
    run = Run(**options)
    text, problems = read_upload(file)
    parsed: AttacksFile = (
        AttacksFile(problems=problems)
        if problems
        else read_migraine_buddy_csv(
            text, zoneinfo.ZoneInfo(patient.time_zone), classes, date_order=date_order
        )
    )
    return _import_attacks(MIGRAINE_BUDDY, parsed, patient, by, run)
