"""iCalendar feeds, read back with the icalendar library (issue 5: feeds)."""

from __future__ import annotations

import datetime as dt

import icalendar
import time_machine
from django.test import Client
from django.urls import reverse

from cephalog.audit.models import AuditEvent
from cephalog.scheduling import actions
from cephalog.scheduling.models import Appointment, CalendarFeedToken
from tests.personas import Cast
from tests.scheduling.conftest import at, give_session

S1 = dt.date(2026, 2, 9)
TODAY = dt.date(2026, 2, 20)


def feed_path(cast: Cast) -> str:
    token = actions.issue_feed_token(patient=cast.patient, by=cast.patient_user)
    return reverse("patient-feed", args=[actions.feed_token_value(token)])


def fetch(path: str) -> icalendar.Calendar:
    response = Client().get(path)
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    return icalendar.Calendar.from_ical(response.content)


def events(cal: icalendar.Calendar) -> dict[str, icalendar.Event]:
    return {str(e["UID"]): e for e in cal.walk("VEVENT")}


def test_it_serves_the_plan_as_a_calendar(cast: Cast) -> None:
    give_session(cast.patient, S1)
    path = feed_path(cast)
    cal = fetch(path)
    assert str(cal["VERSION"]) == "2.0"
    assert str(cal["PRODID"]).startswith("-//cephalog//")
    assert "Leeds Headache Centre" in str(cal["X-WR-CALNAME"])
    stored = {a.uid: a for a in Appointment.objects.filter(patient=cast.patient)}
    found = events(cal)
    assert set(found) == set(stored)
    assert len(found) >= 8
    nxt = Appointment.objects.get(patient=cast.patient, plan_key="session:2")
    event = found[nxt.uid]
    assert str(event["SUMMARY"]) == "Botox session (due)"
    assert event["DTSTART"].dt == nxt.date
    assert type(event["DTSTART"].dt) is dt.date
    assert event["DTEND"].dt == nxt.date + dt.timedelta(days=1)
    assert int(event["SEQUENCE"]) == 0
    assert str(event["STATUS"]) == "CONFIRMED"
    for name in ("DTSTAMP", "LAST-MODIFIED", "DESCRIPTION"):
        assert name in event
    body = Client().get(path).content.decode()
    for secret in ("Ada", "Quill", "MRN-1001"):
        assert secret not in body


def test_check_ins_read_as_the_treatment_page_says_them(cast: Cast) -> None:
    """The phone's calendar shows the check-ins in plain words (not "Day-3 check-in") and
    their sentence ends once (not "after your treatment?.")."""
    give_session(cast.patient, S1)
    found = events(fetch(feed_path(cast)))
    for key, summary in (
        ("checkin_day3:1", "Check-in: 3 days after treatment"),
        ("checkin_day14:1", "Check-in: 2 weeks after treatment"),
    ):
        appt = Appointment.objects.get(patient=cast.patient, plan_key=key)
        event = found[appt.uid]
        assert str(event["SUMMARY"]) == summary
        description = str(event["DESCRIPTION"])
        assert description.startswith(appt.title_patient)
        assert "?." not in description
        assert ".." not in description


def test_uids_stay_and_sequence_and_status_follow_changes(cast: Cast) -> None:
    give_session(cast.patient, S1)
    path = feed_path(cast)
    first = events(fetch(path))
    assert events(fetch(path)).keys() == first.keys()  # regenerating keeps every UID
    nxt = Appointment.objects.get(patient=cast.patient, plan_key="session:2")
    checkin = Appointment.objects.get(patient=cast.patient, plan_key="checkin_day14:1")
    actions.reschedule(
        appointment=nxt,
        new_date=nxt.date + dt.timedelta(days=2),
        new_time=dt.time(10, 30),
        by=cast.nurse,
        reason="Booked",
    )
    actions.cancel(appointment=checkin, by=cast.nurse, reason="Seen in clinic")
    after = events(fetch(path))
    assert after.keys() == first.keys()
    moved = after[nxt.uid]
    assert int(moved["SEQUENCE"]) == 1
    start = moved["DTSTART"].dt
    assert isinstance(start, dt.datetime)
    # 10:30 in London in May (BST) is 09:30 UTC.
    assert start == dt.datetime.combine(nxt.date + dt.timedelta(days=2), dt.time(9, 30), dt.UTC)
    assert str(moved["SUMMARY"]) == "Botox session"
    gone = after[checkin.uid]
    assert (str(gone["STATUS"]), int(gone["SEQUENCE"])) == ("CANCELLED", 1)


