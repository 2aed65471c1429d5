"""Other patients' ids in paths and bodies: the answer is 404 (existence not revealed) and
nothing of theirs is read or written."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import time_machine

from cephalog.diary.actions import save_day
from cephalog.diary.models import DiaryEntry
from tests.personas import ALL_PERSONAS, Cast, assert_refused, client_for

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 20, 12, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def frozen() -> object:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def test_the_staff_diary_api_hides_other_clinics_and_patients_ids(cast: Cast) -> None:
    theirs = f"/api/patients/{cast.other_clinic_patient.pk}/diary"
    for persona in ALL_PERSONAS:
        response = client_for(cast, persona).get(theirs)
        if persona == "other_physician":  # their own clinic's patient
            assert response.status_code == 200
            continue
        assert response.status_code in (401, 404), persona
        assert "Vantablack" not in response.content.decode()
    ada = f"/api/patients/{cast.patient.pk}/diary"
    for persona in ("other_patient_user", "patient_user", "other_physician", "anonymous"):
        assert client_for(cast, persona).get(ada).status_code in (401, 404), persona
    for persona in ("nurse", "physician", "clinic_admin"):
        assert client_for(cast, persona).get(ada).status_code == 200, persona


@pytest.mark.parametrize(
    "extra",
    [
        {"patient": "OTHER"},
        {"patient_id": "OTHER"},
        {"user": "OTHER"},
        {"patient": {"id": "OTHER"}},
        {"id": 1, "pk": 1},
    ],
)
def test_another_patients_id_in_a_body_is_ignored(cast: Cast, extra: dict[str, object]) -> None:
    body = {
        "headache_hours": 3,
        "peak_intensity": "mild",
        **{k: (str(cast.other_patient.pk) if v == "OTHER" else v) for k, v in extra.items()},
    }
    response = client_for(cast, "patient_user").put(
        "/api/me/diary/2026-03-19", json.dumps(body), content_type="application/json"
    )
    assert response.status_code == 201
    assert DiaryEntry.objects.filter(patient=cast.patient).count() == 1
    assert not DiaryEntry.objects.filter(patient=cast.other_patient).exists()


def test_clinic_pages_refuse_other_patients_ids(cast: Cast) -> None:
    save_day(
        patient=cast.other_clinic_patient,
        data={"date": "2026-03-19", "headache_hours": 0},
        by=cast.other_physician,
    )
    pid = cast.other_clinic_patient.pk
    for url in (
        f"/clinic/patients/{pid}/",
        f"/clinic/patients/{pid}/diary/",
        f"/clinic/patients/{pid}/diary/2026-03-19/",
        f"/clinic/patients/{pid}/sessions/",
        f"/clinic/patients/{pid}/diary-data/import/",
    ):
        assert_refused(
            cast,
            url,
            [p for p in ALL_PERSONAS if p != "other_physician"],
            secrets=["Vantablack", "Y-77"],
        )


def test_a_staff_save_to_another_clinics_patient_writes_nothing(cast: Cast) -> None:
    url = f"/clinic/patients/{cast.other_clinic_patient.pk}/diary/2026-03-19/"
    response = client_for(cast, "physician").post(
        url,
        {
            "headache_hours": "5",
            "peak_intensity": "mild",
            "version": "0",
            "med-TOTAL_FORMS": "0",
            "med-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 404
    assert not DiaryEntry.objects.filter(patient=cast.other_clinic_patient).exists()


@pytest.mark.parametrize(
    "path",
    [
        "/api/patients/not-a-uuid/diary",
        "/api/patients/00000000-0000-0000-0000-000000000000/diary",
        "/api/patients/../me/diary",
        "/api/patients/%2e%2e%2fme/diary",
        "/api/me/diary/2026-02-30",
        "/api/me/diary/..%2f..%2fetc%2fpasswd",
    ],
)
def test_malformed_ids_in_paths_are_4xx(cast: Cast, path: str) -> None:
    response = client_for(cast, "nurse").get(path)
    assert 400 <= response.status_code < 500, (path, response.status_code)
