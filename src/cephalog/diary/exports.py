"""Exporting the diary as CSV (issue 3, part 6): days (raw facts and derived flags) and
attacks. The days CSV re-imports unchanged (cephalog.diary.imports); free-text
cells are guarded against spreadsheet formula injection. Every export is audited."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

from cephalog.audit.actions import record
from cephalog.diary.attack_actions import attack_facts
from cephalog.diary.models import Attack, DiaryEntry
from cephalog.diary.queries import diary_days
from cephalog.domain.csvcells import to_csv
from cephalog.domain.importing import (
    ATTACKS_HEADER,
    DAYS_HEADER,
    attack_row,
    day_row,
)
from cephalog.patients.models import Patient


def _csv(header: tuple[str, ...], rows: list[list[str]]) -> str:
    # Cells are guarded by day_row and attack_row; to_csv guards anything else.
    return to_csv(header, rows)


def day_rows(
    patient: Patient, start: dt.date | None = None, end: dt.date | None = None
) -> list[list[str]]:
    """One row per recorded date, oldest first (`domain.importing.DAYS_HEADER`), with
    the day's note."""
    entries = DiaryEntry.objects.filter(patient=patient).exclude(notes="")
    if start is not None:
        entries = entries.filter(date__gte=start)
    if end is not None:
        entries = entries.filter(date__lte=end)
    notes = dict(entries.values_list("date", "notes"))
    return [
        day_row(day, notes.get(date, "")) for date, day in diary_days(patient, start, end).items()
    ]


def attack_rows(patient: Patient) -> list[list[str]]:
    """One row per attack, times in the patient's zone (`domain.importing.ATTACKS_HEADER`)."""
    tz = zoneinfo.ZoneInfo(patient.time_zone)
    return [
        attack_row(attack_facts(a), tz, source=a.source)
        for a in Attack.objects.filter(patient=patient).order_by("start")
    ]


def days_csv(patient: Patient) -> str:
    return _csv(DAYS_HEADER, day_rows(patient))


def attacks_csv(patient: Patient) -> str:
    return _csv(ATTACKS_HEADER, attack_rows(patient))


def export_diary(*, patient: Patient, kind: str, user: Any = None) -> str:
    """The patient's days (`kind="days"`) or attacks (`kind="attacks"`) CSV, audited."""
    if kind == "attacks":
        header, rows = ATTACKS_HEADER, attack_rows(patient)
    else:
        header, rows = DAYS_HEADER, day_rows(patient)
    record(
        action="export",
        category="diary",
        patient=patient,
        user=user,
        object_ref=f"diary-export:{kind}",
        detail={"rows": len(rows)},
    )
    return _csv(header, rows)
