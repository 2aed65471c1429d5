"""A patient's new email address is used only once she confirms it from the new mailbox.

Before, the account page switched the address at once: a typo locked her out of signing
in (patients sign in with their address) and of "Forgot your password?".
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from cephalog.accounts import actions
from cephalog.accounts.models import EmailRequest, User
from cephalog.audit.models import AuditEvent
from cephalog.patients import actions as patient_actions
from cephalog.patients.models import EmailChange, Patient
from tests.personas import PASSWORD, Cast, client_for

# The emails go after commit, as in production.
pytestmark = pytest.mark.django_db(transaction=True)

OLD = "ada@example.org"
NEW = "ada.new@example.org"
LINK = re.compile(r"https?://[^/\s]+(/accounts/email/[^/\s]+/[^/\s]+/)")


def _ask(client: Client, email: str) -> Any:
    return client.post(reverse("my-security"), {"change": "email", "email": email})


def _link(to: str) -> str:
    """The path of the newest confirmation link emailed to `to`."""
    for message in reversed(mail.outbox):
        found = LINK.search(message.body)
        if message.to == [to] and found:
            return found.group(1)
    raise AssertionError(f"no link was sent to {to}")


def _signs_in(identifier: str) -> bool:
    response = Client().post(reverse("login"), {"username": identifier, "password": PASSWORD})
    return response.status_code == 302


def _user(cast: Cast) -> User:
    return User.objects.get(pk=cast.patient_user.pk)


def test_it_keeps_the_old_address_until_the_link_is_opened(cast: Cast) -> None:
    client = client_for(cast, "patient_user")
    assert _ask(client, NEW).status_code == 302
    assert _user(cast).email == OLD
    assert Patient.objects.get(pk=cast.patient.pk).email == "mrn-1001@example.org"
    assert _signs_in(OLD)
    assert not _signs_in(NEW)
    to_new, to_old = mail.outbox
    assert to_new.to == [NEW]
    assert "24 hours" in to_new.body
    assert LINK.search(to_new.body)
    # The old address is told, with no link, and who to call.
    assert to_old.to == [OLD]
    assert "Nothing has changed yet" in to_old.body
    assert "a…@example.org" in to_old.body
    assert "contact your clinic, Leeds Headache Centre, on 0113 000 0000" in to_old.body
    assert "http" not in to_old.body
    page = client.get(reverse("my-security")).content.decode()
    assert f"Waiting for you to confirm <strong>{NEW}</strong>: we sent a link to it at" in page
    assert f"you keep logging in with <strong>{OLD}</strong>" in page
    assert "Send the email again" in page
    assert "Cancel the change" in page


def test_the_link_switches_the_address_once_signed_in_or_not(cast: Cast) -> None:
    _ask(client_for(cast, "patient_user"), NEW)
    link = _link(NEW)
    mail.outbox.clear()
    anonymous = Client()
    shown = anonymous.get(link)
    assert shown.status_code == 200
    assert f"you will log in with <strong>{NEW}</strong>" in shown.content.decode()
    assert _user(cast).email == OLD  # opening the page (a mail filter may) changes nothing
    confirmed = anonymous.post(link)
    assert confirmed.status_code == 302
    assert confirmed["Location"] == reverse("login")
    assert _user(cast).email == NEW
    assert Patient.objects.get(pk=cast.patient.pk).email == NEW
    assert _signs_in(NEW)
    assert not _signs_in(OLD)
    (told,) = mail.outbox
    assert told.to == [OLD]
    assert "was changed" in told.body
    row = AuditEvent.objects.filter(category="account", detail__email="changed").get()
    assert row.patient_id == cast.patient.pk
    assert NEW not in str(row.detail)
    again = anonymous.post(link)
    assert again.status_code == 410
    assert "already been used" in again.content.decode()
    assert "already been used" in anonymous.get(link).content.decode()


def test_a_signed_in_patient_goes_back_to_her_account_page(cast: Cast) -> None:
    client = client_for(cast, "patient_user")
    _ask(client, NEW)
    response = client.post(_link(NEW), follow=True)
    assert response.redirect_chain[-1][0] == reverse("my-security")
    assert f"Saved. You now log in with {NEW}." in response.content.decode()
    assert client.get(reverse("diary-home")).status_code == 200  # still signed in


def test_an_expired_link_says_so_and_what_to_do(cast: Cast, time_machine: Any) -> None:
    time_machine.move_to(timezone.now(), tick=False)
    client = client_for(cast, "patient_user")
    _ask(client, NEW)
    link = _link(NEW)
    time_machine.shift(24 * 60 * 60 + 1)
    for response in (Client().get(link), Client().post(link)):
        assert response.status_code == 410
        assert "This link has expired" in response.content.decode()
        assert "ask for a new link on your Account and security page" in response.content.decode()
    assert _user(cast).email == OLD
    page = client_for(cast, "patient_user").get(reverse("my-security")).content.decode()
    assert "has expired. Send it again" in page


def test_a_newer_request_replaces_the_older_link(cast: Cast, time_machine: Any) -> None:
    time_machine.move_to(timezone.now(), tick=False)
    client = client_for(cast, "patient_user")
    _ask(client, "typo@exmaple.org")
    first = _link("typo@exmaple.org")
    time_machine.shift(61)
    assert _ask(client, NEW).status_code == 302
    refused = Client().post(first)
    assert refused.status_code == 410
    assert "replaced by a newer one" in refused.content.decode()
    assert _user(cast).email == OLD
    assert Client().post(_link(NEW)).status_code == 302
    assert _user(cast).email == NEW


def test_send_again_and_cancel(cast: Cast, time_machine: Any) -> None:
    time_machine.move_to(timezone.now(), tick=False)
    client = client_for(cast, "patient_user")
    _ask(client, NEW)
    first = _link(NEW)
    # At once: refused, as the second factor's emailed codes are (one a minute).
    too_soon = client.post(reverse("my-security"), {"change": "email-again"}, follow=True)
    assert "several emails in a short time" in too_soon.content.decode()
    assert len(mail.outbox) == 2
    time_machine.shift(61)
    client.post(reverse("my-security"), {"change": "email-again"})
    second = _link(NEW)
    assert second != first
    assert "replaced by a newer one" in Client().get(first).content.decode()
    assert EmailRequest.objects.filter(user=cast.patient_user, closed_at__isnull=True).count() == 1
    cancelled = client.post(reverse("my-security"), {"change": "email-cancel"}, follow=True)
    assert "Cancelled. Your email address stays as it is." in cancelled.content.decode()
    assert "Waiting for you to confirm" not in cancelled.content.decode()
    response = Client().post(second)
    assert response.status_code == 410
    assert "This change was cancelled" in response.content.decode()
    assert _user(cast).email == OLD


def test_it_sends_at_most_five_links_an_hour(cast: Cast, time_machine: Any) -> None:
    time_machine.move_to(timezone.now(), tick=False)
    client = client_for(cast, "patient_user")
    for n in range(6):
        response = _ask(client, f"new{n}@example.org")
        time_machine.shift(61)
    assert response.status_code == 400
    assert "several emails in a short time" in response.content.decode()
    assert len([m for m in mail.outbox if LINK.search(m.body)]) == 5


def test_an_address_another_login_uses_is_refused_without_saying_whose(cast: Cast) -> None:
    client = client_for(cast, "patient_user")
    refused = _ask(client, cast.nurse.email.upper())
    assert refused.status_code == 400
    page = refused.content.decode()
    assert "Another account already uses this email address" in page
    assert "nurse-joy" not in page
    assert not mail.outbox
    # Taken between the request and the link: the link says so, nothing changes.
    _ask(client, NEW)
    actions.change_email(user=cast.other_patient_user, email=NEW.upper())
    late = Client().post(_link(NEW))
    assert late.status_code == 410
    assert "Another account now uses this email address" in late.content.decode()
    assert "Brook" not in late.content.decode()
    assert _user(cast).email == OLD


def test_a_wrong_or_tampered_link_does_nothing(cast: Cast) -> None:
    _ask(client_for(cast, "patient_user"), NEW)
    link = _link(NEW)
    _ask(client_for(cast, "other_patient_user"), "brook.new@example.org")
    other = _link("brook.new@example.org")
    uid, token = link.split("/")[-3:-1]
    other_uid = other.split("/")[-3]
    for bad in (
        f"/accounts/email/{uid}/{token[:-1]}x/",
        f"/accounts/email/{other_uid}/{token}/",
        f"/accounts/email/!!/{token}/",
    ):
        response = Client().post(bad)
        assert response.status_code == 404
        assert "This link does not work" in response.content.decode()
    assert _user(cast).email == OLD


def _the_clinic_types_an_address(cast: Cast) -> None:
    """A nurse types a new address on the contact form: it waits for the patient's link."""
    patient_actions.update_contact_details(
        patient=cast.patient,
        by=cast.nurse,
        email="typed.by.clinic@example.org",
        phone="",
        address="",
        time_zone="Europe/London",
        preferred_contact="email",
    )


