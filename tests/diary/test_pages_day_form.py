"""The patient's day form and the one-tap "no headache" button."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from cephalog.audit.models import AuditEvent
from cephalog.diary.actions import save_day
from cephalog.diary.models import DiaryEntry, DiaryEntryRevision
from tests.personas import Cast, client_for

NOW = dt.datetime(2026, 5, 12, 18, 30, tzinfo=dt.UTC)  # 19:30 in London
TODAY = dt.date(2026, 5, 12)
URL = "/me/diary/2026-05-12/"


@pytest.fixture
def frozen(time_machine: Any) -> None:
    time_machine.move_to(NOW, tick=False)


def form(rows: list[dict[str, str]] | None = None, **fields: str) -> dict[str, str]:
    """A day-form post: fields plus medicine rows in the formset's names."""
    rows = rows or []
    data = {"med-TOTAL_FORMS": str(max(len(rows), 3)), "med-INITIAL_FORMS": "0", **fields}
    for index, row in enumerate(rows):
        for key, value in row.items():
            data[f"med-{index}-{key}"] = value
    return data


def test_it_stores_a_headache_free_day_in_one_tap(cast: Cast, frozen: None) -> None:
    client = client_for(cast, "patient_user")
    response = client.post("/me/diary/no-headache/", {"date": "2026-05-12"}, follow=True)
    entry = DiaryEntry.objects.get(patient=cast.patient)
    assert (entry.date, entry.headache_hours, entry.late, entry.source) == (
        TODAY,
        0,
        False,
        "patient",
    )
    page = response.content.decode()
    assert "Saved: no headache today" in page
    assert "You have filled in today" in page
    # A second tap leaves the day alone.
    client.post("/me/diary/no-headache/", {"date": "2026-05-12"})
    assert DiaryEntry.objects.get(patient=cast.patient).version == 1


def test_it_defaults_the_one_tap_to_today(cast: Cast, frozen: None) -> None:
    client_for(cast, "patient_user").post("/me/diary/no-headache/")
    assert DiaryEntry.objects.get(patient=cast.patient).date == TODAY


