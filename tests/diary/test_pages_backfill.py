"""The backfill window: patients fill in today and the clinic's last N days (default 7);
older days are locked for them and editable by clinicians with a reason."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from cephalog.diary.actions import save_day
from cephalog.diary.models import DiaryEntry, DiaryEntryRevision
from tests.personas import Cast, client_for

NOW = dt.datetime(2026, 5, 12, 18, 30, tzinfo=dt.UTC)
TODAY = dt.date(2026, 5, 12)
DAY_7 = TODAY - dt.timedelta(days=7)
DAY_8 = TODAY - dt.timedelta(days=8)
EMPTY_ROWS = {"med-TOTAL_FORMS": "0", "med-INITIAL_FORMS": "0"}


@pytest.fixture
def frozen(time_machine: Any) -> None:
    time_machine.move_to(NOW, tick=False)


def patient_url(date: dt.date) -> str:
    return f"/me/diary/{date.isoformat()}/"


def staff_url(cast: Cast, date: dt.date) -> str:
    return f"/clinic/patients/{cast.patient.pk}/diary/{date.isoformat()}/"


def test_it_lets_the_patient_fill_in_day_7(cast: Cast, frozen: None) -> None:
    client = client_for(cast, "patient_user")
    assert "<form" in client.get(patient_url(DAY_7)).content.decode()
    response = client.post(patient_url(DAY_7), {"headache_hours": "0", **EMPTY_ROWS})
    assert response.status_code == 302
    entry = DiaryEntry.objects.get(patient=cast.patient, date=DAY_7)
    assert entry.late


def test_it_locks_day_8_for_the_patient(cast: Cast, frozen: None) -> None:
    client = client_for(cast, "patient_user")
    page = client.get(patient_url(DAY_8)).content.decode()
    assert "ask your clinic to correct it" in page
    assert 'name="headache_hours"' not in page
    response = client.post(patient_url(DAY_8), {"headache_hours": "0", **EMPTY_ROWS})
    assert response.status_code == 403
    response = client.post("/me/diary/no-headache/", {"date": DAY_8.isoformat()}, follow=True)
    assert "are locked" in response.content.decode()
    assert not DiaryEntry.objects.exists()


def test_it_shows_a_locked_day_read_only(cast: Cast, frozen: None) -> None:
    save_day(
        patient=cast.patient,
        data={"date": DAY_8.isoformat(), "headache_hours": 5, "peak_intensity": "moderate"},
        by=cast.nurse,
        today=TODAY,
        source="staff",
    )
    page = client_for(cast, "patient_user").get(patient_url(DAY_8)).content.decode()
    assert "What you recorded" in page
    assert "Headache for 5 hours, moderate at worst" in page
    assert "Headache day" in page


def test_it_follows_the_clinics_window(cast: Cast, frozen: None) -> None:
    cast.clinic.backfill_days = 10
    cast.clinic.save()
    client = client_for(cast, "patient_user")
    response = client.post(patient_url(DAY_8), {"headache_hours": "0", **EMPTY_ROWS})
    assert response.status_code == 302
    home = client.get("/me/").content.decode()
    assert "You can still fill in the last 10 days." in home


def test_it_lets_a_clinician_add_day_8_without_a_reason(cast: Cast, frozen: None) -> None:
    response = client_for(cast, "nurse").post(
        staff_url(cast, DAY_8), {"headache_hours": "0", **EMPTY_ROWS}
    )
    assert response.status_code == 302
    assert response["Location"] == f"/clinic/patients/{cast.patient.pk}/diary/?month=2026-05"
    entry = DiaryEntry.objects.get(patient=cast.patient, date=DAY_8)
    assert entry.source == "staff"


def test_it_needs_a_reason_when_a_clinician_changes_an_entry(cast: Cast, frozen: None) -> None:
    save_day(
        patient=cast.patient,
        data={"date": DAY_8.isoformat(), "headache_hours": 0},
        by=cast.nurse,
        today=TODAY,
        source="staff",
    )
    client = client_for(cast, "physician")
    page = client.post(staff_url(cast, DAY_8), {"headache_hours": "5", **EMPTY_ROWS}).content
    assert b"required when headache_hours &gt; 0" in page  # staff see the domain's words
    data = {"headache_hours": "5", "peak_intensity": "moderate", **EMPTY_ROWS}
    page = client.post(staff_url(cast, DAY_8), data).content.decode()
    assert "say why you are changing the patient&#x27;s entry" in page
    assert DiaryEntry.objects.get(patient=cast.patient, date=DAY_8).version == 1

    response = client.post(staff_url(cast, DAY_8), {**data, "reason": "Paper diary said 5 hours"})
    assert response.status_code == 302
    entry = DiaryEntry.objects.get(patient=cast.patient, date=DAY_8)
    assert (entry.version, float(entry.headache_hours)) == (2, 5.0)
    revision = DiaryEntryRevision.objects.get(patient=cast.patient, date=DAY_8)
    assert (revision.version, revision.reason, revision.changed_by) == (
        1,
        "Paper diary said 5 hours",
        cast.physician,
    )
    history = client.get(staff_url(cast, DAY_8)).content.decode()
    assert "Paper diary said 5 hours" in history
    assert "Version 1 replaced" in history


def test_it_refuses_future_days_to_clinicians(cast: Cast, frozen: None) -> None:
    tomorrow = TODAY + dt.timedelta(days=1)
    client = client_for(cast, "nurse")
    assert client.get(staff_url(cast, tomorrow)).status_code == 404
    assert (
        client.post(staff_url(cast, tomorrow), {"headache_hours": "0", **EMPTY_ROWS}).status_code
        == 404
    )
