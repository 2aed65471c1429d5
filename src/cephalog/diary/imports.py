"""Importing diary files (issue 3, part 6): cephalog's own CSV (days or attacks) and
Migraine Buddy's CSV export.

Every row is read and checked first; problems are reported as `line N: field:
message` (the header is line 1). If there is any problem nothing is stored;
otherwise the whole file is written in one transaction through the diary
actions, with source "import". Importing the same file again changes nothing
(days equal to the stored ones are counted as unchanged, attacks are matched by
their id or start).

Who may import what (see docs/adr/0004-diary-imports.md): clinic staff (physician,
nurse) may import any past date, the import being the reason recorded with each
revision; a patient may import only the dates their own diary form accepts (today
and the clinic's backfill window), so an import cannot be used to rewrite a
locked diary. Dates in the future are refused for everyone.

Files are never logged or echoed: problems quote at most one short cell.
"""

from __future__ import annotations

import datetime as dt
import time
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import IO, Any

from django.db import transaction

from cephalog.audit.actions import record
from cephalog.diary.actions import patient_today
from cephalog.diary.attack_actions import (
    Counts,
    Progress,
    apply_attacks,
    apply_days,
    plan_attacks,
    plan_days,
)
from cephalog.diary.models import EntrySource
from cephalog.domain.diary import DiaryDay
from cephalog.domain.importing import (
    AttacksFile,
    MigraineBuddyFile,
    days_from_attacks,
    notes_by_date,
    read_attacks_csv,
    read_days_csv,
    read_migraine_buddy_csv,
)
from cephalog.patients.models import Patient

#: Larger files are refused before they are read (a year of days is about 40 kB).
MAX_UPLOAD_BYTES = 5 * 1024 * 1024

DAYS = "days"
ATTACKS = "attacks"
MIGRAINE_BUDDY = "migraine_buddy"


@dataclass
class ImportResult:
    """What an import did, or why it did nothing (`problems`)."""

    kind: str
    rows: int = 0
    problems: list[str] = field(default_factory=list)
    days: Counts = field(default_factory=Counts)
    attacks: Counts = field(default_factory=Counts)
    unknown_medicines: dict[str, list[int]] = field(default_factory=dict)
    ignored: dict[str, list[int]] = field(default_factory=dict)
    seconds: float = 0.0
    #: Columns, tables and values of the file that are not imported, one line each.
    not_imported: list[str] = field(default_factory=list)
    #: Facts recorded since that the file would change: kept unless `confirm`ed.
    differences: list[str] = field(default_factory=list)
    #: The file's dates read both month/day and day/month: the importer must choose.
    needs_date_order: bool = False
    date_order: str = ""
    #: What the file yields, per local date, and how many attacks (for `--json`).
    file_days: list[DiaryDay] = field(default_factory=list)
    file_attacks: int = 0
    #: Nothing was stored (`dry_run`).
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        return not self.problems

    def not_imported_lines(self) -> list[str]:
        """Everything left out, one line each: columns, tables, values, unknown medicines."""
        lines = list(self.not_imported)
        for label, at in self.ignored.items():
            lines.append(f"{label} ({_lines(at)})")
        for name, at in self.unknown_medicines.items():
            lines.append(f"medicine {name!r} of unknown class ({_lines(at)})")
        return lines


def _lines(at: list[int]) -> str:
    shown = ", ".join(str(n) for n in at[:10])
    more = f" and {len(at) - 10} more" if len(at) > 10 else ""
    return f"line{'s' if len(at) > 1 else ''} {shown}{more}"


def read_upload(file: IO[bytes] | IO[str] | bytes | str) -> tuple[str, list[str]]:
    """The text of an uploaded file, or the problem with it (too large, not UTF-8 text)."""
    data: bytes | str = file if isinstance(file, bytes | str) else file.read(MAX_UPLOAD_BYTES + 1)
    if isinstance(data, str):
        data = data.encode()
    if len(data) > MAX_UPLOAD_BYTES:
        return "", [f"file: larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MB; split it by year"]
    if b"\x00" in data:
        return "", ["file: not a text file; export a CSV file and upload that"]
    try:
        return data.decode("utf-8-sig"), []
    except UnicodeDecodeError:
        return "", ["file: not UTF-8 text; save the file as CSV (UTF-8) and try again"]


def _reason(kind: str, filename: str) -> str:
    return f"import ({kind}) {filename}".strip()[:300]


def _finish(result: ImportResult, patient: Patient, started: float) -> ImportResult:
    """Time the import and audit it (counts only: the file name may hold a name)."""
    result.seconds = time.perf_counter() - started
    record(
        action="import",
        category="diary",
        patient=patient,
        object_ref=f"diary-import:{result.kind}",
        detail={
            "ok": result.ok,
            "rows": result.rows,
            "problems": len(result.problems),
            "days": vars(result.days),
            "attacks": vars(result.attacks),
            "unknown_medicines": len(result.unknown_medicines),
        },
    )
    return result


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
    tz = zoneinfo.ZoneInfo(patient.time_zone)
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
        yielded = days_from_attacks(parsed.attacks, tz)
        result.file_days = [yielded[date] for date in sorted(yielded)]
        result.file_attacks = sum(1 for a in parsed.attacks if a.peak_intensity)
        today = today or patient_today(patient)
        reason = _reason(kind, filename)
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
