"""Login throttling (docs/adr/0005-login-throttling.md).

Failed logins are counted in the cache, never in database rows, in two fixed
windows of `LOGIN_FAILURE_WINDOW` seconds:

- per username *and* address: after `LOGIN_FAILURE_LIMIT` failures that
  username is refused from that address until the window ends. The same
  username from another address is unaffected, so nobody can lock a clinician
  or a patient out by guessing at their username from elsewhere;
- per address: after `LOGIN_FAILURE_LIMIT_PER_ADDRESS` failures (any usernames)
  the address is refused, which stops one machine spraying passwords over many
  (or random) usernames. The limit is high so one clinic behind one address is
  never stopped by ordinary typing mistakes.

Keys are hashes of the username and address, so the cache holds no usernames.
The cache has a fixed maximum size (CACHES in settings), so random usernames
cannot grow any state without bound. Refused attempts write nothing; the start
of each block is written to the audit trail once.
"""

from __future__ import annotations

import hashlib
import ipaddress
import time
from typing import Any

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.core.cache import caches
from django.core.cache.backends.base import BaseCache
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef
from django.http import HttpRequest

from cephalog.audit.actions import record
from cephalog.audit.middleware import client_ip

PREFIX = "login-throttle"


def _cache() -> BaseCache:
    return caches[getattr(settings, "LOGIN_THROTTLE_CACHE", "default")]


def _limits() -> tuple[int, int, int]:
    return (
        int(getattr(settings, "LOGIN_FAILURE_LIMIT", 5)),
        int(getattr(settings, "LOGIN_FAILURE_LIMIT_PER_ADDRESS", 100)),
        int(getattr(settings, "LOGIN_FAILURE_WINDOW", 15 * 60)),
    )


def normalise(username: object) -> str:
    return str(username or "").strip().casefold()[:150]


def _key(scope: str, *parts: str) -> str:
    digest = hashlib.sha256("\x00".join(parts).encode()).hexdigest()[:40]
    return f"{PREFIX}:{scope}:{digest}"


def client_key(address: str | None) -> str:
    """What one client is counted as: its IPv4 address, or its IPv6 /64 (one household or
    machine gets a whole /64 and could otherwise rotate through it)."""
    if not address:
        return "unknown"
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(parsed, ipaddress.IPv6Address):
        return str(ipaddress.ip_network(f"{parsed}/64", strict=False))
    return str(parsed)


def _keys(username: object, address: str | None) -> dict[str, str]:
    address = client_key(address)
    return {
        "account": _key("account", normalise(username), address),
        "address": _key("address", address),
    }


def _count(key: str) -> int:
    return int(_cache().get(key) or 0)


def _seconds_left(key: str, now: float) -> int:
    ends = _cache().get(f"{key}:ends")
    if ends is None:
        return _limits()[2]
    return max(1, int(float(ends) - now) + 1)


def retry_after(username: object, address: str | None, now: float | None = None) -> int:
    """Seconds until this username may try again from this address; 0 when it may now."""
    now = time.time() if now is None else now
    per_account, per_address, _ = _limits()
    keys = _keys(username, address)
    waits = []
    if per_account and _count(keys["account"]) >= per_account:
        waits.append(_seconds_left(keys["account"], now))
    if per_address and _count(keys["address"]) >= per_address:
        waits.append(_seconds_left(keys["address"], now))
    return max(waits, default=0)


def _increment(key: str, window: int, now: float) -> int:
    cache = _cache()
    if cache.add(key, 0, window):
        cache.set(f"{key}:ends", now + window, window)
    try:
        return int(cache.incr(key))
    except ValueError:  # expired or evicted between add and incr
        cache.set(key, 1, window)
        cache.set(f"{key}:ends", now + window, window)
        return 1


def count_attempt(scope: str, ident: str, window: int, now: float | None = None) -> int:
    """Count one attempt of `scope` for `ident` (e.g. a user id) in a fixed window, and
    return the count including this one. The cache's increment is atomic, so requests sent
    at the same time each count (a counter kept in the session would not: each request
    reads the session when it starts and saves it when it ends)."""
    now = time.time() if now is None else now
    return _increment(_key(scope, ident), window, now)


def forget_attempts(scope: str, ident: str) -> None:
    _forget(_key(scope, ident))


def _forget(*keys: str) -> None:
    """Drop counters (each count and the end of its window)."""
    _cache().delete_many([k for key in keys for k in (key, f"{key}:ends")])


