"""Day-3 and day-14 check-ins from the domain's calendar; side effects reported any time."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.urls import reverse

from cephalog.core.time import patient_today
from cephalog.domain.schedule import format_date
from cephalog.safety import queries
from cephalog.safety.models import AdverseEvent, CheckIn, CheckInKind, Outcome, Source
from cephalog.treatment.models import Session
from tests.personas import Cast, client_for
from tests.safety.conftest import form_data


def test_it_asks_on_day_3_and_takes_no_problems_in_one_tap(cast: Cast, session3: Session) -> None:
    client = client_for(cast, "patient_user")
    body = client.get(reverse("safety-checkin")).content.decode()
    assert f"How have you been since your treatment on {format_date(session3.date)}?" in body
    assert "No problems" in body
    response = client.post(reverse("safety-checkin"), {"no_problems": "1", "key": ""})
    assert response.status_code == 302
    checkin = CheckIn.objects.get(patient=cast.patient)
    assert checkin.no_problems
    assert checkin.kind == CheckInKind.DAY3
    assert checkin.session == session3
    assert "Glad to hear it" in client.get(response["Location"]).content.decode()
    assert "No check-in is due" in client.get(reverse("safety-checkin")).content.decode()


def test_the_windows_are_the_domains(cast: Cast, make_session: Callable[..., Session]) -> None:
    today = patient_today(cast.patient)
    session = make_session(cast.patient, 8)  # day 8: the day-3 window (to day 7) has closed
    assert queries.due_checkin(cast.patient, today) is None
    due = queries.due_checkin(cast.patient, today + dt.timedelta(days=6))  # day 14
    assert due is not None
    assert due.kind == CheckInKind.DAY14
    assert due.session == session
    assert queries.due_checkin(cast.patient, today + dt.timedelta(days=14)) is None  # day 22


def test_a_patient_page_prompts_for_the_due_checkin(cast: Cast, session3: Session) -> None:
    page = client_for(cast, "patient_user").get("/me/").content.decode()
    assert "Your check-in is due" in page
    page = client_for(cast, "other_patient_user").get("/me/").content.decode()
    assert "Your check-in is due" not in page
    assert "Report a side effect" in page


def test_a_local_effect_is_stored_with_self_care_advice(cast: Cast, session3: Session) -> None:
    client = client_for(cast, "patient_user")
    today = session3.date + dt.timedelta(days=3)
    data = form_data("neck_pain", "muscle_weakness_local", today=today, note="Sore on the left.")
    response = client.post(reverse("safety-checkin"), data)
    assert response.status_code == 302
    events = AdverseEvent.objects.filter(patient=cast.patient).order_by("id")
    assert [e.symptom for e in events] == ["neck_pain", "muscle_weakness_local"]  # domain order
    assert all(
        e.session == session3 and e.source == Source.PATIENT and not e.red_flag for e in events
    )
    assert all(e.outcome == Outcome.NOT_RECOVERED and e.still_present for e in events)
    body = client.get(response["Location"]).content.decode()
    assert "usually gets better on its own" in body  # the domain's self-care guidance
    assert "Do not drive" in body  # local weakness carries the label's driving advice


def test_a_resolved_symptom_keeps_its_end_date(cast: Cast, session3: Session) -> None:
    today = session3.date + dt.timedelta(days=3)
    data = form_data("injection_site_pain", today=today, status="gone")
    data["onset_injection_site_pain"] = session3.date.isoformat()
    data["resolved_injection_site_pain"] = (session3.date + dt.timedelta(days=1)).isoformat()
    client_for(cast, "patient_user").post(reverse("safety-side-effect"), data)
    event = AdverseEvent.objects.get(patient=cast.patient)
    assert event.resolved_on == session3.date + dt.timedelta(days=1)
    assert event.outcome == Outcome.RECOVERED
    assert CheckIn.objects.get().kind == CheckInKind.ADHOC


def test_a_future_onset_is_refused_for_a_local_effect(cast: Cast, session3: Session) -> None:
    today = session3.date + dt.timedelta(days=3)
    data = form_data("neck_pain", today=today)
    data["onset_neck_pain"] = (today + dt.timedelta(days=2)).isoformat()
    response = client_for(cast, "patient_user").post(reverse("safety-side-effect"), data)
    # Which of the two dates: the summary above the form reads "Neck pain: ...".
    assert "Neck pain: The day it started cannot be in the future." in response.content.decode()
    data["onset_neck_pain"] = today.isoformat()
    data["status_neck_pain"] = "gone"
    data["resolved_neck_pain"] = (today + dt.timedelta(days=1)).isoformat()
    response = client_for(cast, "patient_user").post(reverse("safety-side-effect"), data)
    assert "Neck pain: The day it stopped cannot be in the future." in response.content.decode()
    assert not AdverseEvent.objects.exists()


def test_another_patient_cannot_see_my_report(cast: Cast, session3: Session) -> None:
    client_for(cast, "patient_user").post(reverse("safety-checkin"), {"no_problems": "1"})
    checkin = CheckIn.objects.get(patient=cast.patient)
    url = reverse("safety-report-done", args=[checkin.pk])
    assert client_for(cast, "patient_user").get(url).status_code == 200
    assert client_for(cast, "other_patient_user").get(url).status_code == 404
    assert client_for(cast, "nurse").get(url).status_code == 404
