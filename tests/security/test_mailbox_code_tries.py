"""The emailed set-up code gets five tries per account, however they are sent.

A password alone must not enrol a staff member's first authenticator (issue 18.1): the
session proves the mailbox with a six-digit code first, with five tries. The tries were
counted in the session, which each request reads when it starts and saves when it ends, so
requests sent at the same time each saw the same count (unlimited tries for whoever sends
many at once), and each new sign-in, a new session, started again from none. They are
counted per account now, in the shared cache, before the code is compared.
"""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.personas import PASSWORD, Cast

pytestmark = pytest.mark.django_db

SETUP = "/accounts/mfa/setup/"


def _signed_in(username: str) -> Client:
    client = Client()
    response = client.post(reverse("login"), {"username": username, "password": PASSWORD})
    assert response.status_code == 302
    return client


def _code() -> str:
    return re.findall(r"\b(\d{6})\b", mail.outbox[-1].body)[0]


def _wrong(code: str) -> str:
    return "000000" if code != "000000" else "111111"


def test_tries_sent_at_the_same_time_each_count(cast: Cast) -> None:
    client = _signed_in("dr-house")
    client.get(SETUP)
    code = _code()
    # Each request below starts from the session as it was before any of them was answered,
    # as requests sent together do (the session is read at the start of each).
    session = client.session
    before = dict(session.items())

    def as_sent_together() -> None:
        stale = client.session
        stale.clear()
        stale.update(before)
        stale.save()

    for _ in range(5):
        as_sent_together()
        assert client.post(SETUP, {"mailbox_code": _wrong(code)}).status_code == 400
    as_sent_together()
    assert client.post(SETUP, {"mailbox_code": code}).status_code == 400
    assert "<svg" not in client.get(SETUP).content.decode()
    assert not TOTPDevice.objects.filter(user=cast.physician).exists()


def test_signing_in_again_gives_no_new_tries(cast: Cast) -> None:
    first = _signed_in("dr-house")
    first.get(SETUP)
    code = _code()
    for _ in range(5):
        assert first.post(SETUP, {"mailbox_code": _wrong(code)}).status_code == 400

    again = _signed_in("dr-house")
    again.get(SETUP)  # a new session: a new code is emailed
    assert again.post(SETUP, {"mailbox_code": _code()}).status_code == 400
    assert not TOTPDevice.objects.filter(user=cast.physician).exists()


def test_the_right_code_within_five_tries_still_works(cast: Cast) -> None:
    client = _signed_in("dr-house")
    client.get(SETUP)
    code = _code()
    for _ in range(4):
        assert client.post(SETUP, {"mailbox_code": _wrong(code)}).status_code == 400
    assert client.post(SETUP, {"mailbox_code": code}).status_code == 302
    assert "<svg" in client.get(SETUP).content.decode()