def test_it_answers_an_htmx_tap_with_the_refreshed_home(cast: Cast, frozen: None) -> None:
    response = client_for(cast, "patient_user").post(
        "/me/diary/no-headache/", {"date": "2026-05-12"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "<html" not in page
    assert "You have filled in today" in page
    assert 'id="diary-status" hx-swap-oob="innerHTML"' in page
    assert "Saved: no headache today" in page


def test_it_refuses_a_bad_one_tap_date(cast: Cast, frozen: None) -> None:
    client = client_for(cast, "patient_user")
    assert client.post("/me/diary/no-headache/", {"date": "yesterday"}).status_code == 400
    response = client.post("/me/diary/no-headache/", {"date": "2026-05-13"}, follow=True)
    assert "is in the future" in response.content.decode()
    assert not DiaryEntry.objects.exists()


def test_it_stores_the_detailed_form_with_features_and_medicines(cast: Cast, frozen: None) -> None:
    data = form(
        [
            {"name": "Sumatriptan 50 mg", "drug_class": "", "effective": "yes"},
            {"name": "Grandma's tea", "drug_class": "other", "effective": "unsure"},
            {"name": "", "drug_class": "", "effective": ""},
        ],
        headache_hours="6.5",
        peak_intensity="severe",
        unilateral="on",
        pulsating="on",
        nausea="on",
        photophobia="on",
        aura_minutes="20",
    )
    response = client_for(cast, "patient_user").post(URL, data)
    assert response.status_code == 302
    assert response["Location"] == "/me/"
    entry = DiaryEntry.objects.get(patient=cast.patient, date=TODAY)
    assert float(entry.headache_hours) == 6.5
    assert entry.peak_intensity == "severe"
    assert (entry.unilateral, entry.pulsating, entry.aggravated_by_activity) == (True, True, False)
    assert (entry.nausea, entry.vomiting, entry.photophobia, entry.phonophobia) == (
        True,
        False,
        True,
        False,
    )
    assert entry.aura_minutes == 20
    assert [(m.name, m.drug_class, m.effective) for m in entry.medications.all()] == [
        ("Sumatriptan 50 mg", "triptan", True),
        ("Grandma's tea", "other", None),
    ]


def test_it_shows_the_domain_messages_and_stores_nothing(cast: Cast, frozen: None) -> None:
    client = client_for(cast, "patient_user")
    response = client.post(URL, form(headache_hours="30", peak_intensity="mild"))
    page = response.content.decode()
    assert response.status_code == 200
    # The patient's words and the number as she typed it: not "got 30.0" (issue 16.7).
    assert "must be between 0 and 24 (you typed 30)" in page
    assert "Hours with headache: must be between 0 and 24 (you typed 30)" in page  # summary
    assert ", got" not in page
    assert 'aria-invalid="true"' in page
    response = client.post(URL, form(headache_hours="3"))
    page = response.content.decode()
    assert "How bad was it at its worst: required when you had a headache" in page
    response = client.post(
        URL,
        form(
            [{"name": "Mystery pill", "drug_class": "", "effective": "no"}],
            headache_hours="2",
            peak_intensity="mild",
        ),
    )
    page = response.content.decode()
    # A name not in the list: she is told why the kind is needed, not just "required".
    assert (
        "Medicine 1, what kind of medicine: please choose one, as we do not know the name"
        " “Mystery pill”" in page
    )
    assert ": required" not in page
    assert 'value="Mystery pill"' in page  # what the patient typed is kept
    response = client.post(URL, form(headache_hours="2", peak_intensity="mild", aura_minutes="-5"))
    assert "must be 0 or more (you typed -5)" in response.content.decode()
    response = client.post(URL, form(headache_hours="24.50", peak_intensity="mild"))
    assert "must be between 0 and 24 (you typed 24.50)" in response.content.decode()
    assert not DiaryEntry.objects.exists()
    assert not AuditEvent.objects.filter(category="diary", action__in=["create", "update"]).exists()


def test_it_prefills_the_form_and_keeps_the_revision_on_edit(cast: Cast, frozen: None) -> None:
    client = client_for(cast, "patient_user")
    client.post(
        URL,
        form(
            [{"name": "ibuprofen", "effective": "no"}],
            headache_hours="3",
            peak_intensity="moderate",
        ),
    )
    page = client.get(URL).content.decode()
    assert 'name="headache_hours" value="3"' in page
    assert 'value="ibuprofen"' in page
    assert 'value="simple_analgesic" selected' in page
    client.post(URL, form(headache_hours="0"))
    entry = DiaryEntry.objects.get(patient=cast.patient, date=TODAY)
    assert (entry.version, entry.headache_hours, entry.peak_intensity) == (2, 0, "")
    assert not entry.medications.exists()
    revision = DiaryEntryRevision.objects.get(patient=cast.patient, date=TODAY)
    assert revision.version == 1
    assert revision.changed_by == cast.patient_user
    assert revision.snapshot["acute_medications"] == [
        {"name": "ibuprofen", "class": "simple_analgesic", "effective": False}
    ]


def test_it_refuses_future_days(cast: Cast, frozen: None) -> None:
    client = client_for(cast, "patient_user")
    page = client.get("/me/diary/2026-05-13/")
    assert page.status_code == 404
    # Not a bare "Page not found": what is wrong, and the way to today.
    assert "This day has not come yet" in page.content.decode()
    assert "it is Tuesday 12 May today, by the time in London (UK)." in page.content.decode()
    assert 'href="/me/diary/2026-05-12/"' in page.content.decode()
    assert client.post("/me/diary/2026-05-13/", form(headache_hours="0")).status_code == 404
    assert not DiaryEntry.objects.exists()


def test_it_audits_reads_and_writes(cast: Cast, frozen: None) -> None:
    client = client_for(cast, "patient_user")
    for url in ("/me/", URL, "/me/diary/calendar/"):
        before = AuditEvent.objects.filter(action="read", category="diary").count()
        client.get(url)
        event = AuditEvent.objects.filter(action="read", category="diary").latest("id")
        assert AuditEvent.objects.filter(action="read", category="diary").count() == before + 1
        assert (event.patient_id, event.user_id) == (cast.patient.pk, cast.patient_user.pk)
    client.post(URL, form(headache_hours="0"))
    write = AuditEvent.objects.filter(category="diary", action="create").get()
    assert (write.patient_id, write.object_ref) == (cast.patient.pk, "diary:2026-05-12")


def test_it_marks_late_entries(cast: Cast, frozen: None) -> None:
    client = client_for(cast, "patient_user")
    page = client.get("/me/diary/2026-05-10/").content.decode()
    assert "Filling in later" in page
    client.post("/me/diary/2026-05-10/", form(headache_hours="0"))
    assert DiaryEntry.objects.get(patient=cast.patient).late is True
    assert "filled in later" in client.get("/me/diary/2026-05-10/").content.decode()


def test_it_saves_the_evening_reminder_time(cast: Cast, frozen: None) -> None:
    client = client_for(cast, "patient_user")
    response = client.post("/me/settings/", {"reminder_time": "20:30"}, follow=True)
    cast.patient.refresh_from_db()
    assert cast.patient.diary_reminder_time == dt.time(20, 30)
    assert "Saved: we will remind you at 20:30" in response.content.decode()
    assert 'value="20:30"' in response.content.decode()
    client.post("/me/settings/", {"reminder_time": ""})
    cast.patient.refresh_from_db()
    assert cast.patient.diary_reminder_time is None
    response = client.post("/me/settings/", {"reminder_time": "25:99"})
    assert "Enter a valid time" in response.content.decode()


def test_it_keeps_the_stored_day_of_another_date_untouched(cast: Cast, frozen: None) -> None:
    save_day(
        patient=cast.patient,
        data={"date": "2026-05-11", "headache_hours": 5, "peak_intensity": "mild"},
        by=cast.patient_user,
        today=TODAY,
    )
    client_for(cast, "patient_user").post(URL, form(headache_hours="0"))
    assert DiaryEntry.objects.get(patient=cast.patient, date="2026-05-11").version == 1


def test_a_claimed_thousand_medicine_rows_build_no_more_than_the_form_allows(
    cast: Cast, frozen: None
) -> None:
    """A post claiming 1,000 medicine rows (med-TOTAL_FORMS) is refused with the form's
    limit, and the page shows at most that many rows: it once built and drew all 1,000
    (seconds of CPU for one request)."""
    from cephalog.diary.forms import MAX_MEDICINES

    data = {**form(headache_hours="2", peak_intensity="mild"), "med-TOTAL_FORMS": "1000"}
    response = client_for(cast, "patient_user").post(URL, data)
    page = response.content.decode()
    assert response.status_code == 200
    assert f"at most {MAX_MEDICINES}" in page
    assert 'name="med-0-name"' in page
    assert f'name="med-{MAX_MEDICINES}-name"' not in page
    assert not DiaryEntry.objects.filter(patient=cast.patient).exists()


def test_a_day_changed_while_she_edits_shows_what_is_saved_now_on_her_clock(
    cast: Cast, frozen: None
) -> None:
    """The conflict message promises the other entry "shown above": it is, in her words, at
    the time on her own clock (not the server's), without version numbers."""
    cast.patient.time_zone = "America/New_York"  # 18:30 UTC is 14:30 there, 19:30 in London
    cast.patient.save(update_fields=["time_zone"])
    url = "/me/diary/2026-05-11/"
    save_day(patient=cast.patient, data={"date": "2026-05-11", "headache_hours": 0}, by=cast.nurse)
    save_day(
        patient=cast.patient,
        data={"date": "2026-05-11", "headache_hours": 8, "peak_intensity": "severe"},
        by=cast.nurse,
        reason="Paper diary",
        source="staff",
    )
    response = client_for(cast, "patient_user").post(
        url, form(headache_hours="2", peak_intensity="mild", version="1")
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "What is saved now" in page
    assert "Headache for 8 hours, severe at worst" in page  # the entry "shown above"
    assert "changed at 14:30 on another device or by your clinic" in page
    assert "19:30" not in page
    assert "you started from version" not in page
    assert 'value="2"' in page  # what she typed is kept
    assert (
        float(DiaryEntry.objects.get(patient=cast.patient, date="2026-05-11").headache_hours) == 8
    )
