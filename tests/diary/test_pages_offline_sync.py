"""What the offline diary sends when the network is back (issue 16.2): the day form's
fields with an idempotency key, answered in JSON; the service worker and its pages."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from pathlib import Path
from typing import Any

import pytest

from cephalog.diary.actions import save_day
from cephalog.diary.models import DiaryEntry, DiarySubmission
from tests.diary.test_pages_day_form import form
from tests.personas import Cast, client_for

NOW = dt.datetime(2026, 5, 12, 18, 30, tzinfo=dt.UTC)
URL = "/me/diary/2026-05-10/"
SYNC = {"X-Cephalog-Sync": "1"}


@pytest.fixture
def frozen(time_machine: Any) -> None:
    time_machine.move_to(NOW, tick=False)


def test_it_stores_a_day_sent_twice_once(cast: Cast, frozen: None) -> None:
    client = client_for(cast, "patient_user")
    data = form(headache_hours="4", peak_intensity="moderate", version="0")
    data["idempotency_key"] = str(uuid.uuid4())
    first = client.post(URL, data, headers=SYNC)
    assert first.status_code == 200
    assert first.json() == {
        "status": "saved",
        "message": "Saved Sunday 10 May: headache for 4 hours, moderate at worst.",
    }
    again = client.post(URL, data, headers=SYNC)
    assert again.json()["status"] == "replayed"
    assert DiaryEntry.objects.get(patient=cast.patient).version == 1
    assert DiarySubmission.objects.count() == 1


def test_it_answers_a_conflict_with_both_versions(cast: Cast, frozen: None) -> None:
    save_day(
        patient=cast.patient,
        data={"date": "2026-05-10", "headache_hours": 8, "peak_intensity": "severe"},
        by=cast.nurse,
        reason="Paper diary",
        source="staff",
    )
    data = form(headache_hours="2", peak_intensity="mild", version="0")
    data["idempotency_key"] = str(uuid.uuid4())
    answer = client_for(cast, "patient_user").post(URL, data, headers=SYNC)
    assert answer.status_code == 409
    assert answer.json() == {
        "status": "conflict",
        "version": 1,
        "clinic": "Headache for 8 hours, severe at worst",
        "mine": "Headache for 2 hours, mild at worst",
    }
    assert not DiarySubmission.objects.exists()


def test_it_asks_its_questions_before_saving(cast: Cast, frozen: None) -> None:
    data = form(headache_hours="0", peak_intensity="severe", version="0")
    data["idempotency_key"] = str(uuid.uuid4())
    answer = client_for(cast, "patient_user").post(URL, data, headers=SYNC)
    assert answer.status_code == 422
    assert answer.json()["status"] == "question"
    assert "0 hours with headache" in answer.json()["problems"][0]
    assert not DiaryEntry.objects.exists()


def test_a_one_tap_never_overwrites_a_headache_recorded_meanwhile(cast: Cast, frozen: None) -> None:
    client = client_for(cast, "patient_user")
    tap = {"date": "2026-05-11", "idempotency_key": str(uuid.uuid4())}
    assert client.post("/me/diary/no-headache/", tap, headers=SYNC).json()["status"] == "saved"
    assert client.post("/me/diary/no-headache/", tap, headers=SYNC).json()["status"] == "replayed"
    save_day(
        patient=cast.patient,
        data={"date": "2026-05-10", "headache_hours": 3, "peak_intensity": "mild"},
        by=cast.nurse,
        reason="Phoned in",
        source="staff",
    )
    other = {"date": "2026-05-10", "idempotency_key": str(uuid.uuid4())}
    answer = client.post("/me/diary/no-headache/", other, headers=SYNC)
    assert answer.status_code == 409
    assert answer.json()["mine"] == "No headache"
    assert float(DiaryEntry.objects.get(date="2026-05-10").headache_hours) == 3


def test_another_patient_cannot_send_into_this_diary(cast: Cast, frozen: None) -> None:
    data = form(headache_hours="4", peak_intensity="moderate", version="0")
    data["idempotency_key"] = str(uuid.uuid4())
    client_for(cast, "other_patient_user").post(URL, data, headers=SYNC)
    assert not DiaryEntry.objects.filter(patient=cast.patient).exists()
    assert client_for(cast, "anonymous").post(URL, data, headers=SYNC).status_code == 302


def test_the_service_worker_is_served_for_the_patient_pages(cast: Cast) -> None:
    response = client_for(cast, "anonymous").get("/me/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Service-Worker-Allowed"] == "/me/"
    assert response["Cache-Control"] in ("no-cache", "private, no-store")  # never kept stale
    first_line, source = response.content.decode().split("\n", 1)
    config = json.loads(first_line.removeprefix("self.CEPHALOG = ").removesuffix(";"))
    assert config["pages"] == ["/me/", "/me/diary/offline/"]
    assert "/static/cephalog/offline.js" in config["assets"]
    assert 'addEventListener("fetch"' in source


def test_the_manifest_makes_the_diary_installable(cast: Cast) -> None:
    page = client_for(cast, "patient_user").get("/me/").content.decode()
    assert '<link rel="manifest" href="/static/cephalog/manifest.webmanifest">' in page
    staff = client_for(cast, "nurse").get("/clinic/patients/").content.decode()
    assert 'rel="manifest"' not in staff
    from django.contrib.staticfiles import finders

    path = Path(str(finders.find("cephalog/manifest.webmanifest")))
    manifest = json.loads(path.read_text())
    assert manifest["display"] == "standalone"
    assert manifest["start_url"] == manifest["scope"] == "/me/"
    assert {i["sizes"] for i in manifest["icons"]} >= {"192x192", "512x512"}
    for icon in manifest["icons"]:
        assert finders.find(f"cephalog/{icon['src']}")


def test_the_offline_day_form_is_a_blank_day_at_version_0(cast: Cast) -> None:
    page = client_for(cast, "patient_user").get("/me/diary/offline/").content.decode()
    assert 'name="version" value="0"' in page
    assert "data-offline-day" in page
    # Blank for any day not opened online before, also one she filled in: she is told it
    # is not lost (the walk at 360 px found Saturday's headache "gone" offline).
    assert "If you filled in this day before, it is not shown here while you are offline" in page
    assert "you choose which to keep" in page


def test_an_entry_refilled_from_the_phone_and_saved_is_not_stored_again(
    cast: Cast, frozen: None
) -> None:
    """The day form, refilled from the phone (offline.js adds the entry's key), saved
    online; the phone's later send of the same entry is a replay."""
    client = client_for(cast, "patient_user")
    data = form(headache_hours="4", peak_intensity="moderate", version="0")
    data["idempotency_key"] = str(uuid.uuid4())
    assert client.post(URL, data).status_code == 302
    late = client.post(URL, data, headers=SYNC)
    assert late.json()["status"] == "replayed"
    assert DiaryEntry.objects.get(patient=cast.patient).version == 1
