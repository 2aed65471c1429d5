"""Never lose a red flag: stored before any email, failures retried and visible, guidance always shown."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import DatabaseError
from django.urls import reverse

from cephalog.domain.safety import RED_FLAGS, SYMPTOMS, Symptom, classify
from cephalog.safety import actions, outbox
from cephalog.safety.actions import ReportedSymptom
from cephalog.safety.models import (
    AdverseEvent,
    CheckIn,
    EmailStatus,
    OutboundEmail,
    SafetyAlert,
    Severity,
)
from cephalog.treatment.models import Session
from tests.personas import Cast, client_for
from tests.safety.backends import FAILING, LOCMEM
from tests.safety.conftest import form_data

DOUBLE_VISION = ReportedSymptom(
    Symptom.DOUBLE_VISION, onset=None, severity="severe", still_present=True
)


def test_it_takes_the_red_flags_from_the_domain(cast: Cast, session3: Session) -> None:
    # The issue's list is the domain's; nothing is re-decided in the safety app.
    issue_red_flags = {
        "dysphagia",
        "speaking_difficulty",
        "breathing_difficulty",
        "voice_change",
        "slurred_speech",
        "double_vision",
        "blurred_vision",
        "eyelid_ptosis",
        "muscle_weakness_general",
        "bladder_control_loss",
        "allergic_reaction",
    }
    assert issue_red_flags <= {s.value for s in RED_FLAGS}
    today = session3.date + dt.timedelta(days=3)
    for symptom in SYMPTOMS:
        result = actions.report_side_effect(
            patient=cast.patient,
            symptoms=[ReportedSymptom(symptom, today, "mild", True)],
        )
        (event,) = result.events
        assert event.red_flag is classify([symptom]).has_red_flags, symptom
        assert (result.alert is not None) is (symptom in RED_FLAGS), symptom
        assert result.triage == classify([symptom])


def test_it_stores_event_alert_and_email_before_sending(
    cast: Cast, session3: Session, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        result = actions.submit_checkin(
            patient=cast.patient, session=session3, kind="day3", symptoms=[DOUBLE_VISION]
        )
        # Everything is written; nothing has been sent yet.
        assert result.alert is not None
        assert result.alert.is_open
        assert AdverseEvent.objects.get(pk=result.events[0].pk).red_flag
        email = OutboundEmail.objects.get(alert=result.alert)
        assert email.status == EmailStatus.PENDING
        assert mail.outbox == []
    assert callbacks  # delivery is handed over only after commit
    for callback in callbacks:
        callback()
    email.refresh_from_db()
    assert email.status == EmailStatus.SENT
    (sent,) = mail.outbox
    assert sent.to == ["safety@leeds.example.org"]
    assert "RED FLAG" in sent.subject
    assert "Diplopia" in sent.body
    # No identifiers in email.
    for secret in ("Ada", "Quill", "MRN-1001", "1982"):
        assert secret not in sent.body
        assert secret not in sent.subject


def test_an_smtp_failure_keeps_the_alert_and_the_sweep_sends_it_later(
    cast: Cast, session3: Session, settings, django_capture_on_commit_callbacks, now
) -> None:  # type: ignore[no-untyped-def]
    settings.MAILERS = FAILING
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(cast, "patient_user").post(
            reverse("safety-checkin"),
            form_data("double_vision", today=session3.date + dt.timedelta(days=3)),
        )
    assert response.status_code == 200
    assert "Get medical help today" in response.content.decode()  # Medication Guide: same day
    alert = SafetyAlert.objects.get(patient=cast.patient)
    assert alert.is_open
    email = OutboundEmail.objects.get(alert=alert)
    assert email.status == EmailStatus.FAILED
    assert email.attempts == 1
    assert "SMTPConnectError" in email.last_error
    assert mail.outbox == []
    # The failure is visible to the clinic.
    page = client_for(cast, "nurse").get(reverse("safety-alerts")).content.decode()
    assert "not delivered" in page
    assert "SMTPConnectError" in page

    # Still failing at the next attempt: retried later again, never dropped.
    outbox.deliver_due(now=email.next_attempt_at)
    email.refresh_from_db()
    assert email.status == EmailStatus.FAILED
    assert email.attempts == 2

    settings.MAILERS = LOCMEM
    call_command("safety-sweep", now=(email.next_attempt_at - dt.timedelta(seconds=1)).isoformat())
    assert mail.outbox == []  # not due yet
    call_command("safety-sweep", now=email.next_attempt_at.isoformat())
    email.refresh_from_db()
    assert email.status == EmailStatus.SENT
    assert len(mail.outbox) == 1
    alert.refresh_from_db()
    assert alert.is_open  # sending the email never closes the alert


def test_the_patient_sees_the_guidance_even_if_storing_fails(
    cast: Cast, session3: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(**kwargs: object) -> None:
        raise DatabaseError("disk I/O error")

    monkeypatch.setattr(actions, "_store_report", broken)
    response = client_for(cast, "patient_user").post(
        reverse("safety-side-effect"), form_data("dysphagia", today=session3.date)
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "Get emergency help now" in body
    assert 'href="tel:999"' in body
    assert 'href="tel:01130000000"' in body  # the clinic's number
    assert "could not send your report" in body
    assert not SafetyAlert.objects.exists()


def test_it_never_refuses_a_red_flag_for_a_missing_detail(cast: Cast, session3: Session) -> None:
    response = client_for(cast, "patient_user").post(
        reverse("safety-side-effect"),
        {"sym_breathing_difficulty": "on", "onset_breathing_difficulty": ""},
    )
    assert response.status_code == 200
    assert "Get emergency help now" in response.content.decode()
    event = AdverseEvent.objects.get(patient=cast.patient)
    assert event.severity == Severity.NOT_STATED
    assert event.still_present
    checkin = CheckIn.objects.get(patient=cast.patient)
    assert any("onset not given" in a for a in checkin.answers["assumed"])
    assert SafetyAlert.objects.filter(event=event).exists()


def test_a_non_red_report_with_missing_details_is_refused_and_nothing_stored(
    cast: Cast, session3: Session
) -> None:
    response = client_for(cast, "patient_user").post(
        reverse("safety-side-effect"),
        {"sym_neck_pain": "on", "onset_neck_pain": session3.date.isoformat()},
    )
    assert response.status_code == 200
    assert "Choose how bad it is." in response.content.decode()
    assert not AdverseEvent.objects.exists()


def test_a_resubmitted_page_is_stored_once(cast: Cast, session3: Session) -> None:
    client = client_for(cast, "patient_user")
    data = form_data("double_vision", today=session3.date + dt.timedelta(days=3))
    for _ in range(2):
        assert (
            "Get medical help today"
            in client.post(reverse("safety-checkin"), data).content.decode()
        )
    assert CheckIn.objects.count() == 1
    assert SafetyAlert.objects.count() == 1
    assert OutboundEmail.objects.count() == 1


def test_another_patients_key_never_shows_their_report(cast: Cast, session3: Session) -> None:
    mine = actions.report_side_effect(patient=cast.patient, symptoms=[DOUBLE_VISION])
    theirs = actions.report_side_effect(
        patient=cast.other_patient,
        symptoms=[ReportedSymptom("neck_pain", session3.date, "mild", True)],
        submission_key=mine.checkin.submission_key,
    )
    assert theirs.created
    assert theirs.checkin.pk != mine.checkin.pk
    assert theirs.checkin.patient == cast.other_patient
