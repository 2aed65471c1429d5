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
from cephalog.domain.importing import (
    AttacksFile,
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

    @property
    def ok(self) -> bool:
        return not self.problems


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
) -> ImportResult:
    """Import cephalog's days CSV: each row replaces the day it names (revision kept)."""
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
) -> ImportResult:
    result = ImportResult(DAYS, problems=problems)
    if result.problems:
        return _finish(result, patient, started)
    parsed = read_days_csv(text)
    result.rows, result.problems = len(parsed.days), parsed.problems
    if not result.problems:
        today = today or patient_today(patient)
        reason = _reason(DAYS, filename)
        with transaction.atomic():
            plan = plan_days(
                patient=patient, days=parsed.days, merge=False, by=by, today=today, reason=reason
            )
            result.problems = plan.problems
            if plan.problems:
                result.days = plan.counts
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
) -> ImportResult:
    result = ImportResult(
        kind,
        rows=len(parsed.attacks),
        problems=parsed.problems,
        unknown_medicines=parsed.unknown_medicines,
        ignored=parsed.ignored,
    )
    if not result.problems:
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
            )
            result.problems = sorted(plan.problems, key=_line_number)
            if not plan.problems:
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
    )


def import_cephalog_csv(
    patient: Patient,
    file: IO[bytes] | IO[str] | bytes | str,
    by: Any,
    *,
    today: dt.date | None = None,
    progress: Progress | None = None,
    filename: str = "",
) -> ImportResult:
    """Import a days or an attacks CSV, told apart by the header (`start` without `date`)."""
    started = time.perf_counter()
    text, problems = read_upload(file)
    header = {c.strip().strip('"').lower() for c in text.split("\n", 1)[0].split(",")}
    if "start" in header and "date" not in header:
        # A readable upload (a problem leaves no text, so no header): the attacks import.
        return import_attacks_csv(
            patient, text, by, today=today, progress=progress, filename=filename
        )
    return _import_days(
        text,
        problems,
        patient,
        by,
        today=today,
        progress=progress,
        filename=filename,
        started=started,
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
) -> ImportResult:
    """Import Migraine Buddy's CSV export (one row per attack).

    Pain maps to intensity, duration to hours per date, known medicines to
    their class; unknown medicines are listed in the result and left out,
    unless `classes` (normalised name → class) names their class.
    """
    started = time.perf_counter()
    text, problems = read_upload(file)
    parsed = (
        AttacksFile(problems=problems)
        if problems
        else read_migraine_buddy_csv(text, zoneinfo.ZoneInfo(patient.time_zone), classes)
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
    )
