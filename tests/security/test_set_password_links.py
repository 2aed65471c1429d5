"""Set-password links: an invitation works for three days, a forgotten-password link for an
hour (ADR 0005), and choosing a new password ends the account's other sessions.

One lifetime (PASSWORD_RESET_TIMEOUT, three days, right for invitations) served both: a
reset link left in a mailbox opened the account for three days.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from cephalog.accounts import actions
from cephalog.accounts.models import User
from tests.personas import Cast, client_for, login_client

pytestmark = pytest.mark.django_db

NEW = "a fresh long passphrase"


def reset_link(user: User) -> str:
    """The path of the link "Forgot your password?" emails (the worker runs at once in tests)."""
    mail.outbox.clear()
    assert Client().post(reverse("password_reset"), {"email": user.email}).status_code == 302
    (link,) = re.findall(r"https?://\S+/accounts/reset/\S+", mail.outbox[-1].body)
    return urlsplit(link).path


def opens(path: str) -> bool:
    page = Client().get(path, follow=True)
    return "no longer works" not in page.content.decode()


def set_password(path: str, password: str = NEW) -> int:
    client = Client()
    form = client.get(path, follow=True)
    assert "no longer works" not in form.content.decode()
    done = client.post(
        form.redirect_chain[-1][0], {"new_password1": password, "new_password2": password}
    )
    return done.status_code


def test_a_reset_link_works_for_an_hour(cast: Cast, time_machine: Any) -> None:
    time_machine.move_to(timezone.now(), tick=False)
    path = reset_link(cast.patient_user)
    assert "within an hour" in mail.outbox[-1].body
    time_machine.shift(dt.timedelta(minutes=59))
    assert opens(path)
    time_machine.shift(dt.timedelta(minutes=2))
    assert not opens(path)


def invitation(cast: Cast, capture: Any) -> str:
    """The path of the link a new colleague's invitation emails."""
    with capture(execute=True):
        actions.invite_colleague(
            clinic=cast.clinic,
            by=cast.clinic_admin,
            email="new.nurse@example.org",
            role="nurse",
            first_name="New",
            last_name="Nurse",
        )
    (link,) = re.findall(r"https?://\S+/accounts/invite/\S+/", mail.outbox[-1].body)
    return urlsplit(link).path


def test_an_invitation_still_works_for_three_days(
    cast: Cast, time_machine: Any, django_capture_on_commit_callbacks: Any
) -> None:
    time_machine.move_to(timezone.now(), tick=False)
    path = invitation(cast, django_capture_on_commit_callbacks)
    time_machine.shift(dt.timedelta(days=2, hours=23))
    assert opens(path)
    time_machine.shift(dt.timedelta(hours=2))
    assert not opens(path)


def test_an_invitation_does_not_open_the_reset_page(
    cast: Cast, django_capture_on_commit_callbacks: Any
) -> None:
    """The two links are signed apart: an invitation's token cannot be carried to the reset
    address (nor a reset's to the invitation's, which would give it three days)."""
    path = invitation(cast, django_capture_on_commit_callbacks)
    assert opens(path)
    assert not opens(path.replace("/invite/", "/reset/"))
    reset = reset_link(cast.patient_user)
    assert not opens(reset.replace("/reset/", "/invite/"))


@pytest.mark.parametrize("who", ["patient_user", "physician"])
def test_a_new_password_from_a_reset_ends_the_accounts_other_sessions(cast: Cast, who: str) -> None:
    """Django's session hash (the password's hash kept in each session) already ends them: a
    session started before the reset is signed out at its next request."""
    user = getattr(cast, who)
    home = "/me/" if who == "patient_user" else "/clinic/patients/"
    elsewhere = client_for(cast, who)
    assert elsewhere.get(home).status_code == 200
    assert set_password(reset_link(user)) == 302
    after = elsewhere.get(home)
    assert after.status_code == 302
    assert after["Location"].startswith(reverse("login"))
    # ... while a session started with the new password works.
    assert login_client(Client(), User.objects.get(pk=user.pk)).get(home).status_code == 200
