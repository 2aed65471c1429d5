"""Client addresses behind the proxy (issue 18.4): X-Forwarded-For is believed only from a
trusted proxy, throttles count real clients, audit rows record them, password reset
requests are throttled, and (with the production cache, Redis) throttles hold across
worker processes."""

from __future__ import annotations

import os
import secrets
import sys
from pathlib import Path
from typing import Any

import pytest
from django.core import mail
from django.test import Client, RequestFactory
from django.urls import reverse

from cephalog.audit.middleware import client_ip
from cephalog.audit.models import AuditEvent
from cephalog.ops import throttle
from tests.personas import Cast

PROXY = "127.0.0.1"


def _ip(settings: Any, proxies: list[str], remote: str, forwarded: str | None) -> str | None:
    settings.TRUSTED_PROXIES = proxies
    meta = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    return client_ip(RequestFactory().get("/", **meta))


def test_the_forwarded_header_counts_only_from_a_trusted_proxy(settings: Any) -> None:
    # No proxies configured: the peer is the client, whatever the header says.
    assert _ip(settings, [], "198.51.100.9", "203.0.113.7") == "198.51.100.9"
    # From the trusted proxy: the address the proxy saw (the header's last entry).
    assert _ip(settings, [PROXY], PROXY, "203.0.113.7") == "203.0.113.7"
    # A client writing its own header: its made-up entries are further left, ignored.
    assert _ip(settings, [PROXY], PROXY, "10.9.9.9, 203.0.113.7") == "203.0.113.7"
    # Chained trusted proxies are skipped (networks allowed).
    assert _ip(settings, [PROXY, "10.0.0.0/8"], PROXY, "203.0.113.7, 10.1.2.3") == "203.0.113.7"
    # Someone not a trusted proxy sending the header: ignored.
    assert _ip(settings, [PROXY], "198.51.100.9", "203.0.113.7") == "198.51.100.9"
    # A garbled header: nothing beyond it is believed; only proxies in it: the last one.
    assert _ip(settings, [PROXY], PROXY, "203.0.113.7, garbage") == PROXY
    assert _ip(settings, [PROXY], PROXY, "") == PROXY
    assert _ip(settings, ["::1"], "::1", "[2001:db8::5]:4711") == "2001:db8::5"


def test_ipv6_clients_count_per_64(settings: Any) -> None:
    assert throttle.client_key("2001:db8:1:2:aaaa::1") == throttle.client_key("2001:db8:1:2::ffff")
    assert throttle.client_key("2001:db8:1:3::1") != throttle.client_key("2001:db8:1:2::1")
    assert throttle.client_key("203.0.113.7") == "203.0.113.7"


def _fail_login(client: Client, forwarded: str) -> int:
    response = client.post(
        reverse("login"),
        {"username": "dr-house", "password": "wrong"},
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR=forwarded,
    )
    return int(response.status_code)


def test_throttles_and_audit_rows_see_the_real_client(cast: Cast, settings: Any) -> None:
    settings.TRUSTED_PROXIES = [PROXY]
    settings.LOGIN_FAILURE_LIMIT = 3
    client = Client()
    assert [_fail_login(client, "203.0.113.7") for _ in range(4)] == [200, 200, 200, 429]
    # Another client behind the same proxy is not locked out by the first one.
    assert _fail_login(client, "198.51.100.20") == 200
    addresses = set(
        AuditEvent.objects.filter(action="login_failed").values_list("source_ip", flat=True)
    )
    assert addresses == {"203.0.113.7", "198.51.100.20"}


def test_password_reset_requests_are_throttled(cast: Cast, settings: Any) -> None:
    settings.PASSWORD_RESET_LIMIT = 2
    client = Client()
    answers = [
        client.post(reverse("password_reset"), {"email": cast.physician.email}).status_code
        for _ in range(3)
    ]
    assert answers == [302, 302, 429]
    assert len(mail.outbox) == 2
    assert AuditEvent.objects.filter(category="password_reset_throttle").count() == 1
    # Another address is still served.
    other = client.post(
        reverse("password_reset"), {"email": cast.physician.email}, REMOTE_ADDR="198.51.100.20"
    )
    assert other.status_code == 302


# --- the production cache: Redis shared by gunicorn workers --------------------------------------


def _redis_up() -> bool:
    import socket

    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
    except OSError:
        return False
    return True


@pytest.mark.skipif(not _redis_up(), reason="needs Redis on 127.0.0.1:6379")
def test_throttles_count_in_redis(cast: Cast, settings: Any) -> None:
    """The production cache set-up (CACHE_URL=redis://, docs/production.md) as settings.py
    builds it: the throttle's counters live in Redis, where every worker reads them."""
    import os
    import subprocess

    prefix = "test-" + secrets.token_hex(6)
    code = (
        "from django.conf import settings; import json; "
        "print(json.dumps(settings.CACHES['default']))"
    )
    built = subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); " + code],
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "cephalog.settings",
            "CACHE_URL": "redis://127.0.0.1:6379/0",
            "CACHE_KEY_PREFIX": prefix,
        },
        capture_output=True,
        text=True,
        check=True,
    )
    import json

    settings.CACHES = {"default": json.loads(built.stdout)}
    settings.TRUSTED_PROXIES = [PROXY]
    settings.LOGIN_FAILURE_LIMIT = 3
    import redis

    server = redis.Redis.from_url("redis://127.0.0.1:6379/0")
    client = Client()
    try:
        assert [_fail_login(client, "203.0.113.7") for _ in range(4)] == [200, 200, 200, 429]
        keys = server.keys(f"{prefix}:*")
        assert len(keys) >= 2  # the counters are in Redis, not in this process
    finally:
        # Only this test's keys (cache.clear() would empty the whole Redis database).
        for key in server.scan_iter(f"{prefix}:*"):
            server.delete(key)


@pytest.mark.skipif(not _redis_up(), reason="needs Redis on 127.0.0.1:6379")
@pytest.mark.skipif(os.environ.get("CEPHALOG_SLOW") != "1", reason="set CEPHALOG_SLOW=1 (~1 min)")
def test_throttles_hold_across_gunicorn_workers_with_redis() -> None:
    """Two workers, each replaced after every request (--max-requests 1): a per-process
    cache would forget every failure; with CACHE_URL=redis:// the fourth is refused."""
    sys.path.insert(0, str(Path(__file__).parents[2] / "scripts"))
    import requests
    from livesite import live_site

    prefix = "test-" + secrets.token_hex(6)
    env = {
        "CACHE_URL": "redis://127.0.0.1:6379/0",
        "CACHE_KEY_PREFIX": prefix,
        "CEPHALOG_TRUSTED_PROXIES": "127.0.0.1",
        "LOGIN_FAILURE_LIMIT": "3",
    }
    csrf = secrets.token_hex(16)
    with live_site(
        workers=2, extra_env=env, gunicorn_args=("--max-requests=1", "--preload")
    ) as site:

        def attempt(client: str) -> int:
            answer = requests.post(
                f"{site.url}/accounts/login/",
                data={"username": "dr-house", "password": "wrong", "csrfmiddlewaretoken": csrf},
                cookies={"csrftoken": csrf},
                headers={"X-Forwarded-For": client, "Connection": "close"},
                allow_redirects=False,
                timeout=30,
            )
            return answer.status_code

        answers = [attempt("203.0.113.7") for _ in range(4)]
        other = attempt("198.51.100.20")
    assert answers == [200, 200, 200, 429]
    assert other == 200
