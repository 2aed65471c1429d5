from django.urls import reverse

from tests.personas import Cast, client_for


def test_it_lets_a_clinic_admin_see_only_their_clinics_patients(cast: Cast) -> None:
    client = client_for(cast, "clinic_admin")
    body = client.get(reverse("admin:patients_patient_changelist")).content.decode()
    assert "Quill" in body
    assert "Vantablack" not in body
    other = client.get(
        reverse("admin:patients_patient_change", args=[cast.other_clinic_patient.pk])
    )
    assert other.status_code in (302, 404)
    assert "Vantablack" not in other.content.decode()


def test_it_keeps_physicians_nurses_and_patients_out_of_the_admin(cast: Cast) -> None:
    for persona in ("physician", "nurse", "patient_user", "other_physician"):
        response = client_for(cast, persona).get(reverse("admin:patients_patient_changelist"))
        assert response.status_code == 302, persona
        assert "/admin/login/" in response["Location"]


def test_it_saves_a_patient_change_through_validation_and_audit(cast: Cast) -> None:
    from cephalog.audit.models import AuditEvent

    client = client_for(cast, "clinic_admin")
    url = reverse("admin:patients_patient_change", args=[cast.patient.pk])
    page = client.get(url)
    assert page.status_code == 200
    before = AuditEvent.objects.filter(category="admin:patient").count()
    form = page.context["adminform"].form
    data = {k: ("" if v is None else v) for k, v in form.initial.items() if k in form.fields}
    data.update(
        {
            "clinic": cast.clinic.pk,
            "phone": "0113 111 2222",
            "birth_date": "1982-03-14",
            "preventives-TOTAL_FORMS": 0,
            "preventives-INITIAL_FORMS": 0,
            "medications-TOTAL_FORMS": 0,
            "medications-INITIAL_FORMS": 0,
            "conditions-TOTAL_FORMS": 0,
            "conditions-INITIAL_FORMS": 0,
        }
    )
    for key in (
        "consent_date",
        "chronic_headache_since",
        "diary_reminder_time",
        "migraine_onset_year",
    ):
        data[key] = ""
    data["migraine_with_aura"] = ""
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    cast.patient.refresh_from_db()
    assert cast.patient.phone == "0113 111 2222"
    assert AuditEvent.objects.filter(category="admin:patient").count() == before + 1
