from django.core import mail
from django.urls import reverse

from cephalog.audit.models import AuditEvent
from cephalog.patients.models import Patient
from tests.personas import Cast, assert_refused, client_for


def test_it_adds_a_patient_to_the_staff_members_clinic(cast: Cast) -> None:
    client = client_for(cast, "nurse")
    response = client.post(
        reverse("patient-new"),
        {
            "clinic": cast.clinic.pk,
            "mrn": "MRN-2001",
            "given_name": "Dana",
            "family_name": "Okafor",
            "birth_date": "1990-05-01",
            "sex": "female",
            "email": "dana@example.org",
            "phone": "",
            "time_zone": "Europe/London",
        },
    )
    assert response.status_code == 302
    patient = Patient.objects.get(mrn="MRN-2001")
    assert patient.clinic == cast.clinic
    assert AuditEvent.objects.filter(patient_id=patient.pk, action="create").exists()


def test_it_refuses_a_duplicate_mrn_and_stores_nothing(cast: Cast) -> None:
    client = client_for(cast, "nurse")
    before = Patient.objects.count()
    response = client.post(
        reverse("patient-new"),
        {
            "clinic": cast.clinic.pk,
            "mrn": "MRN-1001",
            "given_name": "Dup",
            "family_name": "Licate",
            "birth_date": "1990-05-01",
            "sex": "female",
            "time_zone": "Europe/London",
        },
    )
    assert response.status_code == 200
    assert "MRN" in response.content.decode()
    assert Patient.objects.count() == before


def test_it_cannot_add_a_patient_to_another_clinic(cast: Cast) -> None:
    client = client_for(cast, "nurse")
    response = client.post(
        reverse("patient-new"),
        {
            "clinic": cast.other_clinic.pk,
            "mrn": "X-1",
            "given_name": "Eve",
            "family_name": "Intruder",
            "birth_date": "1990-05-01",
            "sex": "female",
            "time_zone": "Europe/London",
        },
    )
    assert response.status_code == 200
    assert not Patient.objects.filter(mrn="X-1").exists()


def test_it_invites_from_the_chart_only_for_the_clinic_staff(
    cast: Cast, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    # Brook has a login in use: a new invitation would hand it to the address on the record.
    brook = client_for(cast, "physician").post(
        reverse("patient-invite", args=[cast.other_patient.pk]), follow=True
    )
    assert "already has a diary login" in brook.content.decode()
    assert mail.outbox == []
    cast.other_patient.user = None
    cast.other_patient.save()
    url = reverse("patient-invite", args=[cast.other_patient.pk])
    assert_refused(
        cast,
        url,
        ["anonymous", "patient_user", "other_patient_user", "other_physician"],
        method="post",
    )
    assert mail.outbox == []
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(cast, "physician").post(url)
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [cast.other_patient.email]
