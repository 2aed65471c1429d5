"""Who may open each safety page: everyone else gets 404 or the login page, and no names."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse

from cephalog.domain.safety import Symptom
from cephalog.safety import actions
from cephalog.safety.actions import ReportedSymptom
from cephalog.treatment.models import Session
from tests.personas import ALL_PERSONAS, Cast, assert_allowed, assert_refused

SECRETS = ("Quill", "MRN-1001")


def test_patient_pages_are_for_patients_only(cast: Cast, session3: Session) -> None:
    for name in ("safety-checkin", "safety-side-effect", "safety-urgent"):
        url = reverse(name)
        assert_allowed(cast, url, ["patient_user", "other_patient_user"])
        assert_refused(
            cast, url, ["anonymous", "nurse", "physician", "clinic_admin", "other_physician"]
        )


def test_staff_pages_refuse_patients_and_strangers(cast: Cast, session3: Session) -> None:
    result = actions.report_side_effect(
        patient=cast.patient,
        symptoms=[ReportedSymptom(Symptom.DOUBLE_VISION, None, "severe", True)],
    )
    assert result.alert is not None
    event = result.events[0]
    everyone_but_staff = ["anonymous", "patient_user", "other_patient_user"]
    for name in ("safety-alerts", "safety-register", "safety-rates"):
        url = reverse(name)
        assert_refused(cast, url, everyone_but_staff)
        assert_allowed(cast, url, ["nurse", "physician", "clinic_admin"])
    alert_url = reverse("safety-alert", args=[result.alert.pk])
    assert_refused(cast, alert_url, [*everyone_but_staff, "other_physician"], secrets=SECRETS)
    assert_refused(
        cast,
        alert_url,
        ["other_physician"],
        method="post",
        data={"action_taken": "x"},
        secrets=SECRETS,
    )
    assert_allowed(cast, alert_url, ["nurse", "physician", "clinic_admin"], contains="Diplopia")

    events_url = reverse("safety-patient-events", args=[cast.patient.pk])
    assert_refused(cast, events_url, [*everyone_but_staff, "other_physician"], secrets=SECRETS)
    assert_allowed(cast, events_url, ["nurse", "physician", "clinic_admin"])

    clinical_only = [*everyone_but_staff, "other_physician", "clinic_admin"]
    for url in (
        reverse("safety-event-new", args=[cast.patient.pk]),
        reverse("safety-event-edit", args=[cast.patient.pk, event.pk]),
        reverse("safety-medwatch-pdf", args=[event.pk]),
        reverse("safety-medwatch-csv", args=[event.pk]),
    ):
        # The clinic admin is refused too, but sees the clinic's red-flag banner (MRN) anyway.
        assert_refused(cast, url, ["clinic_admin"])
        assert_refused(cast, url, [*everyone_but_staff, "other_physician"], secrets=SECRETS)
    new_url = reverse("safety-event-new", args=[cast.patient.pk])
    assert_refused(
        cast,
        new_url,
        clinical_only,
        method="post",
        data={"symptom": "neck_pain", "onset": dt.date.today().isoformat(), "severity": "mild"},
    )
    # Another clinic's patient is not reachable through our event ids either.
    other_url = reverse("safety-event-edit", args=[cast.other_clinic_patient.pk, event.pk])
    assert_refused(cast, other_url, ALL_PERSONAS)
    assert_refused(cast, other_url, ["other_physician"], secrets=SECRETS)
