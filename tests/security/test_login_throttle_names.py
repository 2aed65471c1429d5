"""Five wrong passwords per account and address, whichever name of the account is typed.

The login takes the email address or the username. Failures were counted under what was
typed: five wrong passwords with the email address and five more with the username made
ten, and the username was still let in after the first five. They now count under the
account's username as well, so both names share the account's five.
"""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from tests.personas import PASSWORD, Cast

pytestmark = pytest.mark.django_db


def _login(username: str, password: str) -> int:
    response = Client().post(reverse("login"), {"username": username, "password": password})
    return response.status_code


@pytest.mark.parametrize("typed", ["ada@example.org", "  ADA@Example.org "])
def test_failures_with_the_email_address_hold_back_the_username_too(cast: Cast, typed: str) -> None:
    for _ in range(5):
        assert _login(typed, "not the password") == 200
    assert _login("ada", PASSWORD) == 429
    assert _login("ada@example.org", PASSWORD) == 429


def test_failures_with_the_username_hold_back_the_email_address(cast: Cast) -> None:
    for _ in range(5):
        assert _login("ada", "not the password") == 200
    assert _login("ada@example.org", PASSWORD) != 302


def test_fewer_failures_let_the_right_password_in(cast: Cast) -> None:
    for name in ("ada@example.org", "ada", "ada@example.org", "ada"):
        assert _login(name, "not the password") == 200
    assert _login("ada", PASSWORD) == 302
