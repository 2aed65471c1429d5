"""Nothing past the second factor with a password alone (issue 18.1).

Staff (a physician, a clinic admin) and a superuser who signed in with their password but have not
entered a code try every URL pattern of the site (tests/security/matrix.py) with every
method. Only the public pages (login, password reset, health, secret calendar addresses,
the API schema) and the second-factor pages answer; everything else sends them to the
code page (HTML) or answers 401 (API). Nothing is written, no second factor changes, and
no patient's name or MRN is shown.
"""

from __future__ import annotations

import json
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.db import transaction
from django.test import Client
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from cephalog.accounts.models import User
from cephalog.audit.models import AuditEvent
from tests.personas import PASSWORD, verified_device
from tests.security.matrix import (
    PATTERNS,
    PUBLIC,
    SECRETS,
    TOKEN,
    World,
    url_for,
    world,  # noqa: F401 (the module-scoped fixture)
)
from tests.security.test_authz_matrix import _body, _state

pytestmark = pytest.mark.django_db

#: The pages a session with only the password may use: the second factor's own and logout.
SECOND_FACTOR_PAGES = frozenset(
    {
        "mfa-verify",
        "mfa-setup",
        "mfa-replace",
        "mfa-recover",
        "mfa-passkey-options",
        "mfa-passkey",
        "logout",
    }
)
METHODS = ("get", "post", "put", "patch", "delete")
MFA_PAGE = "/accounts/mfa/"


def _factors() -> tuple[Any, ...]:
    from cephalog.accounts.passkeys.models import Passkey

    return (
        sorted(Passkey.objects.values_list("id", "user_id", "credential_id")),
        sorted(TOTPDevice.objects.values_list("id", "user_id", "confirmed", "key")),
        sorted(StaticDevice.objects.values_list("id", "user_id")),
        sorted(StaticToken.objects.values_list("id", "token")),
    )


def _password_only_cookies(user: User) -> dict[str, str]:
    client = Client()
    response = client.post("/accounts/login/", {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302, response.content[:300]
    return {name: morsel.value for name, morsel in client.cookies.items()}


def _send(client: Client, entry: Any, w: World, method: str, url: str) -> Any:
    data = entry.body(w, entry.relations[0]) if entry.body else {}
    if method == "get":
        return client.get(url)
    if entry.json:
        return getattr(client, method)(url, json.dumps(data), content_type="application/json")
    if method == "post":
        return client.post(url, data)
    return getattr(client, method)(url)


def _stopped(response: Any) -> bool:
    if response.status_code == 401:
        return True
    return response.status_code == 302 and urlsplit(response["Location"]).path == MFA_PAGE


def _people(w: World) -> dict[str, User]:
    root = User.objects.create_superuser("root-gate", "root-gate@example.org", PASSWORD)
    verified_device(root)
    return {
        "physician": w.cast.physician,
        "clinic_admin": w.cast.clinic_admin,
        "superuser": root,
    }


def _use(client: Client, cookies: dict[str, str]) -> Client:
    client.cookies = SimpleCookie()
    for name, value in cookies.items():
        client.cookies[name] = value
    return client


def test_a_password_alone_reaches_nothing_past_the_second_factor(world: World) -> None:  # noqa: F811
    """Every pattern but the open ones, every method, each staff role and a superuser: sent
    to the code page (or 401), and nothing at all written (one savepoint for them all)."""
    w = world
    with transaction.atomic():
        people = _people(w)
        sessions = {name: _password_only_cookies(user) for name, user in people.items()}
        client = Client()
        problems: list[str] = []
        gated = [k for k, e in PATTERNS.items() if not _open(k, e)]
        before, factors = _state(), _factors()
        for key in gated:
            entry = PATTERNS[key]
            url = url_for(key, entry, w, entry.relations[0])
            for name in people:
                for method in METHODS:
                    response = _send(_use(client, sessions[name]), entry, w, method, url)
                    where = f"{method.upper()} {url} ({key}) as {name}: {response.status_code}"
                    if not _stopped(response):
                        problems.append(f"PAST THE SECOND FACTOR: {where}")
                    problems += _shown(entry, response, where)
        assert len(gated) > 150
        assert _factors() == factors, "a second factor changed"
        assert _state() == before, "something was written"
        assert not problems, "\n".join(problems)
        transaction.set_rollback(True)


def test_the_second_factor_pages_change_no_factor_with_a_password_alone(world: World) -> None:  # noqa: F811
    """The open pages answer, but no second factor is replaced, removed or added, and no
    privilege change is audited."""
    w = world
    with transaction.atomic():
        people = _people(w)
        sessions = {name: _password_only_cookies(user) for name, user in people.items()}
        client = Client()
        problems: list[str] = []
        factors = _factors()
        last = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
        for key in sorted(k for k, e in PATTERNS.items() if _open(k, e)):
            entry = PATTERNS[key]
            url = url_for(key, entry, w, entry.relations[0])
            for name in people:
                for method in METHODS:
                    with transaction.atomic():
                        data = {"password": PASSWORD, "token": "123456", "code": "aaaaa-bbbbb"}
                        if method == "post" and key.startswith("mfa-"):
                            response = _use(client, sessions[name]).post(url, data)
                        else:
                            response = _send(_use(client, sessions[name]), entry, w, method, url)
                        where = f"{method.upper()} {url} ({key}) as {name}: {response.status_code}"
                        if key != "logout" and _location(response).startswith("/accounts/login/"):
                            problems.append(f"the session was lost: {where}")
                        if response.status_code >= 500:
                            problems.append(f"server error: {where}")
                        problems += _shown(entry, response, where)
                        if _factors() != factors:
                            problems.append(f"a second factor changed: {where}")
                        if AuditEvent.objects.filter(id__gt=last, action="privilege").exists():
                            problems.append(f"a privilege change was audited: {where}")
                        transaction.set_rollback(True)
                    if key == "logout":
                        sessions[name] = _password_only_cookies(people[name])
        assert not problems, "\n".join(problems)
        transaction.set_rollback(True)


def _location(response: Any) -> str:
    return urlsplit(response.get("Location", "")).path


def _open(key: str, entry: Any) -> bool:
    return entry.access in (PUBLIC, TOKEN) or key in SECOND_FACTOR_PAGES


def _shown(entry: Any, response: Any, where: str) -> list[str]:
    if entry.access == TOKEN or not SHOW_CHECK:
        return []
    body = _body(response)
    shown = [s for words in SECRETS.values() for s in words if s in body]
    return [f"shows {shown}: {where}"] if shown else []


#: Names and MRNs on the second-factor pages themselves: issue 18.2.
SHOW_CHECK = True
