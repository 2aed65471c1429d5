"""Issue 14.2: spread-of-toxin triage as the Medication Guide says, one test per symptom,
from the patient's report on the real form to the clinic's alert and the guidance shown.

Medication Guide (clinical-reference §2.3, §10 correction): problems swallowing, speaking or
breathing → emergency now; loss of strength and muscle weakness all over the body, double
vision, blurred vision, drooping eyelids, hoarseness or change or loss of voice, trouble saying
words clearly, loss of bladder control → medical help right away (the same day), and a red
flag for the clinic; never "tell us at your next check-in".
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from cephalog.domain.safety import SYMPTOMS, Symptom
from cephalog.safety.models import (
    AdverseEvent,
    CheckIn,
    EmailKind,
    OutboundEmail,
    SafetyAlert,
    SafetySettings,
)
from cephalog.treatment.models import Session
from tests.personas import Cast, client_for
from tests.safety.conftest import form_data

EMERGENCY = ["dysphagia", "speaking_difficulty", "breathing_difficulty"]
SAME_DAY = [
    "muscle_weakness_general",
    "double_vision",
    "blurred_vision",
    "eyelid_ptosis",
    "voice_change",
    "slurred_speech",
    "bladder_control_loss",
]


def _report(cast: Cast, session3: Session, symptom: str, url: str = "safety-side-effect") -> str:
    today = session3.date + dt.timedelta(days=3)
    response = client_for(cast, "patient_user").post(reverse(url), form_data(symptom, today=today))
    assert response.status_code == 200  # the guidance itself, not a redirect
    return response.content.decode()


def _alert_for(cast: Cast, symptom: str) -> SafetyAlert:
    event = AdverseEvent.objects.get(patient=cast.patient, symptom=symptom)
    assert event.red_flag
    alert = SafetyAlert.objects.get(patient=cast.patient)
    assert alert.is_open
    assert SYMPTOMS[Symptom(symptom)].clinician_label in alert.summary
    assert OutboundEmail.objects.filter(alert=alert, kind=EmailKind.RED_FLAG).count() == 1
    return alert


@pytest.mark.parametrize("symptom", EMERGENCY)
def test_swallowing_speaking_or_breathing_means_emergency_now(
    cast: Cast, session3: Session, symptom: str
) -> None:
    page = _report(cast, session3, symptom)
    assert "Get emergency help now" in page
    assert 'data-urgency="emergency"' in page
    assert "next check-in" not in page
    _alert_for(cast, symptom)
    assert CheckIn.objects.get().triage_level == "emergency"


@pytest.mark.parametrize("symptom", SAME_DAY)
def test_each_spread_sign_means_medical_help_today_and_an_alert(
    cast: Cast, session3: Session, symptom: str
) -> None:
    cast.clinic.phone = "0113 496 0000"
    cast.clinic.save(update_fields=["phone"])
    SafetySettings.objects.create(
        clinic=cast.clinic, urgent_phone="0113 496 0999", out_of_hours_number="111"
    )
    page = _report(cast, session3, symptom, url="safety-checkin")
    assert "Get medical help today" in page
    assert 'data-urgency="medical_help_today"' in page
    assert SYMPTOMS[Symptom(symptom)].patient_label in page
    assert 'href="tel:01134960999"' in page  # the clinic's urgent line first
    assert 'href="tel:111"' in page  # out-of-hours
    assert 'href="tel:999"' in page  # and emergency services
    assert "Tell us at your next check-in" not in page
    assert "We have sent your report" in page
    _alert_for(cast, symptom)
    checkin = CheckIn.objects.get()
    assert checkin.triage_level == "medical_help_today"
    # The thank-you page of that report shows the same urgent guidance again.
    again = client_for(cast, "patient_user").get(reverse("safety-report-done", args=[checkin.pk]))
    assert "Get medical help today" in again.content.decode()


def test_the_report_pages_list_every_warning_sign(cast: Cast, session3: Session) -> None:
    client = client_for(cast, "patient_user")
    for url in ("safety-checkin", "safety-side-effect"):
        page = client.get(reverse(url)).content.decode()
        assert "get medical help today" in page
        for symptom in EMERGENCY + SAME_DAY:
            assert f'name="sym_{symptom}"' in page, (url, symptom)
        assert 'name="sym_voice_or_speech_change"' not in page  # retired code
        assert "trouble saying words clearly" in page
        assert "loss of bladder control" in page


def test_the_aftercare_label_guidance_lists_the_spread_signs_even_with_a_clinic_text(
    cast: Cast, session3: Session
) -> None:
    from cephalog.treatment.models import AftercareText

    AftercareText.objects.create(
        clinic=cast.clinic,
        items=[
            {
                "key": "warning_signs",
                "text": "Swallowing or breathing trouble: 999.",
                "evidence": "label_guidance",
            },
        ],
    )
    session3.status = "completed"
    page = (
        client_for(cast, "patient_user")
        .get(reverse("session-aftercare", args=[session3.pk]))
        .content.decode()
    )
    assert "Swallowing or breathing trouble: 999." in page
    for words in ("double vision", "drooping eyelids", "loss of bladder control"):
        assert words in page


def test_the_urgent_page_names_its_icon(cast: Cast, session3: Session) -> None:
    """The urgent page stands alone (no base.html): without an icon link the browser asks
    for /favicon.ico, a 404 in its console (seen by the 360 px page walk)."""
    page = client_for(cast, "patient_user").get(reverse("safety-urgent")).content.decode()
    assert '<link rel="icon" href="data:,">' in page
