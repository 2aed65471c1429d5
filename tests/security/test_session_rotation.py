"""A session gets a new id whenever it gains rights: at sign-in (Django) and when it passes
its second factor (ASVS 3.2.1).

Before, the id given at sign-in with the password alone was kept after the code: whoever
had that id (set in the victim's browser before they entered their code, or read while it
was only a half-signed-in session) held a session past the second factor once the victim
entered the code. The id that entered the code now stops working at that moment.
"""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.personas import PASSWORD, Cast

pytestmark = pytest.mark.django_db


def _code(device: TOTPDevice) -> str:
    return str(totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)).zfill(6)


def _session_id(client: Client) -> str:
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def test_passing_the_second_factor_gives_the_session_a_new_id(cast: Cast) -> None:
    device = TOTPDevice.objects.create(user=cast.nurse, name="phone", confirmed=True)
    client = Client()
    client.post(reverse("login"), {"username": "nurse-joy", "password": PASSWORD})
    half_signed_in = _session_id(client)

    assert client.post(reverse("mfa-verify"), {"token": _code(device)}).status_code == 302
    assert _session_id(client) != half_signed_in
    assert client.get(reverse("patient-list")).status_code == 200

    fixed = Client()
    fixed.cookies[settings.SESSION_COOKIE_NAME] = half_signed_in
    answer = fixed.get(reverse("patient-list"))
    assert answer.status_code == 302
    assert answer["Location"].startswith(("/accounts/login/", "/accounts/mfa/"))


def test_enrolling_a_first_authenticator_gives_the_session_a_new_id(cast: Cast) -> None:
    client = Client()
    client.post(reverse("login"), {"username": "nurse-joy", "password": PASSWORD})
    client.get(reverse("mfa-setup"))
    code = re.findall(r"\b(\d{6})\b", mail.outbox[-1].body)[0]
    client.post(reverse("mfa-setup"), {"mailbox_code": code})
    client.get(reverse("mfa-setup"))
    before = _session_id(client)
    device = TOTPDevice.objects.get(user=cast.nurse, confirmed=False)

    assert client.post(reverse("mfa-setup"), {"token": _code(device)}).status_code == 302
    assert _session_id(client) != before
    # The recovery codes, kept in the session for the page that shows them once, survive.
    assert "-" in client.get(reverse("mfa-recovery-codes")).content.decode()
    fixed = Client()
    fixed.cookies[settings.SESSION_COOKIE_NAME] = before
    assert fixed.get(reverse("patient-list")).status_code == 302
