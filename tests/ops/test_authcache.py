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


@pytest.fixture
def shared_cache() -> Iterator[None]:
    with override_settings(
        CACHES=REDIS,
        SESSION_ENGINE="django.contrib.sessions.backends.cached_db",
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
