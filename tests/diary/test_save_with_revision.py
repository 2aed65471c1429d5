"""An update of a stored day keeps the old version as a revision and stores the new one:
on PostgreSQL in one statement (diary.actions.stored, issue 19.1). The rows must be
exactly what the two ORM saves wrote."""

from __future__ import annotations

import datetime as dt

from django.db import connection
from django.test.utils import CaptureQueriesContext

from cephalog.diary.actions import save_day
from cephalog.diary.actions.checks import entry_to_dict
from cephalog.diary.models import DiaryEntry, DiaryEntryRevision
from tests.personas import Cast

TODAY = dt.date(2026, 3, 20)
FIRST = {
    "date": "2026-03-18",
    "headache_hours": 6.5,
    "peak_intensity": "severe",
    "nausea": True,
    "notes": "first",
    "pain_locations": ["temples"],
    "triggers": ["stress"],
    "acute_medications": [{"name": "sumatriptan", "class": "triptan", "effective": True}],
}
SECOND = {
    "date": "2026-03-18",
    "headache_hours": 2,
    "peak_intensity": "mild",
    "photophobia": True,
    "notes": "corrected",
    "pain_locations": ["forehead"],
    "triggers": ["sleep", "alcohol"],
}


def test_an_update_keeps_the_old_version_and_stores_the_new(cast: Cast) -> None:
    patient, user = cast.patient, cast.patient_user
    first = save_day(patient=patient, data=FIRST, by=user, today=TODAY)
    old = DiaryEntry.objects.get(pk=first.pk)
    old_snapshot = entry_to_dict(old)
    with CaptureQueriesContext(connection) as queries:
        second = save_day(
            patient=patient, data=SECOND, by=user, today=TODAY, reason="typo", expected_version=1
        )
    writes = [
        q["sql"]
        for q in queries.captured_queries
        if "diary_diaryentryrevision" in q["sql"]
        or q["sql"].startswith(("UPDATE", "EXECUTE"))
        and "cephalog_audit_append" not in q["sql"]
    ]
    if connection.vendor == "postgresql":
        # the revision's INSERT and the entry's UPDATE together, in the prepared save
        # (its PREPARE, once per database session, holds the statement)
        writes = [w for w in writes if not w.startswith("PREPARE")]
        assert len(writes) == 1, writes
        assert writes[0].startswith("EXECUTE cephalog_diary_save_day")
    revision = DiaryEntryRevision.objects.get(patient=patient, date=dt.date(2026, 3, 18))
    assert revision.version == 1
    assert revision.snapshot == old_snapshot
    assert revision.changed_by_id == user.pk
    assert (revision.change, revision.reason) == ("edit", "typo")
    assert revision.changed_at is not None
    stored = DiaryEntry.objects.get(pk=first.pk)
    assert stored.version == second.version == 2
    assert float(stored.headache_hours) == 2.0
    assert (stored.peak_intensity, stored.nausea, stored.photophobia) == ("mild", False, True)
    assert (stored.notes, stored.pain_locations, stored.triggers) == (
        "corrected",
        ["forehead"],
        ["sleep", "alcohol"],
    )
    assert stored.created_at == old.created_at
    assert stored.updated_at > old.updated_at
    assert stored.updated_at == second.updated_at
    assert list(stored.medications.all()) == []
    assert [d.version for d in DiaryEntry.objects.filter(pk=first.pk)] == [2]


def test_the_locked_day_is_the_entry_the_orm_reads(cast: Cast) -> None:
    """_locked_day (a plain cursor on PostgreSQL, the ORM's raw query elsewhere) gives the
    stored entry field for field, with its medicines."""
    from django.db import transaction

    from cephalog.diary.actions.day import _locked_day

    patient = cast.patient
    save_day(patient=patient, data=FIRST, by=cast.patient_user, today=TODAY)
    stored = DiaryEntry.objects.get(patient=patient, date=dt.date(2026, 3, 18))
    with transaction.atomic():
        locked = _locked_day(patient, dt.date(2026, 3, 18))
        assert _locked_day(patient, dt.date(2026, 3, 1)) is None
    assert locked is not None
    for field in DiaryEntry._meta.concrete_fields:
        assert getattr(locked, field.attname) == getattr(stored, field.attname), field.name
    assert locked.pain_locations == ["temples"]
    assert locked._state.adding is False
    assert [(m.name, m.drug_class, m.effective) for m in locked.medications.all()] == [
        ("sumatriptan", "triptan", True)
    ]