def _names(typed: object) -> list[str]:
    """What a failure is counted under: what was typed and, when it names an account, that
    account's username and email address (the login takes either), so both names share
    the account's LOGIN_FAILURE_LIMIT."""
    from cephalog.accounts.signals import account_tried

    account = account_tried(typed)
    names = {normalise(typed)}
    if account is not None:
        names |= {normalise(account.get_username()), normalise(account.email)}
    return sorted(names - {""}) or [""]


def note_failure(username: object, address: str | None, now: float | None = None) -> None:
    """Count a failed login; write one audit row when a block starts."""
    now = time.time() if now is None else now
    per_account, per_address, window = _limits()
    client = client_key(address)
    started = []
    if per_account:
        counts = [_increment(_key("account", n, client), window, now) for n in _names(username)]
        if max(counts) == per_account:
            started.append("username+address")
    if per_address and _increment(_key("address", client), window, now) == per_address:
        started.append("address")
    if not started:
        return
    from cephalog.accounts.signals import account_tried

    account = account_tried(username)
    for scope in started:
        # The account concerned, never what was typed (issue 18.6).
        record(
            action="login_failed",
            category="login_throttle",
            user=account if scope != "address" else None,
            detail={"throttled": scope, "minutes": round(window / 60)},
        )


def clear(username: object, address: str | None, *other_names: object) -> None:
    """A successful login forgets that account's failures from that address (under each of
    its names)."""
    client = client_key(address)
    _forget(*(_key("account", normalise(n), client) for n in (username, *other_names) if n))


def password_reset_wait(email: object, address: str | None, now: float | None = None) -> int:
    """Count a password reset request; seconds to wait when over the limit (0: send it).

    Every request counts (each may send an email): PASSWORD_RESET_LIMIT per email and
    address, PASSWORD_RESET_LIMIT_PER_ADDRESS per address, per PASSWORD_RESET_WINDOW."""
    now = time.time() if now is None else now
    window = int(getattr(settings, "PASSWORD_RESET_WINDOW", 3600))
    client = client_key(address)
    limits = {
        _key("reset-account", normalise(email), client): int(settings.PASSWORD_RESET_LIMIT),
        _key("reset-address", client): int(settings.PASSWORD_RESET_LIMIT_PER_ADDRESS),
    }
    waits = [
        _seconds_left(key, now) for key, limit in limits.items() if limit and _count(key) >= limit
    ]
    if waits:
        return max(waits)
    for key, limit in limits.items():
        if limit and _increment(key, window, now) == limit:
            scope = "email+address" if "reset-account" in key else "address"
            record(
                action="login_failed",
                category="password_reset_throttle",
                detail={"throttled": scope, "minutes": round(window / 60)},
            )
    return 0


def request_retry_after(request: HttpRequest, username: object) -> int:
    return retry_after(username, client_ip(request))


class ThrottledModelBackend(ModelBackend):
    """Django's ModelBackend, refusing a throttled username+address before any password check.

    The login pages are already stopped by LoginThrottleMiddleware (with a 429 and
    nothing written); this covers any other caller of `authenticate()` with a request.
    """

    def username_for(self, typed: str | None) -> str | None:
        """The username that what was typed stands for (a subclass may look it up)."""
        return typed

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> Any:
        # The throttle is checked on what was typed (the login pages count failures by it)
        # and, when it stands for another username, on that one too.
        resolved = self.username_for(username)
        for name in {username, resolved}:
            if request is not None and request_retry_after(request, name):
                raise PermissionDenied("too many failed logins")
        return super().authenticate(request, username=resolved, password=password, **kwargs)

    def get_user(self, user_id: Any) -> Any:
        """The session's user, from the shared cache when there is one (ops.authcache)."""
        from cephalog.ops.authcache import cached_user

        return cached_user(user_id, self._load_user)

    def _load_user(self, user_id: Any) -> Any:
        """The session's user (as ModelBackend), with `has_clinic_role` read in the same
        query: a patient holds none, so the staff MFA check needs no query of its own
        on each of their requests (cephalog.accounts.mfa.needs_mfa)."""
        from cephalog.accounts.models import Membership, User

        user = (
            User._default_manager.annotate(
                has_clinic_role=Exists(Membership.objects.filter(user=OuterRef("pk")))
            )
            .filter(pk=user_id)
            .first()
        )
        return user if user is not None and self.user_can_authenticate(user) else None
