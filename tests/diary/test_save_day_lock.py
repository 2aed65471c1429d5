"""save_day locks only the diary row and reads its medicines in the same query (issue 19.1):
no join with the patient (the model's default ordering by patient made one, and locked
the patient row too), no ORDER BY, and the kept revision still holds the medicines."""

from __future__ import annotations

import datetime as dt
import threading
import time

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from cephalog.core.time import patient_today
from cephalog.diary.actions import save_day
from cephalog.diary.actions.stored import _one_sql
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
    if connection.vendor == "postgresql":
        # one prepared statement saves the day (diary.actions.stored): its lock is its
        # first part, and nothing else reads the day or its medicines
        lock = _one_sql()[0].split(" AS WITH locked AS (", 1)[1].split("), ", 1)[0]
        assert lock.endswith("FOR UPDATE OF e")  # e: the diary row only
        assert not [
            s
            for s in statements
            if s.lstrip().upper().startswith("SELECT")
            and ("diary_acutemedicationtaken" in s or "diary_diaryentry" in s)
        ]
    else:
        lock = next(
            s
            for s in statements
            if "diary_diaryentry" in s and s.lstrip().upper().startswith("SELECT")
        )
        # the medicines came with the lock: no query reads them on their own before the delete
        reads = [
            s
            for s in statements
            if s.lstrip().upper().startswith("SELECT") and "diary_acutemedicationtaken" in s
        ]
        assert reads == [lock]
    assert "JOIN" not in lock.upper()
    assert "ORDER BY" not in lock.upper()
    assert "patients_patient" not in lock
    revision = DiaryEntryRevision.objects.get(patient=patient, date=date, version=1)
    assert revision.snapshot["acute_medications"] == [
        {"name": "Sumatriptan", "class": "triptan", "effective": True},
        {"name": "Ibuprofen", "class": "simple_analgesic", "effective": None},
    ]
    assert [m.name for m in entry.medications.all()] == ["Sumatriptan"]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_save_that_waited_for_the_lock_keeps_the_medicines_of_the_version_it_replaced(
    cast: Cast,
) -> None:
    """PostgreSQL hands a statement that waited for a row lock the row's new version but
    the rest (the medicines) as of the statement's start: the revision must still hold
    the medicines of the version it replaces, not the ones before."""
    if connection.vendor != "postgresql":
        pytest.skip("row locks: PostgreSQL")
    patient, user = cast.patient, cast.patient_user
    date = patient_today(patient) - dt.timedelta(days=1)

    def medicine(name: str) -> list[dict[str, object]]:
        return [{"name": name, "class": "triptan", "effective": True}]

    save_day(patient=patient, by=user, data=_day(date, medicine("First")))  # version 1
    holding, errors = threading.Event(), []

    def first_writer() -> None:
        try:
            with transaction.atomic():
                save_day(patient=patient, by=user, data=_day(date, medicine("Second")))  # v2
                holding.set()
                time.sleep(0.8)  # the other save is waiting for the row meanwhile
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)
            holding.set()
        finally:
            connection.close()

    writer = threading.Thread(target=first_writer)
    writer.start()
    assert holding.wait(10)
    entry = save_day(patient=patient, by=user, data=_day(date, medicine("Third")))  # waits
    writer.join()
    assert not errors
    assert entry.version == 3
    kept = DiaryEntryRevision.objects.get(patient=patient, date=date, version=2)
    assert [m["name"] for m in kept.snapshot["acute_medications"]] == ["Second"]
    assert [m.name for m in entry.medications.all()] == ["Third"]
