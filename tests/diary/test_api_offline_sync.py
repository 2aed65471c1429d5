"""The diary API for the offline diary (issue 16.2) and the day's details (16.3): an
idempotency key per entry stores a day once however often it is sent; notes, pain
locations and triggers go in and come out."""

from __future__ import annotations

import uuid

import pytest

from cephalog.diary.models import DiaryEntry, DiaryEntryRevision, DiarySubmission
from tests.diary.test_api_diary import frozen, put
from tests.personas import Cast, client_for

pytestmark = pytest.mark.usefixtures("frozen")
__all__ = ["frozen"]

DAY = {"headache_hours": 3, "peak_intensity": "moderate"}


def test_it_stores_a_day_sent_twice_with_one_key_once(cast: Cast) -> None:
    client = client_for(cast, "patient_user")
    key = str(uuid.uuid4())
    first = put(client, "2026-03-19", {**DAY, "version": 0, "idempotency_key": key})
    assert first.status_code == 201
    again = put(client, "2026-03-19", {**DAY, "version": 0, "idempotency_key": key})
    assert again.status_code == 200
    assert again["Idempotent-Replayed"] == "true"
    assert again.json()["version"] == 1
    entry = DiaryEntry.objects.get(patient=cast.patient)
    assert entry.version == 1
    assert not DiaryEntryRevision.objects.filter(patient=cast.patient).exists()
    assert DiarySubmission.objects.filter(patient=cast.patient).count() == 1


def test_it_refuses_a_key_used_for_another_day(cast: Cast) -> None:
    client = client_for(cast, "patient_user")
    key = str(uuid.uuid4())
    assert put(client, "2026-03-19", {**DAY, "idempotency_key": key}).status_code == 201
    other = put(client, "2026-03-18", {**DAY, "idempotency_key": key})
    assert other.status_code == 422
    assert other.json()["errors"] == ["idempotency_key: this key was already used for another day"]
    assert not DiaryEntry.objects.filter(date="2026-03-18").exists()


def test_it_refuses_a_key_that_is_not_a_uuid(cast: Cast) -> None:
    client = client_for(cast, "patient_user")
    for bad in ("abc", 12, ["x"]):
        answer = put(client, "2026-03-19", {**DAY, "idempotency_key": bad})
        assert answer.status_code == 422
        assert answer.json()["errors"][0].startswith("idempotency_key:")


def test_one_key_belongs_to_one_patient(cast: Cast) -> None:
    key = str(uuid.uuid4())
    assert (
        put(
            client_for(cast, "patient_user"), "2026-03-19", {**DAY, "idempotency_key": key}
        ).status_code
        == 201
    )
    other = put(
        client_for(cast, "other_patient_user"), "2026-03-19", {**DAY, "idempotency_key": key}
    )
    assert other.status_code == 201
    assert DiaryEntry.objects.filter(date="2026-03-19").count() == 2


def test_a_changed_day_answers_409_with_the_clinics_version(cast: Cast) -> None:
    """The offline diary sends the version it last saw: the clinic's change in between is
    not overwritten; the answer carries the clinic's version for the patient to choose."""
    client = client_for(cast, "patient_user")
    assert put(client, "2026-03-19", DAY).status_code == 201
    nurse = client_for(cast, "nurse")
    changed = nurse.post(
        f"/clinic/patients/{cast.patient.pk}/diary/2026-03-19/",
        {
            "headache_hours": "8",
            "peak_intensity": "severe",
            "reason": "Phoned in",
            "version": "1",
            "med-TOTAL_FORMS": "0",
            "med-INITIAL_FORMS": "0",
        },
    )
    assert changed.status_code == 302
    key = str(uuid.uuid4())
    mine = {"headache_hours": 2, "peak_intensity": "mild", "version": 1, "idempotency_key": key}
    conflict = put(client, "2026-03-19", mine)
    assert conflict.status_code == 409
    assert conflict.json()["current"]["headache_hours"] == 8
    assert not DiarySubmission.objects.exists()
    # The patient keeps theirs: sent again from the clinic's version, with the same key.
    kept = put(client, "2026-03-19", {**mine, "version": 2})
    assert kept.status_code == 200
    assert kept.json()["headache_hours"] == 2


def test_it_takes_and_gives_the_days_details(cast: Cast) -> None:
    client = client_for(cast, "patient_user")
    body = {
        **DAY,
        "notes": "Stressful meeting",
        "pain_locations": ["forehead", "neck"],
        "triggers": ["stress"],
    }
    saved = put(client, "2026-03-19", body)
    assert saved.status_code == 201
    out = saved.json()
    assert (out["notes"], out["pain_locations"], out["triggers"]) == (
        "Stressful meeting",
        ["forehead", "neck"],
        ["stress"],
    )
    listed = client.get("/api/me/diary?start=2026-03-19&end=2026-03-19").json()["days"][0]
    assert listed["notes"] == "Stressful meeting"
    assert listed["pain_locations"] == ["forehead", "neck"]
    # Left out: kept as they are.
    assert (
        put(client, "2026-03-19", {**DAY, "headache_hours": 4}).json()["notes"]
        == "Stressful meeting"
    )
    bad = put(client, "2026-03-19", {**DAY, "triggers": ["moon"], "notes": 5})
    assert bad.status_code == 422
    assert "notes: must be text" in bad.json()["errors"]
    assert any(e.startswith("triggers[0]: must be one of") for e in bad.json()["errors"])
