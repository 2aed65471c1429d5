"""The detailed day form, complete (issue 16.3): attack times across midnight, pain
location, triggers and a note kept; contradictory entries questioned before saving;
every save says what it saved."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from cephalog.diary.models import Attack, DiaryEntry
from tests.diary.test_pages_day_form import form
from tests.personas import Cast, client_for

NOW = dt.datetime(2026, 5, 12, 18, 30, tzinfo=dt.UTC)  # 19:30 in London (BST)
DAY = dt.date(2026, 5, 10)
URL = "/me/diary/2026-05-10/"


@pytest.fixture
def frozen(time_machine: Any) -> None:
    time_machine.move_to(NOW, tick=False)


def test_it_counts_an_attack_past_midnight_on_both_days(cast: Cast, frozen: None) -> None:
    client = client_for(cast, "patient_user")
    response = client.post(
        URL,
        form(attack_start="22:00", attack_end="03:30", peak_intensity="severe", version="0"),
        follow=True,
    )
    entries = {e.date: e for e in DiaryEntry.objects.filter(patient=cast.patient)}
    assert float(entries[DAY].headache_hours) == 2
    assert entries[DAY].peak_intensity == "severe"
    following = DAY + dt.timedelta(days=1)
    assert float(entries[following].headache_hours) == 3.5
    assert entries[following].peak_intensity == "severe"
    attack = Attack.objects.get(patient=cast.patient)
    assert attack.end - attack.start == dt.timedelta(hours=5, minutes=30)
    page = response.content.decode()
    assert "Saved Sunday 10 May: headache for 2 hours, severe at worst." in page
    assert "3.5 hours also counted on Monday 11 May" in page
    # The times are shown again; changing them replaces the attack, not adds one.
    again = client.get(URL).content.decode()
    assert 'value="22:00"' in again
    assert 'value="03:30"' in again
    client.post(
        URL,
        form(attack_start="21:00", attack_end="23:00", peak_intensity="severe", version="1"),
    )
    assert Attack.objects.filter(patient=cast.patient).count() == 1


def test_it_keeps_hours_typed_when_they_are_more_than_the_times(cast: Cast, frozen: None) -> None:
    client_for(cast, "patient_user").post(
        URL,
        form(
            headache_hours="6",
            attack_start="09:00",
            attack_end="10:00",
            peak_intensity="moderate",
            version="0",
        ),
    )
    assert float(DiaryEntry.objects.get(patient=cast.patient, date=DAY).headache_hours) == 6


def test_it_keeps_location_triggers_and_note(cast: Cast, frozen: None) -> None:
    client = client_for(cast, "patient_user")
    data = form(
        headache_hours="4",
        peak_intensity="moderate",
        notes="Long drive to Leeds; forgot lunch.",
        version="0",
    )
    post = {**data, "pain_locations": ["temples", "eyes"], "triggers": ["travel", "meal"]}
    response = client.post(URL, post, follow=True)
    entry = DiaryEntry.objects.get(patient=cast.patient, date=DAY)
    assert entry.notes == "Long drive to Leeds; forgot lunch."
    assert entry.pain_locations == ["temples", "eyes"]
    assert entry.triggers == ["meal", "travel"]  # in the order of the choices
    assert "2 possible triggers, your note" in response.content.decode()
    page = client.get(URL).content.decode()
    assert "Long drive to Leeds; forgot lunch." in page
    assert 'value="temples" id="id_pain_locations_1" checked' in page


def test_it_questions_a_severity_on_a_day_of_no_headache(cast: Cast, frozen: None) -> None:
    client = client_for(cast, "patient_user")
    data = form(headache_hours="0", peak_intensity="severe", version="0")
    asked = client.post(URL, data)
    assert asked.status_code == 200
    assert "Please check before we save" in asked.content.decode()
    assert "0 hours with headache, but also how bad it was" in asked.content.decode()
    assert not DiaryEntry.objects.filter(patient=cast.patient).exists()
    confirmed = client.post(URL, {**data, "confirmed": "1"}, follow=True)
    entry = DiaryEntry.objects.get(patient=cast.patient, date=DAY)
    assert (float(entry.headache_hours), entry.peak_intensity) == (0, "")
    assert "Saved Sunday 10 May: no headache." in confirmed.content.decode()


def test_it_questions_pain_described_on_a_day_of_no_headache(cast: Cast, frozen: None) -> None:
    asked = client_for(cast, "patient_user").post(
        URL, form(headache_hours="0", pulsating="on", version="0")
    )
    assert "also described the pain" in asked.content.decode()
    assert not DiaryEntry.objects.filter(patient=cast.patient).exists()


def test_it_asks_for_the_hours_of_a_headache_given_a_severity(cast: Cast, frozen: None) -> None:
    page = client_for(cast, "patient_user").post(URL, form(peak_intensity="mild", version="0"))
    assert "how many hours did it last?" in page.content.decode()
    assert "Nothing has been saved yet" in page.content.decode()
    assert not DiaryEntry.objects.filter(patient=cast.patient).exists()


def test_it_saves_a_medicine_on_a_headache_free_day_without_question(
    cast: Cast, frozen: None
) -> None:
    response = client_for(cast, "patient_user").post(
        URL,
        form([{"name": "ibuprofen", "effective": "yes"}], headache_hours="0", version="0"),
        follow=True,
    )
    entry = DiaryEntry.objects.get(patient=cast.patient, date=DAY)
    assert entry.medications.count() == 1
    assert "Saved Sunday 10 May: no headache, 1 medicine." in response.content.decode()


def test_it_refuses_an_end_time_still_to_come(cast: Cast, frozen: None) -> None:
    page = client_for(cast, "patient_user").post(
        "/me/diary/2026-05-12/",
        form(attack_start="18:00", attack_end="23:00", peak_intensity="mild", version="0"),
    )
    assert "that time has not come yet" in page.content.decode()
    assert not DiaryEntry.objects.filter(patient=cast.patient).exists()


def test_it_wants_both_times_or_neither(cast: Cast, frozen: None) -> None:
    page = client_for(cast, "patient_user").post(
        URL, form(attack_start="18:00", peak_intensity="mild", version="0")
    )
    assert "Add the time it ended too" in page.content.decode()


def test_a_locked_day_still_shows_its_details(cast: Cast, frozen: None) -> None:
    from cephalog.diary.actions import save_day

    save_day(
        patient=cast.patient,
        data={
            "date": "2026-04-20",
            "headache_hours": 3,
            "peak_intensity": "mild",
            "notes": "After the dentist",
            "pain_locations": ["face"],
            "triggers": ["stress"],
        },
        by=cast.nurse,
        reason="Paper diary",
        source="staff",
    )
    page = client_for(cast, "patient_user").get("/me/diary/2026-04-20/").content.decode()
    assert "can no longer be changed here" in page
    assert "Your note: After the dentist" in page
    assert "Where: face or jaw" in page
    assert "Possible triggers: stress" in page
