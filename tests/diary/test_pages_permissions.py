"""Who may open the diary pages: patients only their own (no id in /me/ URLs), staff
only their clinic's patients through the opaque uuid."""

from __future__ import annotations

import datetime as dt

import pytest

from cephalog.diary.actions import save_day
from cephalog.diary.models import DiaryEntry
from tests.personas import STAFF, Cast, assert_allowed, assert_refused, client_for

NOW = dt.datetime(2026, 5, 12, 18, 30, tzinfo=dt.UTC)  # 19:30 in London
TODAY = dt.date(2026, 5, 12)
PATIENT_PAGES = ("/me/", "/me/diary/2026-05-12/", "/me/diary/calendar/", "/me/settings/")
NOT_PATIENTS = ("anonymous", "nurse", "physician", "clinic_admin", "other_physician")
SECRETS = ("Quill", "MRN-1001", "Sumatriptan 50 mg")


@pytest.fixture
def frozen(time_machine: pytest.FixtureRequest) -> None:
    time_machine.move_to(NOW, tick=False)  # type: ignore[attr-defined]


@pytest.fixture
def ada_day(cast: Cast, frozen: None) -> dt.date:
    """Ada's diary holds a treated migraine yesterday."""
    date = TODAY - dt.timedelta(days=1)
    save_day(
        patient=cast.patient,
        data={
            "date": date.isoformat(),
            "headache_hours": 7,
            "peak_intensity": "severe",
            "nausea": True,
            "pulsating": True,
            "unilateral": True,
            "acute_medications": [
                {"name": "Sumatriptan 50 mg", "class": "triptan", "effective": True}
            ],
        },
        by=cast.patient_user,
        today=TODAY,
    )
    return date


def test_it_shows_the_patient_pages_to_patients_only(cast: Cast, ada_day: dt.date) -> None:
    for url in PATIENT_PAGES:
        assert_refused(cast, url, NOT_PATIENTS, secrets=SECRETS)
        assert_allowed(cast, url, ["patient_user", "other_patient_user"])


def test_it_refuses_the_one_tap_post_to_anyone_but_a_patient(cast: Cast, frozen: None) -> None:
    assert_refused(
        cast, "/me/diary/no-headache/", NOT_PATIENTS, method="post", data={"date": "2026-05-12"}
    )
    assert not DiaryEntry.objects.exists()


def test_it_gives_each_patient_their_own_day_at_the_same_url(cast: Cast, ada_day: dt.date) -> None:
    url = f"/me/diary/{ada_day.isoformat()}/"
    ada = client_for(cast, "patient_user").get(url).content.decode()
    assert 'value="Sumatriptan 50 mg"' in ada
    brook = client_for(cast, "other_patient_user")
    body = brook.get(url).content.decode()
    assert "Sumatriptan 50 mg" not in body
    assert 'value="7"' not in body
    # Brook's post on the same date writes Brook's diary, never Ada's.
    brook.post(url, {"headache_hours": "0", "med-TOTAL_FORMS": "0", "med-INITIAL_FORMS": "0"})
    assert DiaryEntry.objects.get(patient=cast.other_patient, date=ada_day).headache_hours == 0
    ada_entry = DiaryEntry.objects.get(patient=cast.patient, date=ada_day)
    assert (ada_entry.headache_hours, ada_entry.version) == (7, 1)


def test_it_shows_the_clinic_diary_to_the_patients_clinic_staff_only(
    cast: Cast, ada_day: dt.date
) -> None:
    url = f"/clinic/patients/{cast.patient.pk}/diary/"
    assert_refused(
        cast,
        url,
        ["anonymous", "patient_user", "other_patient_user", "other_physician"],
        secrets=SECRETS,
    )
    assert_allowed(cast, url, STAFF, contains="Ada Quill")


def test_it_lets_only_clinicians_open_the_staff_day_form(cast: Cast, ada_day: dt.date) -> None:
    url = f"/clinic/patients/{cast.patient.pk}/diary/{ada_day.isoformat()}/"
    refused = ["anonymous", "patient_user", "other_patient_user", "other_physician", "clinic_admin"]
    assert_refused(cast, url, refused, secrets=SECRETS)
    assert_refused(
        cast,
        url,
        refused,
        method="post",
        data={
            "headache_hours": "0",
            "reason": "x",
            "med-TOTAL_FORMS": "0",
            "med-INITIAL_FORMS": "0",
        },
    )
    assert DiaryEntry.objects.get(patient=cast.patient, date=ada_day).version == 1
    assert_allowed(cast, url, ["nurse", "physician"], contains="Sumatriptan 50 mg")


def test_it_hides_another_clinics_patient_diary(cast: Cast, frozen: None) -> None:
    url = f"/clinic/patients/{cast.other_clinic_patient.pk}/diary/"
    assert_refused(cast, url, STAFF, secrets=["Vantablack", "Y-77"])
    assert_allowed(cast, url, ["other_physician"], contains="Vantablack")


def test_it_answers_404_for_impossible_dates_and_unknown_patients(cast: Cast, frozen: None) -> None:
    patient = client_for(cast, "patient_user")
    assert patient.get("/me/diary/2026-02-30/").status_code == 404
    assert patient.get("/me/diary/12-05-2026/").status_code == 404
    nurse = client_for(cast, "nurse")
    assert (
        nurse.get("/clinic/patients/00000000-0000-0000-0000-000000000000/diary/").status_code == 404
    )
