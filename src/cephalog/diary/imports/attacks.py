"""Importing attacks: cephalog's attacks CSV and Migraine Buddy's export."""

from __future__ import annotations

import datetime as dt
import time
import zoneinfo
from collections.abc import Mapping
from typing import IO, Any

from django.db import transaction

from cephalog.core.time import patient_today
from cephalog.diary.attack_actions import Progress, apply_attacks, plan_attacks
from cephalog.diary.imports.result import (
    ATTACKS,
    MIGRAINE_BUDDY,
    ImportResult,
    _finish,
    _reason,
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
    result: ImportResult,
    parsed: AttacksFile,
    patient: Patient,
    by: Any,
    *,
    today: dt.date,
    reason: str,
    progress: Progress | None,
    confirm: bool,
    dry_run: bool,
) -> None:
    """Plan the file's attacks and store them (unless a dry run or refused); counts into `result`."""
    tz = zoneinfo.ZoneInfo(patient.time_zone)
    yielded = days_from_attacks(parsed.attacks, tz)
    result.file_days = [yielded[date] for date in sorted(yielded)]
    result.file_attacks = sum(1 for a in parsed.attacks if a.peak_intensity)
    with transaction.atomic():
        plan = plan_attacks(
            patient=patient,
            attacks=parsed.attacks,
            by=by,
            today=today,
            reason=reason,
            source=EntrySource.IMPORT,
            notes=notes_by_date(parsed.attacks, tz),
            confirm=confirm,
        )
        result.problems = sorted(plan.problems, key=_line_number)
        result.differences = plan.differences
        if plan.problems or dry_run:
            result.attacks = plan.counts
            result.days = plan.days.counts
            result.days.created = sum(1 for c in plan.days.changes if not c.exists)
            result.days.updated = sum(1 for c in plan.days.changes if c.exists)
        else:
            result.attacks, result.days = apply_attacks(
                plan,
                patient=patient,
                by=by,
                today=today,
                reason=reason,
                source=EntrySource.IMPORT,
                progress=progress,
            )


def _import_attacks(
    kind: str,
    parsed: AttacksFile,
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
    result = ImportResult(
        kind,
        rows=len(parsed.attacks),
        problems=parsed.problems,
        unknown_medicines=parsed.unknown_medicines,
        ignored=parsed.ignored,
        dry_run=dry_run,
    )
    if isinstance(parsed, MigraineBuddyFile):
        result.not_imported = parsed.not_imported
        result.needs_date_order = parsed.needs_date_order
        result.date_order = parsed.date_order
    if not result.problems:
        _store_attacks(
            result,
            parsed,
            patient,
            by,
            today=today or patient_today(patient),
            reason=_reason(kind, filename),
            progress=progress,
            confirm=confirm,
            dry_run=dry_run,
        )
    return _finish(result, patient, started)


def _line_number(problem: str) -> int:
    head = problem.split(":", 1)[0]
    return int(head[5:]) if head.startswith("line ") and head[5:].isdigit() else 0


def import_attacks_csv(
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
    """Import cephalog's attacks CSV; the days they cover are brought in step."""
    started = time.perf_counter()
    text, problems = read_upload(file)
    parsed = AttacksFile(problems=problems) if problems else read_attacks_csv(text)
    return _import_attacks(
        ATTACKS,
        parsed,
        patient,
        by,
        today=today,
        progress=progress,
        filename=filename,
        started=started,
        confirm=confirm,
        dry_run=dry_run,
    )


def import_migraine_buddy_csv(
    patient: Patient,
    file: IO[bytes] | IO[str] | bytes | str,
    by: Any,
    *,
    classes: Mapping[str, str] | None = None,
    today: dt.date | None = None,
    progress: Progress | None = None,
    filename: str = "",
    date_order: str | None = None,
    confirm: bool = False,
    dry_run: bool = False,
) -> ImportResult:
    """Import Migraine Buddy's CSV export (one row per attack).

    Pain maps to intensity, duration to hours per date, known medicines to
    their class; unknown medicines are listed in the result and left out,
    unless `classes` (normalised name → class) names their class. A file whose
    dates read both month/day and day/month needs `date_order` ("mdy", "dmy").
    Facts recorded since that the file differs from are kept unless `confirm`.
    """
    started = time.perf_counter()
    text, problems = read_upload(file)
    parsed: AttacksFile = (
        AttacksFile(problems=problems)
        if problems
        else read_migraine_buddy_csv(
            text, zoneinfo.ZoneInfo(patient.time_zone), classes, date_order=date_order
        )
    )
    return _import_attacks(
        MIGRAINE_BUDDY,
        parsed,
        patient,
        by,
        today=today,
        progress=progress,
        filename=filename,
        started=started,
        confirm=confirm,
        dry_run=dry_run,
    )
