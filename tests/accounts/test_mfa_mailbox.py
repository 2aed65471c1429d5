"""A password alone never sets up a first second factor (issue 18.1, the gap left open):
the session proves the account's mailbox first, by an emailed code or by the set-password
link it came through."""

import re
from typing import Any

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django_otp.plugins.otp_totp.models import TOTPDevice

from cephalog.accounts.mfa import SESSION_MAILBOX
from cephalog.audit.models import AuditEvent
from tests.personas import PASSWORD, Cast


def password_login(username: str, password: str = PASSWORD) -> Client:
    client = Client()
    response = client.post(reverse("login"), {"username": username, "password": password})
    assert response.status_code == 302
    return client


def emailed_code() -> str:
    return re.findall(r"\b(\d{6})\b", mail.outbox[-1].body)[0]


def test_a_password_alone_gets_a_code_by_email_not_the_authenticator_key(cast: Cast) -> None:
    client = password_login("dr-house")
    page = client.get(reverse("mfa-setup"))
    body = page.content.decode()
    assert page.status_code == 200
    assert "Check your email" in body
    assert "<svg" not in body  # no QR code, no key to type
    assert not TOTPDevice.objects.filter(user=cast.physician).exists()
    assert [m.to for m in mail.outbox] == [[cast.physician.email]]
    assert cast.physician.email not in body  # masked: d…@example.org
    assert "d…@example.org" in body
    code = emailed_code()
    assert code not in str(AuditEvent.objects.values_list("detail", flat=True))

    wrong = "000000" if code != "000000" else "111111"
    refused = client.post(reverse("mfa-setup"), {"mailbox_code": wrong})
    assert refused.status_code == 400
    assert "did not match" in refused.content.decode()
    assert "<svg" not in refused.content.decode()

    assert client.post(reverse("mfa-setup"), {"mailbox_code": code}).status_code == 302
    setup = client.get(reverse("mfa-setup")).content.decode()
    assert "<svg" in setup
    assert TOTPDevice.objects.filter(user=cast.physician, confirmed=False).exists()
    assert AuditEvent.objects.filter(category="mfa", detail__mailbox="code").exists()


def test_the_code_is_refused_after_five_wrong_tries_or_once_expired(cast: Cast) -> None:
    client = password_login("dr-house")
    client.get(reverse("mfa-setup"))
    code = emailed_code()
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(5):
        assert client.post(reverse("mfa-setup"), {"mailbox_code": wrong}).status_code == 400
    assert client.post(reverse("mfa-setup"), {"mailbox_code": code}).status_code == 400

    other = password_login("nurse-joy")
    other.get(reverse("mfa-setup"))
    code = emailed_code()
    session = other.session
    state = session[SESSION_MAILBOX]
    state["expires"] = 0
    session[SESSION_MAILBOX] = state
    session.save()
    assert other.post(reverse("mfa-setup"), {"mailbox_code": code}).status_code == 400
    assert not TOTPDevice.objects.filter(user=cast.nurse).exists()


def test_a_new_code_at_most_once_a_minute_and_reloading_sends_none(
    cast: Cast, time_machine: Any
) -> None:
    time_machine.move_to(timezone.now(), tick=False)
    client = password_login("dr-house")
    client.get(reverse("mfa-setup"))
    client.get(reverse("mfa-setup"))
    assert len(mail.outbox) == 1
    page = client.post(reverse("mfa-setup"), {"send": "1"}).content.decode()
    assert len(mail.outbox) == 1
    assert "We sent you a code a short while ago, so we have not sent another." in page
    time_machine.shift(61)
    first = emailed_code()
    client.post(reverse("mfa-setup"), {"send": "1"})
    assert len(mail.outbox) == 2
    if emailed_code() != first:  # the old code no longer works
        assert client.post(reverse("mfa-setup"), {"mailbox_code": first}).status_code == 400


