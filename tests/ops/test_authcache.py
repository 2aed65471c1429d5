"""With a shared cache (Redis), a request's session and user come from the cache, not the
database (issue 19.1), and disabling an account or changing a role takes effect on the
next request all the same (cephalog.ops.authcache)."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext

from cephalog.accounts.models import Membership, Role
from cephalog.audit.models import AuditEvent
from tests.ops.conftest import spy_cache_calls
from tests.personas import Cast


def _redis_answers() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")
    except OSError:
        return False


pytestmark = pytest.mark.skipif(not _redis_answers(), reason="needs Redis on 127.0.0.1:6379")

REDIS = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:6379/15",
        "KEY_PREFIX": f"cephalog-test-{os.getpid()}",  # one per test process
    }
}


#: Django's cached_db sessions, and cephalog's (the session's user read in the same round
#: trip, cephalog.ops.sessions): the cached user must be dropped the same way with both.
ENGINES = ["django.contrib.sessions.backends.cached_db", "cephalog.ops.sessions"]


@pytest.fixture(params=ENGINES)
def shared_cache(request: pytest.FixtureRequest) -> Iterator[None]:
    with override_settings(
        CACHES=REDIS,
        SESSION_ENGINE=request.param,
        AUTH_USER_CACHE_SECONDS=300,
    ):
        cache.clear()
        yield
        cache.clear()


def _tables(client: Client, path: str) -> tuple[int, list[str]]:
    with CaptureQueriesContext(connection) as queries:
        status = client.get(path).status_code
    return status, [q["sql"] for q in queries.captured_queries]


@pytest.mark.usefixtures("shared_cache")
def test_the_session_and_user_come_from_the_cache(cast: Cast) -> None:
    client = Client()
    client.force_login(cast.patient_user)
    assert client.get("/api/me/diary").status_code == 200  # fills the cache
    status, sql = _tables(client, "/api/me/diary")
    assert status == 200
    assert not [s for s in sql if "django_session" in s or '"accounts_user"' in s.split("WHERE")[0]]


@pytest.mark.usefixtures("shared_cache")
def test_a_disabled_account_is_refused_on_its_next_request(cast: Cast) -> None:
    client = Client()
    client.force_login(cast.patient_user)
    assert client.get("/api/me/diary").status_code == 200
    user = cast.patient_user
    user.is_active = False
    user.save(update_fields=["is_active"])
    assert client.get("/api/me/diary").status_code == 401


@pytest.mark.usefixtures("shared_cache")
def test_a_role_change_is_seen_on_the_next_request(cast: Cast) -> None:
    from cephalog.accounts.access import memberships
    from cephalog.ops.throttle import ThrottledModelBackend

    backend = ThrottledModelBackend()
    nurse = cast.nurse
    before = memberships(backend.get_user(nurse.pk))
    assert before  # cached with the user
    Membership.objects.filter(user=nurse).delete()  # QuerySet.delete sends post_delete
    assert memberships(backend.get_user(nurse.pk)) == []
    Membership.objects.create(user=nurse, clinic=cast.clinic, role=Role.PHYSICIAN)
    assert memberships(backend.get_user(nurse.pk)) == [(cast.clinic.pk, Role.PHYSICIAN)]


def test_without_a_shared_cache_the_user_is_read_each_time(cast: Cast) -> None:
    client = Client()
    client.force_login(cast.patient_user)
    client.get("/api/me/diary")
    status, sql = _tables(client, "/api/me/diary")
    assert status == 200
    assert [s for s in sql if '"accounts_user"' in s.split("WHERE")[0]]


@pytest.mark.usefixtures("shared_cache")
def test_a_disabled_account_is_refused_after_requests_that_used_the_cache(cast: Cast) -> None:
    client = Client()
    client.force_login(cast.patient_user)
    for _ in range(3):  # the later ones read the session and its user at once
        assert client.get("/api/me/diary").status_code == 200
    user = cast.patient_user
    user.is_active = False
    user.save(update_fields=["is_active"])
    assert client.get("/api/me/diary").status_code == 401


@pytest.mark.usefixtures("shared_cache")
def test_a_new_password_ends_sessions_that_used_the_cache(cast: Cast) -> None:
    client = Client()
    client.force_login(cast.patient_user)
    for _ in range(3):
        assert client.get("/api/me/diary").status_code == 200
    user = cast.patient_user
    user.set_password("a new and long passphrase 7")
    user.save(update_fields=["password"])
    assert client.get("/api/me/diary").status_code == 401


@pytest.mark.usefixtures("shared_cache")
def test_a_role_granted_is_seen_by_the_next_request(cast: Cast) -> None:
    """A patient given a clinic role must pass the staff MFA check on their next request
    (the cached user without the role must not be used again)."""
    client = Client()
    client.force_login(cast.patient_user)
    for _ in range(3):
        assert client.get("/api/me/diary").status_code == 200
    Membership.objects.create(user=cast.patient_user, clinic=cast.clinic, role=Role.NURSE)
    with override_settings(STAFF_MFA_REQUIRED=True):
        assert client.get("/api/me/diary").status_code == 401


@override_settings(
    CACHES=REDIS, SESSION_ENGINE="cephalog.ops.sessions", AUTH_USER_CACHE_SECONDS=300
)
def test_the_session_and_its_user_are_read_in_one_round_trip(
    cast: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache.clear()
    calls = spy_cache_calls(monkeypatch, ("get", "get_many"))
    client = Client()
    client.force_login(cast.patient_user)
    client.get("/api/me/diary")  # the session and user cached, its user remembered
    calls.clear()
    assert client.get("/api/me/diary").status_code == 200
    assert calls == ["get_many"]  # the session with its user (no clinic cache configured)
    cache.clear()


@override_settings(
    CACHES=REDIS, SESSION_ENGINE="cephalog.ops.sessions", AUTH_USER_CACHE_SECONDS=300
)
def test_a_wrong_hint_never_lends_another_users_identity(cast: Cast) -> None:
    """The remembered user of a session is only a hint: were it wrong, the cached copy of
    the hinted user is not used; the session's own user is read."""
    from cephalog.ops import sessions
    from cephalog.ops.throttle import ThrottledModelBackend

    cache.clear()
    ThrottledModelBackend().get_user(cast.other_patient_user.pk)  # cached
    client = Client()
    client.force_login(cast.patient_user)
    session_key = client.cookies["sessionid"].value
    sessions._remember(session_key, str(cast.other_patient_user.pk))
    response = client.get("/api/me/diary")
    assert response.status_code == 200
    assert AuditEvent.objects.filter(action="read").last().user_id == cast.patient_user.pk  # type: ignore[union-attr]
    cache.clear()
