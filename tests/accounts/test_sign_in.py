"""Signing in with the email address or the username, staying signed in on a phone,
and the password asked again for sensitive pages (issue 16.1)."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse

from cephalog.accounts import actions, reauth
from cephalog.accounts.models import User
from tests.personas import PASSWORD, Cast


def sign_in(client: Client, identifier: str, remember: bool = False) -> int:
    data = {"username": identifier, "password": PASSWORD}
    if remember:
        data["remember"] = "on"
    return client.post(reverse("login"), data).status_code


@pytest.mark.parametrize(
    "identifier", ["ada", "ada@example.org", "ADA@Example.ORG", " ada@example.org"]
)
def test_it_signs_a_patient_in_with_the_email_address_or_the_username(
    cast: Cast, identifier: str
) -> None:
    client = Client()
    assert sign_in(client, identifier.strip()) == 302
    assert client.get(reverse("diary-home")).status_code == 200


def test_it_signs_staff_in_with_the_email_address(cast: Cast) -> None:
    client = Client()
    assert sign_in(client, cast.nurse.email.upper()) == 302
    assert int(client.session["_auth_user_id"]) == cast.nurse.pk


def test_it_refuses_a_wrong_password_for_an_email_address(cast: Cast) -> None:
    client = Client()
    page = client.post(reverse("login"), {"username": "ada@example.org", "password": "wrong"})
    assert page.status_code == 200
    assert "did not match" in page.content.decode()
    assert "_auth_user_id" not in client.session


def test_it_keeps_email_addresses_unique_whatever_their_case(cast: Cast) -> None:
    with pytest.raises(ValidationError):
        actions.change_email(user=cast.other_patient_user, email="ADA@example.org")
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create_user(username="copy", email="Ada@Example.org", password="x" * 12)
    # Users without an address are many.
    User.objects.create_user(username="a1", email=None)
    User.objects.create_user(username="a2", email=None)


def test_it_keeps_a_patient_signed_in_on_their_phone_for_30_days(cast: Cast, settings) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    response = client.post(
        reverse("login"), {"username": "ada@example.org", "password": PASSWORD, "remember": "on"}
    )
    assert response.status_code == 302
    assert response.cookies[settings.SESSION_COOKIE_NAME]["max-age"] == 30 * 24 * 3600
    assert client.session.get_expiry_age() == 30 * 24 * 3600
    # Past the absolute limit of an ordinary session, still signed in; a visit after the
    # refresh interval pushes the 30 days on (rolling).
    session = client.session
    session["cephalog_login_at"] = time.time() - settings.SESSION_ABSOLUTE_AGE - 60
    session["cephalog_refreshed_at"] = time.time() - settings.SESSION_REFRESH_SECONDS - 1
    session.save()
    visit = client.get(reverse("diary-home"))
    assert visit.status_code == 200
    assert visit.cookies[settings.SESSION_COOKIE_NAME]["max-age"] == 30 * 24 * 3600


def test_it_keeps_the_ordinary_limits_without_keep_me_signed_in(cast: Cast, settings) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    assert sign_in(client, "ada@example.org") == 302
    assert client.session.get_expiry_age() == settings.SESSION_COOKIE_AGE
    session = client.session
    session["cephalog_login_at"] = time.time() - settings.SESSION_ABSOLUTE_AGE - 60
    session.save()
    assert client.get(reverse("diary-home")).status_code == 302


def test_it_keeps_staff_to_todays_limits_even_when_they_tick_the_box(cast: Cast, settings) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    assert sign_in(client, "nurse-joy", remember=True) == 302
    assert client.session.get_expiry_age() == settings.SESSION_COOKIE_AGE
    assert not client.session.get(reauth.REMEMBER)


def _age_the_sign_in(client: Client, seconds: float) -> None:
    session = client.session
    session[reauth.AUTHENTICATED_AT] = time.time() - seconds
    session.save()


@pytest.mark.parametrize("url", ["my-security", "diary-io-days", ("my-data-download", "diary-csv")])
def test_it_asks_for_the_password_again_after_a_while(cast: Cast, url: object) -> None:
    client = Client()
    assert sign_in(client, "ada@example.org", remember=True) == 302
    path = reverse(url[0], args=[url[1]]) if isinstance(url, tuple) else reverse(str(url))
    assert client.get(path).status_code in (200, 404)  # just signed in: no question
    _age_the_sign_in(client, reauth.reauth_seconds() + 1)
    asked = client.get(path)
    assert asked.status_code == 302
    assert asked["Location"].startswith(reverse("confirm-password"))
    wrong = client.post(asked["Location"], {"password": "nope", "next": path})
    assert wrong.status_code == 400
    assert "not right" in wrong.content.decode()
    right = client.post(asked["Location"], {"password": PASSWORD, "next": path})
    assert right.status_code == 302
    assert right["Location"] == path
    assert client.get(path).status_code in (200, 404)


def test_it_lets_a_patient_change_their_email_and_password(
    cast: Cast, django_capture_on_commit_callbacks: Any
) -> None:
    client = Client()
    assert sign_in(client, "ada") == 302
    page = client.get(reverse("my-security"))
    assert (
        "Log in with your email address, <strong>ada@example.org</strong>." in page.content.decode()
    )
    # Not the username the clinic's invitation made up ("p-1a836fc643ad"): a code she never chose.
    assert "your username" not in page.content.decode()
    taken = client.post(
        reverse("my-security"), {"change": "email", "email": cast.nurse.email.upper()}
    )
    assert taken.status_code == 400
    assert "Another account already uses" in taken.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        saved = client.post(reverse("my-security"), {"change": "email", "email": "new@example.org"})
    assert saved.status_code == 302
    cast.patient.refresh_from_db()
    assert cast.patient.email != "new@example.org"  # not before the link is opened
    (link,) = [m.body for m in mail.outbox if m.to == ["new@example.org"]]
    path = re.search(r"https?://[^/\s]+(/accounts/email/\S+/)", link).group(1)  # type: ignore[union-attr]
    assert client.post(path).status_code == 302
    cast.patient.refresh_from_db()
    assert cast.patient.email == "new@example.org"
    new = "a much longer passphrase 2026"
    changed = client.post(
        reverse("my-security"),
        {"change": "password", "new_password1": new, "new_password2": new},
        follow=True,
    )
    assert "Saved. Your new password works" in changed.content.decode()
    assert client.get(reverse("diary-home")).status_code == 200  # still signed in
    other = Client()
    assert (
        other.post(reverse("login"), {"username": "NEW@example.org", "password": new}).status_code
        == 302
    )
