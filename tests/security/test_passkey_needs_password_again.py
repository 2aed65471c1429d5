"""Adding a passkey needs the password entered in the last minutes (issue 16.1's rule for
changing how one signs in).

A patient's passkey signs in on its own, and outlives a change of password. A session left
open (a patient's stays signed in for 30 days on a phone that is "remembered") let whoever
picked the phone up add their own passkey without the password, and come back from their
own device whenever they liked. The passkeys page asks for the password first now, and the
endpoints the page's script calls refuse without it.
"""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.urls import reverse

from cephalog.accounts.passkeys.actions import REGISTER
from cephalog.accounts.reauth import AUTHENTICATED_AT
from tests.personas import PASSWORD, Cast

pytestmark = pytest.mark.django_db


def _signed_in_long_ago(username: str) -> Client:
    client = Client()
    client.post(reverse("login"), {"username": username, "password": PASSWORD})
    session = client.session
    session[AUTHENTICATED_AT] = session[AUTHENTICATED_AT] - 60 * 60  # an hour ago
    session.save()
    return client


def test_a_session_signed_in_long_ago_cannot_add_a_passkey(cast: Cast) -> None:
    client = _signed_in_long_ago("ada")

    page = client.get(reverse("passkeys"))
    assert page.status_code == 302
    assert page["Location"].startswith(reverse("confirm-password"))

    options = client.post(reverse("passkey-register-options"))
    assert options.status_code == 403
    assert REGISTER not in client.session  # no challenge to answer
    answer = client.post(
        reverse("passkey-register"),
        json.dumps({"credential": {"id": "Y3JlZA"}, "name": "mine"}),
        content_type="application/json",
    )
    assert answer.status_code == 403
    assert "password" in answer.json()["detail"]


def test_the_password_again_opens_the_page_and_its_challenge(cast: Cast) -> None:
    client = _signed_in_long_ago("ada")
    confirmed = client.post(
        reverse("confirm-password"), {"password": PASSWORD, "next": reverse("passkeys")}
    )
    assert confirmed["Location"] == reverse("passkeys")
    assert client.get(reverse("passkeys")).status_code == 200
    assert client.post(reverse("passkey-register-options")).status_code == 200
    assert REGISTER in client.session


def test_new_recovery_codes_need_the_password_again(cast: Cast) -> None:
    """Recovery codes replace the authenticator app (with the password): a staff session
    left open must not be enough to make a new set and read it."""
    from django_otp.plugins.otp_static.models import StaticToken

    from tests.personas import login_client

    client = login_client(Client(), cast.nurse)
    session = client.session
    session[AUTHENTICATED_AT] = 0.0  # long ago
    session.save()
    before = list(StaticToken.objects.filter(device__user=cast.nurse).values_list("token"))

    answer = client.post(reverse("mfa-recovery-codes"))
    assert answer.status_code == 302
    assert answer["Location"].startswith(reverse("confirm-password"))
    after = list(StaticToken.objects.filter(device__user=cast.nurse).values_list("token"))
    assert after == before

    client.post(reverse("confirm-password"), {"password": PASSWORD})
    made = client.post(reverse("mfa-recovery-codes"))
    assert made.status_code == 200
    assert StaticToken.objects.filter(device__user=cast.nurse).count() == 10