def test_the_invitation_link_opened_in_this_browser_proves_the_mailbox(cast: Cast) -> None:
    user = cast.physician
    client = Client()
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    link = client.get(reverse("invite-accept", args=[uid, token]))
    assert link.status_code == 302  # Django moves the token into the session
    new = "a-new-long-passphrase-42"
    done = client.post(link["Location"], {"new_password1": new, "new_password2": new})
    assert done.status_code == 302
    assert (
        client.post(reverse("login"), {"username": "dr-house", "password": new}).status_code == 302
    )
    setup = client.get(reverse("mfa-setup")).content.decode()
    assert "<svg" in setup
    assert mail.outbox == []

    # Someone else with the new password, in another browser, still needs the mailbox.
    intruder = password_login("dr-house", new)
    assert "<svg" not in intruder.get(reverse("mfa-setup")).content.decode()


def test_an_account_without_an_email_address_is_sent_to_its_administrator(cast: Cast) -> None:
    cast.nurse.email = ""
    cast.nurse.save(update_fields=["email"])
    client = password_login("nurse-joy")
    page = client.get(reverse("mfa-setup")).content.decode()
    assert "Ask your clinic" in page
    assert "<svg" not in page
    assert mail.outbox == []
    assert client.post(reverse("mfa-setup"), {"mailbox_code": "123456"}).status_code == 400
    assert not TOTPDevice.objects.filter(user=cast.nurse).exists()


@pytest.mark.parametrize("field", ["mailbox_code", "token"])
def test_posting_a_totp_code_before_the_mailbox_enrols_nothing(cast: Cast, field: str) -> None:
    client = password_login("dr-house")
    client.post(reverse("mfa-setup"), {field: "123456"})
    assert not TOTPDevice.objects.filter(user=cast.physician, confirmed=True).exists()
    assert client.get(reverse("patient-list")).status_code == 302


def test_a_mail_relay_that_is_down_says_so_and_a_new_code_can_be_sent(cast: Cast, settings) -> None:  # type: ignore[no-untyped-def]
    from tests.safety.backends import FAILING

    mailers = settings.MAILERS
    settings.MAILERS = FAILING
    client = password_login("dr-house")
    page = client.get(reverse("mfa-setup")).content.decode()
    assert "could not send the email" in page
    settings.MAILERS = mailers
    client.post(reverse("mfa-setup"), {"send": "1"})  # not held back by the minute
    assert client.post(reverse("mfa-setup"), {"mailbox_code": emailed_code()}).status_code == 302


def test_signing_in_again_sends_no_new_code_but_the_recent_one_works(cast: Cast) -> None:
    """The minute is the account's, not the session's: every sign-in with a known password
    emailed a new code (a new session, a new minute), so anyone with the password could fill
    a colleague's mailbox. A new session now takes the code sent a moment ago."""
    first = password_login("dr-house")
    assert "Check your email" in first.get(reverse("mfa-setup")).content.decode()
    code = emailed_code()
    again = password_login("dr-house")
    page = again.get(reverse("mfa-setup")).content.decode()
    assert len(mail.outbox) == 1
    assert (
        "We sent you a code a short while ago, so we have not sent another. Use the code in "
        "that email: it works for 15 more minutes."
    ) in page
    assert again.post(reverse("mfa-setup"), {"mailbox_code": code}).status_code == 302
    assert "<svg" in again.get(reverse("mfa-setup")).content.decode()


def test_at_most_five_codes_an_hour_go_to_an_account(cast: Cast, time_machine: Any) -> None:
    time_machine.move_to(timezone.now(), tick=False)
    for _ in range(7):  # a sign-in every two minutes: five codes, then the newest is reused
        password_login("dr-house").get(reverse("mfa-setup"))
        time_machine.shift(120)
    assert len(mail.outbox) == 5
    time_machine.shift(16 * 60)  # the newest code has expired, the hour has not ended
    page = password_login("dr-house").get(reverse("mfa-setup")).content.decode()
    assert len(mail.outbox) == 5
    assert "We have already sent 5 codes to this address in the last hour" in page
    assert "We sent a 6-digit code" not in page
    time_machine.shift(60 * 60)
    client = password_login("dr-house")
    client.get(reverse("mfa-setup"))
    assert len(mail.outbox) == 6
    assert client.post(reverse("mfa-setup"), {"mailbox_code": emailed_code()}).status_code == 302
