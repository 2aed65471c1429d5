"""Passkeys' refusals (the ceremonies themselves run in Chromium's virtual authenticator:
tests/e2e/test_security_pages.py)."""

from __future__ import annotations

import json

from django.test import Client
from django.urls import reverse

from cephalog.accounts.passkeys.models import Passkey
from tests.personas import PASSWORD, Cast, client_for


def _post(client: Client, name: str, body: object) -> object:
    return client.post(reverse(name), json.dumps(body), content_type="application/json")


def _passkey(user: object, credential_id: str = "Y3JlZA") -> Passkey:
    return Passkey.objects.create(
        user=user, name="phone", confirmed=True, credential_id=credential_id, public_key=b"k"
    )


def test_signing_in_needs_a_fresh_challenge_and_a_known_passkey(cast: Cast) -> None:
    client = Client()
    stale = _post(client, "passkey-login", {"credential": {"id": "Y3JlZA"}})
    assert stale.status_code == 400
    assert "expired" in stale.json()["detail"]
    options = client.post(reverse("passkey-login-options"))
    assert options.status_code == 200
    assert options.json()["userVerification"] == "required"
    unknown = _post(client, "passkey-login", {"credential": {"id": "bm9uZQ"}})
    assert unknown.status_code == 400
    assert "not known" in unknown.json()["detail"]
    assert "_auth_user_id" not in client.session


def test_a_challenge_is_used_once(cast: Cast) -> None:
    _passkey(cast.patient_user)
    client = Client()
    client.post(reverse("passkey-login-options"))
    first = _post(client, "passkey-login", {"credential": {"id": "Y3JlZA", "response": {}}})
    assert first.status_code == 400  # a forged answer
    again = _post(client, "passkey-login", {"credential": {"id": "Y3JlZA", "response": {}}})
    assert "expired" in again.json()["detail"]


def test_a_second_factor_takes_only_the_users_own_passkey(cast: Cast) -> None:
    _passkey(cast.physician)
    client = Client()
    client.post(reverse("login"), {"username": "nurse-joy", "password": PASSWORD})
    assert _post(client, "mfa-passkey-options", {}).status_code == 400  # the nurse has none
    _passkey(cast.nurse, "bnVyc2U")
    options = client.post(reverse("mfa-passkey-options"), content_type="application/json")
    assert [c["id"] for c in options.json()["allowCredentials"]] == ["bnVyc2U"]
    theirs = _post(client, "mfa-passkey", {"credential": {"id": "Y3JlZA"}})
    assert theirs.status_code == 400
    assert client.get(reverse("patient-list")).status_code == 302  # still not verified


def test_a_passkey_is_removed_only_by_its_owner(
    cast: Cast, mailoutbox, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    mine = _passkey(cast.patient_user)
    other = client_for(cast, "other_patient_user")
    assert other.post(reverse("passkey-remove", args=[mine.pk])).status_code == 404
    assert Passkey.objects.filter(pk=mine.pk).exists()
    owner = client_for(cast, "patient_user")
    with django_capture_on_commit_callbacks(execute=True):
        assert owner.post(reverse("passkey-remove", args=[mine.pk])).status_code == 302
    assert not Passkey.objects.filter(pk=mine.pk).exists()
    assert "passkey was removed" in mailoutbox[0].body


def test_the_answer_must_be_json(cast: Cast) -> None:
    client = Client()
    client.post(reverse("passkey-login-options"))
    response = client.post(reverse("passkey-login"), {"credential": "x"})
    assert response.status_code == 400
