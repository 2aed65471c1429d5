"""The patient sees whether the clinic has read their report: by whom, when, what was done
and what to do next (issue 16.6)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from cephalog.core.time import patient_today
from cephalog.domain.safety import Symptom
from cephalog.safety import actions
from cephalog.safety.actions import ReportedSymptom
from cephalog.treatment.models import Session
from tests.personas import Cast, client_for


def _report(cast: Cast, symptom: Symptom) -> Any:
    return actions.report_side_effect(
        patient=cast.patient,
        symptoms=[ReportedSymptom(symptom, patient_today(cast.patient), "moderate", True)],
    )


def test_a_red_flag_shows_who_read_it_when_and_what_was_done(cast: Cast, session3: Session) -> None:
    result = _report(cast, Symptom.DOUBLE_VISION)
    patient = client_for(cast, "patient_user")
    page = patient.get(reverse("safety-my-reports")).content.decode()
    assert "Not read yet." in page
    assert "a clinician will contact you" in page
    cast.physician.first_name, cast.physician.last_name = "Gregory", "House"
    cast.physician.save()
    actions.acknowledge_alert(
        alert=result.alert, user=cast.physician, action_taken="Phoned; eye clinic tomorrow 9:00"
    )
    page = patient.get(reverse("safety-my-reports")).content.decode()
    assert "Read by Gregory House, just now" in page
    assert "What the clinic did: Phoned; eye clinic tomorrow 9:00" in page
    assert "What to do next" in page
    assert "0 minutes" not in page


def test_a_local_effect_says_it_was_sent_and_what_to_do(cast: Cast, session3: Session) -> None:
    _report(cast, Symptom.NECK_PAIN)
    page = client_for(cast, "patient_user").get(reverse("safety-my-reports")).content.decode()
    assert "Sent to Leeds Headache Centre." in page
    assert "not urgent" in page
    assert "Neck" in page


def test_only_the_patient_sees_their_reports(cast: Cast, session3: Session) -> None:
    _report(cast, Symptom.DOUBLE_VISION)
    other = client_for(cast, "other_patient_user").get(reverse("safety-my-reports"))
    assert "You have not reported any side effects." in other.content.decode()
    assert client_for(cast, "nurse").get(reverse("safety-my-reports")).status_code == 404
