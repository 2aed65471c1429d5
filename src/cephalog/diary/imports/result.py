"""What an import reports (ImportResult), and the steps every import shares: reading the
upload, the reason kept with each revision, the audit row."""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field
from typing import IO, Any, TypedDict

from cephalog.audit.actions import record
from cephalog.core.time import patient_today
from cephalog.diary.attack_actions import Counts, DayPlan, Progress
from cephalog.domain.diary import DiaryDay
from cephalog.patients.models import Patient

#: Larger files are refused before they are read (a year of days is about 40 kB).
MAX_UPLOAD_BYTES = 5 * 1024 * 1024
#: What an import reads: an uploaded file, its bytes or its text.
Upload = IO[bytes] | IO[str] | bytes | str
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


def read_upload(file: Upload) -> tuple[str, list[str]]:
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


class ImportOptions(TypedDict, total=False):
    """The keywords every import takes (the defaults are `Run`'s).

    `today` the patient's local date (default: now); `progress(done, total)` is called while
    writing; `filename` goes into the reason kept with each revision; `confirm` applies the
    differences with facts recorded since; `dry_run` checks and counts but stores nothing.
    """

    today: dt.date | None
    progress: Progress | None
    filename: str
    confirm: bool
    dry_run: bool


@dataclass(frozen=True)
class Run:
    """One import's options (`ImportOptions`) and when it started (`ImportResult.seconds`)."""

    today: dt.date | None = None
    progress: Progress | None = None
    filename: str = ""
    confirm: bool = False
    dry_run: bool = False
    started: float = field(default_factory=time.perf_counter)

    def writer(self, kind: str, patient: Patient, by: Any) -> dict[str, Any]:
        """Who writes, for whom, on which day and why: the keywords of every plan and apply."""
        return {
            "patient": patient,
            "by": by,
            "today": self.today or patient_today(patient),
            "reason": f"import ({kind}) {self.filename}".strip()[:300],
        }


def planned_days(plan: DayPlan) -> Counts:
    """The day counts of a plan that is not applied (a dry run, or refused)."""
    counts = plan.counts
    counts.created = sum(1 for c in plan.changes if not c.exists)
    counts.updated = sum(1 for c in plan.changes if c.exists)
    return counts


def _finish(result: ImportResult, patient: Patient, run: Run) -> ImportResult:
    """Time the import and audit it (counts only: the file name may hold a name)."""
    result.seconds = time.perf_counter() - run.started
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
