"""save_day locks only the diary row and reads its medicines in the same query (issue 19.1):
no join with the patient (the model's default ordering by patient made one, and locked
the patient row too), no ORDER BY, and the kept revision still holds the medicines."""

from __future__ import annotations

import datetime as dt

from django.db import connection
from django.test.utils import CaptureQueriesContext

from cephalog.diary.actions import patient_today, save_day
from cephalog.diary.models import DiaryEntryRevision
from tests.personas import Cast


def _day(date: dt.date, medicines: list[dict[str, object]]) -> dict[str, object]:
    return {
        "date": date.isoformat(),
        "headache_hours": 5,
        "peak_intensity": "severe",
        "nausea": True,
        "acute_medications": medicines,
    }


def test_the_lock_query_locks_the_diary_row_only_and_brings_the_medicines(cast: Cast) -> None:
    patient = cast.patient
    date = patient_today(patient) - dt.timedelta(days=1)
    medicines = [
        {"name": "Sumatriptan", "class": "triptan", "effective": True},
        {"name": "Ibuprofen", "class": "simple_analgesic", "effective": None},
    ]
    save_day(patient=patient, by=cast.patient_user, data=_day(date, medicines))
    with CaptureQueriesContext(connection) as queries:
        entry = save_day(patient=patient, by=cast.patient_user, data=_day(date, medicines[:1]))
    assert entry.version == 2
    statements = [q["sql"] for q in queries.captured_queries]
    lock = next(
        s for s in statements if "diary_diaryentry" in s and s.lstrip().upper().startswith("SELECT")
    )
    assert "JOIN" not in lock.upper()
    assert "ORDER BY" not in lock.upper().split("FROM", 1)[1].split("(", 1)[0]
    assert "patients_patient" not in lock
    if connection.vendor == "postgresql":
        assert 'FOR UPDATE OF "diary_diaryentry"' in lock
    # the medicines came with the lock: no query reads them on their own before the delete
    reads = [
        s
        for s in statements
        if s.lstrip().upper().startswith("SELECT") and "diary_acutemedicationtaken" in s
    ]
    assert reads == [lock]
    revision = DiaryEntryRevision.objects.get(patient=patient, date=date, version=1)
    assert revision.snapshot["acute_medications"] == [
        {"name": "Sumatriptan", "class": "triptan", "effective": True},
        {"name": "Ibuprofen", "class": "simple_analgesic", "effective": None},
    ]
    assert [m.name for m in entry.medications.all()] == ["Sumatriptan"]
