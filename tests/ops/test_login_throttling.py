"""Login throttling (ADR 0005): per username+address, per address, bounded, no lockout."""

from __future__ import annotations

import uuid

import pytest
from django.core.cache import caches
from django.test import Client
from django.urls import reverse

from cephalog.audit.models import AuditEvent
from cephalog.ops import throttle
from tests.personas import PASSWORD, Cast

pytestmark = pytest.mark.django_db

ATTACKER = "203.0.113.9"
VICTIM = "198.51.100.20"


def attempt(username: str, password: str, address: str) -> int:
    response = Client(REMOTE_ADDR=address).post(
        reverse("login"), {"username": username, "password": password}
    )
    return response.status_code


def test_it_refuses_a_username_from_an_address_after_five_failures(
    cast: Cast, settings: object
) -> None:
    codes = [attempt("dr-house", f"guess-{n}", ATTACKER) for n in range(5)]
    assert codes == [200] * 5  # the form again, "did not match"
    client = Client(REMOTE_ADDR=ATTACKER)
    refused = client.post(reverse("login"), {"username": "dr-house", "password": PASSWORD})
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    assert "too many failed attempts" in refused.content.decode().lower()
    # Even the right password is refused while blocked: no guessing goes on.
    assert "_auth_user_id" not in client.session


def test_it_does_not_lock_the_victim_out_from_their_own_address(cast: Cast) -> None:
    for n in range(20):
        attempt("dr-house", f"guess-{n}", ATTACKER)
    assert attempt("dr-house", PASSWORD, VICTIM) == 302


def test_it_stops_one_address_spraying_random_usernames(cast: Cast, settings) -> None:  # type: ignore[no-untyped-def]
    settings.LOGIN_FAILURE_LIMIT_PER_ADDRESS = 30
    codes = [attempt(uuid.uuid4().hex, "password1", ATTACKER) for _ in range(40)]
    assert codes[:30] == [200] * 30
    assert set(codes[30:]) == {429}
    # The clinic's other machines are not affected.
    assert attempt("dr-house", PASSWORD, VICTIM) == 302


def test_it_keeps_bounded_state_and_writes_nothing_for_refused_attempts(
    cast: Cast, settings
) -> None:  # type: ignore[no-untyped-def]
    settings.LOGIN_FAILURE_LIMIT_PER_ADDRESS = 10
    before = AuditEvent.objects.count()
    for n in range(60):
        attempt(f"random-{n}", "x", ATTACKER)
    # 10 failures audited, then one row for the block; the 50 refused attempts wrote nothing.
    rows = AuditEvent.objects.count() - before
    assert rows == 11
    assert AuditEvent.objects.filter(category="login_throttle").count() == 1
    # Cache keys: one per (username, address) tried before the block, plus the address.
    cache = caches["default"]
    assert len(cache._cache) <= 2 * 10 + 2  # type: ignore[attr-defined]
    assert cache._max_entries == settings.CACHES["default"]["OPTIONS"]["MAX_ENTRIES"]  # type: ignore[attr-defined]
    # No usernames in the keys.
    assert not any("random" in key for key in cache._cache)  # type: ignore[attr-defined]


def test_a_successful_login_clears_the_failures(cast: Cast) -> None:
    for n in range(4):
        attempt("dr-house", f"guess-{n}", VICTIM)
    assert attempt("dr-house", PASSWORD, VICTIM) == 302
    for n in range(4):
        assert attempt("dr-house", f"guess-{n}", VICTIM) == 200


def test_the_block_ends_after_the_window(cast: Cast) -> None:
    now = 1_000_000.0
    for _ in range(5):
        throttle.note_failure("dr-house", ATTACKER, now=now)
    assert throttle.retry_after("dr-house", ATTACKER, now=now + 10) > 0
    assert throttle.retry_after("DR-House ", ATTACKER, now=now + 10) > 0  # same username
    assert throttle.retry_after("dr-house", VICTIM, now=now + 10) == 0


def test_the_backend_refuses_a_throttled_attempt_from_any_login_path(cast: Cast) -> None:
    for n in range(5):
        attempt("dr-house", f"guess-{n}", ATTACKER)
    admin_login = Client(REMOTE_ADDR=ATTACKER).post(
        reverse("admin:login"), {"username": "dr-house", "password": PASSWORD}
    )
    assert admin_login.status_code == 429
    from django.contrib.auth import authenticate
    from django.test import RequestFactory

    request = RequestFactory().post("/elsewhere/", REMOTE_ADDR=ATTACKER)
    assert authenticate(request, username="dr-house", password=PASSWORD) is None
    other = RequestFactory().post("/elsewhere/", REMOTE_ADDR=VICTIM)
    assert authenticate(other, username="dr-house", password=PASSWORD) == cast.physician