def test_a_revoked_or_unknown_token_is_not_found(cast: Cast) -> None:
    path = feed_path(cast)
    assert Client().get(path).status_code == 200
    actions.revoke_feed_token(patient=cast.patient, by=cast.patient_user)
    assert Client().get(path).status_code == 404
    assert Client().get(reverse("patient-feed", args=["A" * 43])).status_code == 404
    assert Client().get("/calendar/short.ics").status_code == 404


def test_renewing_stops_the_old_address(cast: Cast) -> None:
    old = feed_path(cast)
    new = feed_path(cast)
    assert old != new
    assert Client().get(old).status_code == 404
    assert Client().get(new).status_code == 200
    assert CalendarFeedToken.objects.filter(patient=cast.patient, revoked_at=None).count() == 1


def test_tokens_are_long_random_and_not_stored(cast: Cast) -> None:
    mine = actions.issue_feed_token(patient=cast.patient, by=cast.patient_user)
    theirs = actions.issue_feed_token(patient=cast.other_patient, by=cast.other_patient_user)
    value = actions.feed_token_value(mine)
    assert len(value) >= 43  # 256 bits
    assert value != actions.feed_token_value(theirs)
    stored = CalendarFeedToken.objects.filter(pk=mine.pk).values().get()
    assert value not in {str(v) for v in stored.values()}
    # Another patient's address cannot be derived from one's own.
    assert value[:20] != actions.feed_token_value(theirs)[:20]


def test_feed_reads_are_audited_without_the_token(cast: Cast) -> None:
    path = feed_path(cast)
    token = path.rsplit("/", 1)[1].removesuffix(".ics")
    Client().get(path)
    audit = AuditEvent.objects.filter(category="calendar_feed", action="read").get()
    assert audit.patient_id == cast.patient.pk
    for row in AuditEvent.objects.all():
        assert token not in f"{row.object_ref} {row.detail}"


def test_the_clinic_feed_shows_mrns_of_its_own_clinic_only(cast: Cast) -> None:
    for patient in (cast.patient, cast.other_patient, cast.other_clinic_patient):
        actions.sync_plan(patient=patient, today=TODAY)
    token = actions.issue_feed_token(clinic=cast.clinic, by=cast.clinic_admin)
    with time_machine.travel(at(2026, 2, 20), tick=False):
        response = Client().get(reverse("clinic-feed", args=[actions.feed_token_value(token)]))
    assert response.status_code == 200
    cal = icalendar.Calendar.from_ical(response.content)
    summaries = [str(e["SUMMARY"]) for e in cal.walk("VEVENT")]
    assert any(s.startswith("MRN-1001: ") for s in summaries)
    assert any(s.startswith("MRN-1002: ") for s in summaries)
    body = response.content.decode()
    for secret in ("Y-77", "Quill", "Tarrant", "Ada"):
        assert secret not in body
    # Patient tasks are not in the staff calendar.
    assert not any("diary" in s.lower() or "questionnaire" in s.lower() for s in summaries)
    # A patient token does not open the clinic feed, nor the other way round.
    patient_token = actions.feed_token_value(
        actions.issue_feed_token(patient=cast.patient, by=cast.patient_user)
    )
    assert Client().get(reverse("clinic-feed", args=[patient_token])).status_code == 404
    clinic_token = actions.feed_token_value(token)
    assert Client().get(reverse("patient-feed", args=[clinic_token])).status_code == 404
