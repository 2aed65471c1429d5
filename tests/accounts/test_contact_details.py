"""Staff edit a patient's contact details; an email change never hands over a login
(issues 17.2 and 18.5)."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from cephalog.accounts.models import User
from cephalog.audit.models import AuditEvent
from cephalog.patients import actions
from cephalog.patients.models import EmailChange, Patient
from tests.personas import PASSWORD, STAFF, Cast, assert_refused, client_for, make_patient

FORM = {
    "email": "mrn-1001@example.org",
    "phone": "+44 113 496 0000",
    "address": "1 Park Row\nLeeds LS1 5AB",
    "time_zone": "Europe/Dublin",
    "preferred_contact": "sms",
}


@pytest.mark.parametrize("who", STAFF)
def test_staff_edit_contact_details_and_the_audit_keeps_no_values(cast: Cast, who: str) -> None:
    url = reverse("patient-contact", args=[cast.patient.pk])
    assert client_for(cast, who).get(url).status_code == 200
    response = client_for(cast, who).post(url, FORM)
    assert response.status_code == 302
    patient = Patient.objects.get(pk=cast.patient.pk)
    assert (patient.phone, patient.time_zone, patient.preferred_contact) == (
        "+44 113 496 0000",
        "Europe/Dublin",
        "sms",
    )
    assert patient.address == "1 Park Row\nLeeds LS1 5AB"
    row = AuditEvent.objects.filter(category="contact_details", action="update").get()
    assert row.username == cast.user(who).username  # type: ignore[union-attr]
    assert row.patient_id == patient.pk
    assert set(row.detail["changed"]) == {"phone", "address", "time_zone", "preferred_contact"}
    assert row.detail["before"]["time_zone"] == "Europe/London"
    assert row.detail["after"]["time_zone"] == "Europe/Dublin"
    assert row.detail["before"]["phone"] == ""
    assert row.detail["after"]["phone"] == actions.fingerprint("+44 113 496 0000")
    stored = str(row.detail)
    assert "496" not in stored
    assert "Park Row" not in stored
    chart = client_for(cast, who).get(reverse("patient-chart", args=[patient.pk])).content.decode()
    assert "+44 113 496 0000" in chart
    assert "Text message" in chart


def test_others_cannot_edit_contact_details(cast: Cast) -> None:
    url = reverse("patient-contact", args=[cast.patient.pk])
    refused = ["anonymous", "patient_user", "other_patient_user", "other_physician"]
    assert_refused(cast, url, refused, method="post", data=FORM)
    assert Patient.objects.get(pk=cast.patient.pk).phone == ""


def test_bad_contact_details_are_refused_with_a_message_and_nothing_stored(cast: Cast) -> None:
    url = reverse("patient-contact", args=[cast.patient.pk])
    client = client_for(cast, "nurse")
    page = client.post(url, {**FORM, "phone": "", "preferred_contact": "sms"}).content.decode()
    assert "A call or a text needs a phone number." in page
    page = client.post(url, {**FORM, "time_zone": "Mars/Olympus"}).content.decode()
    assert "Select a valid choice" in page
    assert Patient.objects.get(pk=cast.patient.pk).time_zone == "Europe/London"
    assert not AuditEvent.objects.filter(category="contact_details", action="update").exists()


def test_the_invitation_asks_for_a_missing_email_in_place(
    cast: Cast, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    patient = make_patient(cast.clinic, "MRN-3001", "Eden", "Marsh", None)
    Patient.objects.filter(pk=patient.pk).update(email="")
    client = client_for(cast, "nurse")
    chart = client.get(reverse("patient-chart", args=[patient.pk])).content.decode()
    assert 'name="email"' in chart
    assert "Save and invite" in chart
    url = reverse("patient-invite", args=[patient.pk])
    assert (
        "valid email" in client.post(url, {"email": "not-an-email"}, follow=True).content.decode()
    )
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"email": "Eden@Example.org"})
    patient.refresh_from_db()
    assert patient.email == "eden@example.org"
    assert patient.user is not None
    assert patient.user.email == "eden@example.org"
    assert [m.to for m in mail.outbox] == [["eden@example.org"]]
    assert "/accounts/invite/" in mail.outbox[0].body


def _links(message: mail.EmailMessage) -> list[str]:
    return re.findall(r"https?://\S+", message.body)


def test_an_email_change_of_a_login_in_use_waits_for_the_patient(
    cast: Cast, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    """A clinic admin types an address they control: the login is not handed over."""
    url = reverse("patient-contact", args=[cast.patient.pk])
    admin = client_for(cast, "clinic_admin")
    with django_capture_on_commit_callbacks(execute=True):
        admin.post(url, {**FORM, "email": "attacker@example.net"})
    patient = Patient.objects.select_related("user").get(pk=cast.patient.pk)
    assert patient.email == "mrn-1001@example.org"  # reminders still go to the old address
    assert patient.user.email == "ada@example.org"  # type: ignore[union-attr]
    by_address = {m.to[0]: m for m in mail.outbox}
    assert set(by_address) == {"attacker@example.net", "ada@example.org"}
    new = by_address["attacker@example.net"]
    assert not any("/invite/" in link or "/reset/" in link for link in _links(new))
    (confirm,) = [link for link in _links(new) if "/me/email/confirm/" in link]
    assert "Nothing changes" in by_address["ada@example.org"].body

    # The admin cannot re-invite, nor reset the password through the new address.
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        admin.post(reverse("patient-invite", args=[patient.pk]))
        Client().post(reverse("password_reset"), {"email": "attacker@example.net"})
    assert mail.outbox == []

    # The link opens for nobody but the signed-in patient.
    path = "/" + confirm.split("/", 3)[3]
    anonymous = Client().get(path)
    assert anonymous.status_code == 302
    assert "/accounts/login/" in anonymous["Location"]
    assert client_for(cast, "other_patient_user").post(path).status_code == 404
    assert admin.post(path).status_code == 404
    assert Patient.objects.get(pk=patient.pk).email == "mrn-1001@example.org"

    ada = client_for(cast, "patient_user")
    assert "attacker@example.net" in ada.get(path).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        assert ada.post(path).status_code == 302
    patient.refresh_from_db()
    assert patient.email == "attacker@example.net"
    assert User.objects.get(pk=patient.user_id).email == "attacker@example.net"
    assert mail.outbox[-1].to == ["ada@example.org"]  # told of the change
    assert ada.post(path).status_code == 404  # once only
    rows = AuditEvent.objects.filter(category="contact_details", patient_id=patient.pk)
    assert rows.filter(detail__confirmed_by_patient=True).count() == 1
    assert "attacker" not in str(list(rows.values_list("detail", flat=True)))


def test_a_withdrawn_email_change_link_stops_working(
    cast: Cast, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    with django_capture_on_commit_callbacks(execute=True):
        actions.update_contact_details(
            patient=cast.patient, by=cast.nurse, **{**FORM, "email": "new@example.org"}
        )
    (confirm,) = [link for m in mail.outbox for link in _links(m) if "/me/email/confirm/" in link]
    assert EmailChange.objects.filter(patient=cast.patient).count() == 1
    client_for(cast, "nurse").post(reverse("patient-email-change-withdraw", args=[cast.patient.pk]))
    path = "/" + confirm.split("/", 3)[3]
    assert client_for(cast, "patient_user").post(path).status_code == 404
    assert Patient.objects.get(pk=cast.patient.pk).email == "mrn-1001@example.org"


def test_a_login_not_yet_taken_up_follows_the_record_and_old_links_die(
    cast: Cast, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    patient = make_patient(cast.clinic, "MRN-3002", "Fern", "Oduya", None)
    with django_capture_on_commit_callbacks(execute=True):
        actions.invite_patient(patient=patient, by=cast.nurse)
    (old_link,) = [link for link in _links(mail.outbox[0]) if "/accounts/invite/" in link]
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        actions.update_contact_details(
            patient=patient, by=cast.nurse, **{**FORM, "email": "fern@example.org"}
        )
    patient.refresh_from_db()
    assert patient.email == "fern@example.org" == patient.user.email  # type: ignore[union-attr]
    assert mail.outbox[0].to == ["mrn-3002@example.org"]  # the old address is told
    page = Client().get("/" + old_link.split("/", 3)[3], follow=True).content.decode()
    assert "no longer works" in page


def test_an_email_used_by_another_login_is_refused(cast: Cast) -> None:
    url = reverse("patient-contact", args=[cast.patient.pk])
    page = client_for(cast, "nurse").post(url, {**FORM, "email": "brook@example.org"})
    assert "Another login uses this email address." in page.content.decode()
    assert not EmailChange.objects.exists()
    assert PASSWORD  # the personas' password is untouched by any of this
