"""The session's user from the shared cache: no database round trip per request (issue 19.1).

With a shared cache (`CACHE_URL=redis://...`, every app server and process sees the same),
the user of a session is read from the database once, with their roles (the clinic and
role pairs of `accounts.access.memberships`, and `has_clinic_role` for the staff MFA
check), and kept in the cache for `AUTH_USER_CACHE_SECONDS`. Django's checks run on the
cached user unchanged: the session's password hash (a changed password ends the
session), and `is_active` (a disabled account is refused, and its session deleted by
`SessionLimitsMiddleware`).

Any save or delete of the user or of one of their memberships drops the cached copy on
every server at once (signals below, connected in `OpsConfig.ready`): disabling an
account, a new password, a role granted or removed take effect on the next request.
Writes that bypass the model (`QuerySet.update()` of users or memberships) are seen
within AUTH_USER_CACHE_SECONDS at the latest.

With the per-process cache (no CACHE_URL) nothing is cached here: one process could not
tell the others that an account was disabled.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

PREFIX = "cephalog:auth-user:"


def enabled() -> bool:
    seconds = getattr(settings, "AUTH_USER_CACHE_SECONDS", 0)
    backend = settings.CACHES["default"]["BACKEND"]
    return bool(seconds) and "redis" in backend.lower()


def key(user_id: Any) -> str:
    return f"{PREFIX}{user_id}"


#: The cached user read with this thread's session (cephalog.ops.sessions), for the
#: authentication of the same request: (user id, user), taken at most once.
_prefetch = threading.local()


def prefetched(user_id: str, user: Any) -> None:
    """Keep the cached copy of `user_id` read with the session just loaded."""
    _prefetch.user = (user_id, user)


def drop_prefetched() -> None:
    _prefetch.user = None


def _take_prefetched(user_id: Any) -> Any:
    found = getattr(_prefetch, "user", None)
    _prefetch.user = None
    if found is not None and found[0] == str(user_id):
        return found[1]
    return None


def cached_user(user_id: Any, load: Callable[[Any], Any]) -> Any:
    """The user `load(user_id)` returns (None for none or inactive), cached when enabled.
    The cached copy comes with the session when the session store read both at once."""
    if not enabled():
        return load(user_id)
    user = _take_prefetched(user_id)
    if user is None:
        user = cache.get(key(user_id))
    if user is not None:
        return user
    user = load(user_id)
    if user is not None:
        from cephalog.accounts.access import memberships

        memberships(user)  # their clinics and roles, kept with them
        cache.set(key(user_id), user, settings.AUTH_USER_CACHE_SECONDS)
    return user


def forget(user_id: Any) -> None:
    """Drop the cached user now, and again after the transaction commits (a request that
    read the old row meanwhile could otherwise put it back)."""
    if not enabled() or user_id is None:
        return
    drop_prefetched()
    cache.delete(key(user_id))
    transaction.on_commit(lambda: cache.delete(key(user_id)))


@receiver(post_save, sender=settings.AUTH_USER_MODEL, dispatch_uid="authcache-user-saved")
@receiver(post_delete, sender=settings.AUTH_USER_MODEL, dispatch_uid="authcache-user-deleted")
def _user_changed(sender: Any, instance: Any, **kwargs: Any) -> None:
    forget(instance.pk)


@receiver(post_save, sender="accounts.Membership", dispatch_uid="authcache-membership-saved")
@receiver(post_delete, sender="accounts.Membership", dispatch_uid="authcache-membership-deleted")
def _membership_changed(sender: Any, instance: Any, **kwargs: Any) -> None:
    forget(instance.user_id)
