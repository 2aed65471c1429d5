"""Idle and absolute session timeouts; a disabled account's session stops at once."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse

from cephalog.accounts.models import User
from tests.personas import PASSWORD, Cast, pass_second_factor

pytestmark = pytest.mark.django_db

START = dt.datetime(2026, 3, 20, 8, 0, tzinfo=dt.UTC)


def logged_in(username: str) -> Client:
    client = Client()
    assert (
        client.post(reverse("login"), {"username": username, "password": PASSWORD}).status_code
        == 302
    )
    pass_second_factor(client, User.objects.get(username=username))
    return client


def is_logged_in(client: Client) -> bool:
    response = client.get(reverse("patient-list"))
    return response.status_code == 200


def test_an_idle_session_expires(cast: Cast, settings) -> None:  # type: ignore[no-untyped-def]
    with time_machine.travel(START, tick=False) as clock:
        client = logged_in("nurse-joy")
        assert is_logged_in(client)
        clock.shift(dt.timedelta(seconds=settings.SESSION_COOKIE_AGE - 60))
        assert is_logged_in(client)  # activity pushes the idle expiry on
        clock.shift(dt.timedelta(seconds=settings.SESSION_COOKIE_AGE + 60))
        assert not is_logged_in(client)


def test_an_active_session_ends_at_the_absolute_limit(cast: Cast, settings) -> None:  # type: ignore[no-untyped-def]
    with time_machine.travel(START, tick=False) as clock:
        client = logged_in("nurse-joy")
        # Busy all day: a request every hour keeps the idle timeout away.
        hours = settings.SESSION_ABSOLUTE_AGE // 3600
        for _ in range(hours - 1):
            clock.shift(dt.timedelta(hours=1))
            assert is_logged_in(client)
        clock.shift(dt.timedelta(hours=1, minutes=1))
        response = client.get(reverse("patient-list"))
        assert response.status_code == 302
        assert reverse("login") in response["Location"]
        page = client.get(response["Location"])
        assert f"logged out after {hours} hours" in page.content.decode()
        # Logging in again starts a new day.
        again = logged_in("nurse-joy")
        assert is_logged_in(again)


def test_a_disabled_accounts_existing_session_stops_working(cast: Cast) -> None:
    client = logged_in("nurse-joy")
    api = logged_in("ada")
    assert is_logged_in(client)
    assert api.get("/api/me/diary").status_code == 200
    sessions_before = Session.objects.count()
    User.objects.filter(username__in=["nurse-joy", "ada"]).update(is_active=False)
    response = client.get(reverse("patient-list"))
    assert response.status_code == 302
    assert reverse("login") in response["Location"]
    assert api.get("/api/me/diary").status_code == 401
    # The sessions themselves are gone, not just unusable.
    assert Session.objects.count() == sessions_before - 2
    # Re-enabling does not bring the old session back.
    User.objects.filter(username="nurse-joy").update(is_active=True)
    assert not is_logged_in(client)


def test_a_disabled_account_cannot_log_in(cast: Cast) -> None:
    User.objects.filter(username="nurse-joy").update(is_active=False)
    response = Client().post(reverse("login"), {"username": "nurse-joy", "password": PASSWORD})
    assert response.status_code == 200
    assert "_auth_user_id" not in response.client.session


def test_activity_saves_the_session_at_most_once_a_minute(cast: Cast, settings) -> None:  # type: ignore[no-untyped-def]
    # Saving on every request cost a database write per request (issue 10).
    def expiry() -> dt.datetime:
        return Session.objects.get(session_key=client.session.session_key).expire_date

    with time_machine.travel(START, tick=False) as clock:
        client = logged_in("ada")
        saved = expiry()
        clock.shift(dt.timedelta(seconds=settings.SESSION_REFRESH_SECONDS - 1))
        response = client.get("/api/me/diary")
        assert response.status_code == 200
        assert settings.SESSION_COOKIE_NAME not in response.cookies  # no save, no new cookie
        assert expiry() == saved
        clock.shift(dt.timedelta(seconds=1))
        response = client.get("/api/me/diary")
        assert settings.SESSION_COOKIE_NAME in response.cookies
        assert expiry() == saved + dt.timedelta(seconds=settings.SESSION_REFRESH_SECONDS)
