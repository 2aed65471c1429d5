"""The calendar pages: who may see them, and what they say (issue 5: the calendar)."""

from __future__ import annotations

import datetime as dt

import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cephalog.audit.models import AuditEvent
from cephalog.scheduling import actions
from cephalog.scheduling.models import Appointment, CalendarFeedToken
from tests.personas import STAFF, Cast, assert_allowed, assert_refused, client_for
from tests.scheduling.conftest import at, give_session

S1 = dt.date(2026, 2, 9)
NOW = at(2026, 2, 20)
NOT_STAFF_OF_CLINIC = ["anonymous", "patient_user", "other_patient_user", "other_physician"]


def test_the_patient_sees_the_plan_and_what_to_expect(cast: Cast) -> None:
    give_session(cast.patient, S1)
    with time_machine.travel(NOW, tick=False):
        response = client_for(cast, "patient_user").get(reverse("patient-calendar"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Your next Botox session: due 4 May, can be from 27 April" in page
    assert "Check-in: how are you feeling 2 weeks after your treatment?" in page
    assert "you should not expect relief straight away" in page
    assert "improvement is often noticed about two weeks after the second treatment" in page
    assert "Create my calendar link" in page
    assert AuditEvent.objects.filter(
        category="treatment_calendar", action="read", patient_id=cast.patient.pk
    ).exists()


def test_before_any_treatment_the_plan_does_not_promise_one(cast: Cast) -> None:
    """A new patient's plan shows a first session "due" four weeks after her consultation,
    while "Can I have Botox?" says the clinic still needs her diary: the plan says the
    first one is only if she and her doctor decide to start, and links to where she is."""
    with time_machine.travel(NOW, tick=False):
        page = client_for(cast, "patient_user").get(reverse("patient-calendar")).content.decode()
    assert "Your first Botox session:" in page
    assert "Your next Botox session" not in page
    assert "Your doctor decides with you whether to start" in page
    assert f'href="{reverse("my-eligibility")}"' in page
    give_session(cast.patient, S1)
    with time_machine.travel(NOW, tick=False):
        page = client_for(cast, "patient_user").get(reverse("patient-calendar")).content.decode()
    assert "Your next Botox session:" in page
    assert "decides with you whether to start" not in page


def test_only_the_patient_sees_their_calendar_page(cast: Cast) -> None:
    assert_refused(
        cast,
        reverse("patient-calendar"),
        ["anonymous", *STAFF, "other_physician"],
    )
    # Another patient gets their own calendar, never Ada's.
    page = client_for(cast, "other_patient_user").get(reverse("patient-calendar"))
    assert page.status_code == 200
    assert not Appointment.objects.filter(patient=cast.patient).exists()


def test_the_patient_creates_renews_and_stops_their_link(cast: Cast) -> None:
    client = client_for(cast, "patient_user")
    client.post(reverse("patient-feed-renew"))
    page = client.get(reverse("patient-calendar")).content.decode()
    token = CalendarFeedToken.objects.get(patient=cast.patient, revoked_at=None)
    url = reverse("patient-feed", args=[actions.feed_token_value(token)])
    assert url in page
    assert "webcal://" in page
    client.post(reverse("patient-feed-revoke"))
    assert not CalendarFeedToken.objects.filter(patient=cast.patient, revoked_at=None).exists()
    assert client.get(url).status_code == 404
    assert client.get(reverse("patient-feed-renew")).status_code == 405


def test_only_the_clinic_staff_see_the_staff_calendar(cast: Cast) -> None:
    url = reverse("staff-patient-calendar", args=[cast.patient.pk])
    assert_refused(cast, url, NOT_STAFF_OF_CLINIC, secrets=["Quill", "MRN-1001"])
    assert_allowed(cast, url, STAFF, contains="Treatment calendar: Ada Quill")


def test_staff_reschedule_and_cancel_from_the_page(cast: Cast) -> None:
    give_session(cast.patient, S1)
    actions.sync_plan(patient=cast.patient, today=NOW.date())
    nxt = Appointment.objects.get(patient=cast.patient, plan_key="session:2")
    url = reverse("staff-appointment-reschedule", args=[cast.patient.pk, nxt.pk])
    data = {"new_date": "2026-05-06", "new_time": "09:15", "reason": "Clinic day"}
    assert_refused(cast, url, NOT_STAFF_OF_CLINIC, method="post", data=data)
    nxt.refresh_from_db()
    assert nxt.sequence == 0
    client = client_for(cast, "nurse")
    response = client.post(url, data)
    assert response.status_code == 302
    nxt.refresh_from_db()
    assert (nxt.date, nxt.time, nxt.sequence) == (dt.date(2026, 5, 6), dt.time(9, 15), 1)
    # Too early: refused with the reason shown, nothing changed.
    page = client.post(url, {**data, "new_date": "2026-04-01"}, follow=True).content.decode()
    assert "Not before" in page
    nxt.refresh_from_db()
    assert nxt.sequence == 1
    cancel = reverse("staff-appointment-cancel", args=[cast.patient.pk, nxt.pk])
    assert_refused(cast, cancel, NOT_STAFF_OF_CLINIC, method="post", data={"reason": "x"})
    client.post(cancel, {"reason": "Unwell"})
    nxt.refresh_from_db()
    assert nxt.status == "cancelled"
    page = client.get(reverse("staff-patient-calendar", args=[cast.patient.pk])).content.decode()
    assert "Clinic day" in page
    assert "Unwell" in page


def test_an_appointment_of_another_patient_is_not_found(cast: Cast) -> None:
    actions.sync_plan(patient=cast.other_patient, today=NOW.date())
    theirs = Appointment.objects.filter(patient=cast.other_patient).first()
    assert theirs is not None
    url = reverse("staff-appointment-cancel", args=[cast.patient.pk, theirs.pk])
    assert client_for(cast, "nurse").post(url, {"reason": "x"}).status_code == 404


def test_the_clinic_schedule_lists_the_next_eight_weeks_of_the_clinic(cast: Cast) -> None:
    url = reverse("clinic-schedule")
    assert_refused(cast, url, ["anonymous", "patient_user", "other_patient_user"])
    give_session(cast.patient, S1)
    give_session(cast.other_clinic_patient, S1)
    for patient in (cast.patient, cast.other_patient, cast.other_clinic_patient):
        actions.sync_plan(patient=patient, today=NOW.date())
    with time_machine.travel(at(2026, 4, 20), tick=False):
        page = client_for(cast, "nurse").get(url).content.decode()
        other = client_for(cast, "other_physician").get(url).content.decode()
    assert "Quill, Ada" in page
    assert "Session 2 due" in page
    assert "Vantablack" not in page
    assert "Vantablack" in other
    assert "Quill" not in other


def test_the_clinic_schedule_query_count_does_not_grow_with_rows(cast: Cast) -> None:
    client = client_for(cast, "nurse")
    url = reverse("clinic-schedule")
    with time_machine.travel(at(2026, 1, 6), tick=False):
        client.get(url)  # the first request at this time also saves the session's activity
        with CaptureQueriesContext(connection) as few:
            client.get(url)
        for patient in (cast.patient, cast.other_patient):
            actions.sync_plan(patient=patient, today=dt.date(2026, 1, 6))
        with CaptureQueriesContext(connection) as many:
            response = client.get(url)
    assert response.content.decode().count("MRN-100") >= 2
    assert len(many) == len(few)


def test_each_member_of_staff_makes_their_own_clinic_link(cast: Cast) -> None:
    """Issue 18.6: one clinic link per person (it stops with their account or role)."""
    url = reverse("clinic-feed-renew", args=[cast.clinic.pk])
    assert_refused(cast, url, ["anonymous", "patient_user", "other_physician"], method="post")
    assert not CalendarFeedToken.objects.exists()
    client_for(cast, "nurse").post(url)
    token = CalendarFeedToken.objects.get(clinic=cast.clinic, holder=cast.nurse)
    link = reverse("clinic-feed", args=[actions.feed_token_value(token)])
    assert link in client_for(cast, "nurse").get(reverse("clinic-schedule")).content.decode()
    assert (
        link not in client_for(cast, "physician").get(reverse("clinic-schedule")).content.decode()
    )
    client_for(cast, "nurse").post(reverse("clinic-feed-revoke", args=[cast.clinic.pk]))
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_staff_can_stop_a_patients_link(cast: Cast) -> None:
    actions.issue_feed_token(patient=cast.patient, by=cast.patient_user)
    url = reverse("staff-patient-feed-revoke", args=[cast.patient.pk])
    assert_refused(cast, url, NOT_STAFF_OF_CLINIC, method="post")
    assert CalendarFeedToken.objects.filter(revoked_at=None).count() == 1
    client_for(cast, "nurse").post(url)
    assert not CalendarFeedToken.objects.filter(revoked_at=None).exists()


def test_staff_record_the_authorisation_end(cast: Cast) -> None:
    url = reverse("staff-authorisation", args=[cast.patient.pk])
    assert_refused(cast, url, NOT_STAFF_OF_CLINIC, method="post", data={"end": "2026-09-30"})
    client_for(cast, "clinic_admin").post(url, {"end": "2026-09-30"})
    appt = Appointment.objects.get(patient=cast.patient, kind="authorisation_expiry")
    assert appt.date == dt.date(2026, 9, 30)


def test_the_staff_calendar_query_count_does_not_grow_with_history(cast: Cast) -> None:
    give_session(cast.patient, S1)
    client = client_for(cast, "nurse")
    url = reverse("staff-patient-calendar", args=[cast.patient.pk])
    with time_machine.travel(NOW, tick=False):
        client.get(url)  # the first view stores the plan
        with CaptureQueriesContext(connection) as few:
            client.get(url)
        for appt in Appointment.objects.filter(patient=cast.patient, status="planned")[:4]:
            actions.reschedule(
                appointment=appt,
                new_date=appt.date + dt.timedelta(days=1),
                by=cast.nurse,
                reason="r",
            )
        with CaptureQueriesContext(connection) as many:
            client.get(url)
    assert len(many) == len(few)