def test_it_replaces_a_change_the_clinic_typed_in(cast: Cast) -> None:
    _the_clinic_types_an_address(cast)
    assert EmailChange.objects.filter(patient=cast.patient, withdrawn_at__isnull=True).exists()
    _ask(client_for(cast, "patient_user"), NEW)
    assert not EmailChange.objects.filter(patient=cast.patient, withdrawn_at__isnull=True).exists()


def test_confirming_her_own_change_ends_one_the_clinic_typed_in_after_it(cast: Cast) -> None:
    """She asks, then the clinic types another address; she confirms her own link: the
    clinic's link must not switch the address again afterwards."""
    _ask(client_for(cast, "patient_user"), NEW)
    _the_clinic_types_an_address(cast)
    assert EmailChange.objects.filter(patient=cast.patient, withdrawn_at__isnull=True).exists()
    assert Client().post(_link(NEW)).status_code == 302
    assert _user(cast).email == NEW
    assert not EmailChange.objects.filter(
        patient=cast.patient, withdrawn_at__isnull=True, confirmed_at__isnull=True
    ).exists()


def test_asking_and_cancelling_are_audited_without_addresses(cast: Cast) -> None:
    client = client_for(cast, "patient_user")
    _ask(client, NEW)
    client.post(reverse("my-security"), {"change": "email-cancel"})
    rows = AuditEvent.objects.filter(category="account", action="update").order_by("pk")
    assert [r.detail["email"] for r in rows] == ["change asked", "change cancelled"]
    assert all(r.patient_id == cast.patient.pk for r in rows)
    assert not any(NEW in str(r.detail) or OLD in str(r.detail) for r in rows)


def test_a_link_dies_when_the_address_changes_another_way(cast: Cast) -> None:
    client = client_for(cast, "patient_user")
    _ask(client, NEW)
    actions.change_email(user=cast.patient_user, email="by.the.operator@example.org")
    assert "Waiting for you to confirm" not in client.get(reverse("my-security")).content.decode()
    response = Client().post(_link(NEW))
    assert response.status_code == 410
    assert "replaced by a newer one" in response.content.decode()
    assert _user(cast).email == "by.the.operator@example.org"
