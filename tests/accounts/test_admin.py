from django.test import Client
from django.urls import reverse

from cephalog.accounts.models import User
from tests.personas import Cast, client_for, login_client


def test_the_django_admin_is_for_superusers_only(cast: Cast) -> None:
    """Issue 17.5: clinic admins use cephalog's own pages; the admin's patient search
    (names in the URL) is gone for them."""
    for persona in ("clinic_admin", "physician", "nurse", "patient_user", "other_physician"):
        for name in ("admin:index", "admin:patients_patient_changelist"):
            response = client_for(cast, persona).get(reverse(name), {"q": "Quill"})
            assert response.status_code == 302, persona
            assert "/admin/login/" in response["Location"]
            assert "Quill" not in response.content.decode()


def test_the_menu_links_the_admin_for_superusers_only(cast: Cast) -> None:
    page = client_for(cast, "clinic_admin").get(reverse("patient-list")).content.decode()
    assert reverse("admin:index") not in page
    assert reverse("staff-list") in page


def _superuser(cast: Cast) -> User:
    return User.objects.create_superuser(
        username="root", email="root@example.org", password="x" * 20
    )


def test_it_saves_a_patient_change_through_validation_and_audit(cast: Cast) -> None:
    from cephalog.audit.models import AuditEvent

    client = login_client(Client(), _superuser(cast))
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
