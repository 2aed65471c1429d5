"""Exporting the diary as CSV (issue 3, part 6): days (raw facts and derived flags) and
attacks. The days CSV re-imports unchanged (cephalog.diary.imports); free-text
cells are guarded against spreadsheet formula injection. Every export is audited."""

from __future__ import annotations

import csv
import datetime as dt
import io
import zoneinfo
from typing import Any

from cephalog.audit.actions import record
from cephalog.diary.attack_actions import attack_facts
from cephalog.diary.models import Attack
from cephalog.diary.queries import diary_days
from cephalog.domain.importing import (
    ATTACKS_HEADER,
    DAYS_HEADER,
    attack_row,
    day_row,
)
from cephalog.patients.models import Patient


def _csv(header: tuple[str, ...], rows: list[list[str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def day_rows(
    patient: Patient, start: dt.date | None = None, end: dt.date | None = None
) -> list[list[str]]:
    """One row per recorded date, oldest first (`domain.importing.DAYS_HEADER`)."""
    return [day_row(day) for day in diary_days(patient, start, end).values()]


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
