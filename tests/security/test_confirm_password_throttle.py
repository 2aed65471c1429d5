"""The password asked again (before exports and sign-in changes) is throttled as the login is.

The confirm-password page checked the password itself, outside the login's throttle: a
session left open (a patient's stays signed in for 30 days on a remembered phone) could try
passwords there without limit, and learn the one that also opens the account elsewhere.
It now goes through the login's authentication: failures are counted and audited, and after
LOGIN_FAILURE_LIMIT of them even the right password waits for the window to end.
"""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from cephalog.audit.models import AuditEvent
from tests.personas import PASSWORD, Cast

pytestmark = pytest.mark.django_db


def _signed_in(username: str) -> Client:
    client = Client()
    assert (
        client.post(reverse("login"), {"username": username, "password": PASSWORD}).status_code
        == 302
    )
    return client


def _confirm(client: Client, password: str) -> int:
    return client.post(reverse("confirm-password"), {"password": password}).status_code


def test_guesses_at_the_password_again_are_counted_and_stopped(cast: Cast) -> None:
    client = _signed_in("ada")
    for _ in range(5):
        assert _confirm(client, "a guess") == 400
    assert (
        AuditEvent.objects.filter(action="login_failed", user_id=cast.patient_user.pk).count() >= 5
    )
    assert _confirm(client, PASSWORD) == 400  # held back, as the login page would be
    assert (
        Client().post(reverse("login"), {"username": "ada", "password": PASSWORD}).status_code
        == 429
    )


def test_the_right_password_again_still_confirms(cast: Cast) -> None:
    client = _signed_in("ada")
    assert _confirm(client, "a guess") == 400
    assert _confirm(client, PASSWORD) == 302
