"""GET /fhir/Patient/<id>/$everything: staff of the patient's clinic and the patient only."""

from __future__ import annotations

import json

from django.urls import reverse

from cephalog.accounts.models import Clinic, User
from cephalog.audit.models import AuditEvent
from cephalog.interop import fhir
from cephalog.interop.fhir_import import import_bundle
from tests.interop.conftest import Rich
from tests.personas import STAFF, Cast, assert_refused, client_for


def _url(cast: Cast, patient: str = "patient") -> str:
    return reverse("fhir-everything", args=[getattr(cast, patient).pk])


def test_it_serves_the_bundle_to_clinic_staff_and_to_the_patient(cast: Cast) -> None:
    for persona in (*STAFF, "patient_user"):
        response = client_for(cast, persona).get(_url(cast))
        assert response.status_code == 200, persona
        assert response["Content-Type"].startswith("application/fhir+json")
        bundle = json.loads(response.content)
        assert bundle["type"] == "searchset"
        assert bundle["total"] == 1
        assert bundle["entry"][0]["resource"]["id"] == str(cast.patient.pk)
        assert bundle["entry"][0]["search"] == {"mode": "match"}
        assert fhir.validation_problems(bundle) == []


def test_it_refuses_other_patients_other_clinics_and_strangers(cast: Cast) -> None:
    secrets = ["Quill", "MRN-1001"]
    assert_refused(
        cast, _url(cast), ["anonymous", "other_patient_user", "other_physician"], secrets=secrets
    )
    # Staff of one clinic cannot read another clinic's patient either.
    assert_refused(
        cast, _url(cast, "other_clinic_patient"), [*STAFF, "patient_user"], secrets=["Vantablack"]
    )


def test_it_answers_refusals_as_fhir_operation_outcomes(cast: Cast) -> None:
    anonymous = client_for(cast, "anonymous").get(_url(cast))
    assert anonymous.status_code == 401
    assert json.loads(anonymous.content)["resourceType"] == "OperationOutcome"
    stranger = client_for(cast, "other_physician").get(_url(cast))
    assert stranger.status_code == 404
    assert stranger["Content-Type"] == "application/fhir+json"
    assert json.loads(stranger.content)["issue"][0]["code"] == "not-found"


def test_it_audits_every_read_as_an_export(cast: Cast) -> None:
    client_for(cast, "nurse").get(_url(cast))
    event = AuditEvent.objects.filter(category="fhir", patient_id=cast.patient.pk).get()
    assert (event.action, event.username, event.detail["via"]) == (
        "export",
        "nurse-joy",
        "everything",
    )
    client_for(cast, "other_physician").get(_url(cast))
    assert AuditEvent.objects.filter(category="fhir").count() == 1


def test_it_serves_a_bundle_another_clinic_can_import(
    rich: Rich, cast: Cast, new_clinic: tuple[Clinic, User]
) -> None:
    response = client_for(cast, "physician").get(_url(cast))
    clinic, admin = new_clinic
    result = import_bundle(response.content, clinic, admin)
    assert result.counts["sessions"] == 1
    assert result.counts["diary_days"] == cast.patient.diary_entries.count()
