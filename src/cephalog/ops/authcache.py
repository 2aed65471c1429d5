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
account, a new password, a role granted or removed take effect on the next request. A
request that read the old rows just before the change committed cannot put them back:
the change leaves a tombstone for a few seconds (cephalog.ops.tombstones).
Writes that bypass the model (`QuerySet.update()` of users or memberships) are seen
within AUTH_USER_CACHE_SECONDS at the latest.

The patient record of the user (what the diary API reads of it:
`patients.queries.own_patient`) is kept beside the user, under their id, for the same
time, and read with the session (cephalog.ops.sessions) with their clinic's diary
settings (cephalog.ops.clinic_cache): the diary API then reads neither from the database
(accounts.rules_queries.own_patient_and_rules). Any save or delete of the user or of the
patient record drops it the same way (a record given to another login drops the old
login's too).

With the per-process cache (no CACHE_URL) nothing is cached here: one process could not
tell the others that an account was disabled.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

from django.conf import settings
from django.core.cache import cache
from django.core.signals import setting_changed
from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver

from cephalog.ops import clinic_cache, tombstones

PREFIX = "cephalog:auth-user:"
PATIENT_PREFIX = "cephalog:own-patient:"


def enabled() -> bool:
    global _enabled
    if _enabled is None:
        seconds = getattr(settings, "AUTH_USER_CACHE_SECONDS", 0)
        backend = settings.CACHES["default"]["BACKEND"]
        _enabled = bool(seconds) and "redis" in backend.lower()
    return _enabled


#: enabled(), worked out once (asked several times a request), again when a setting
#: changes (tests override them).
_enabled: bool | None = None


@receiver(setting_changed, dispatch_uid="authcache-setting-changed")
def _settings_changed(**kwargs: Any) -> None:
    global _enabled
    _enabled = None


def patients_enabled() -> bool:
    """Whether the user's patient record is cached: with the user and the clinic caches."""
    return enabled() and clinic_cache.enabled()


def key(user_id: Any) -> str:
    return f"{PREFIX}{user_id}"


def patient_key(user_id: Any) -> str:
    return f"{PATIENT_PREFIX}{user_id}"


#: What was read with this thread's session (cephalog.ops.sessions), for the same
#: request, each taken at most once: `user`, (user id, cached user), for its
#: authentication; `patient`, (user id, Prefetched), for own_patient_and_rules.
_prefetch = threading.local()


@dataclass(frozen=True)
class Prefetched:
    """The cached patient record of a session's user and their clinic's diary settings,
    as read with the session: None where not cached (clinic_id None: this process did
    not know the user's clinic, so it was not asked for)."""

    patient: Any
    clinic_id: int | None
    clinic: Any


def session_keys(user_id: str) -> list[str]:
    """The keys to read with a session of `user_id`: their cached user, and (when cached)
    their patient record and the diary settings of the clinic this process last saw
    them in. Pass the answer to prefetched."""
    keys = [key(user_id)]
    if patients_enabled():
        keys.append(patient_key(user_id))
        clinic_id = clinic_cache.clinic_of(user_id)
        if clinic_id is not None:
            keys.append(clinic_cache.key(clinic_id, clinic_cache.DIARY))
    return keys


def prefetched(user_id: str, found: dict[str, Any]) -> None:
    """Keep what was read for `user_id` (session_keys) with the session just loaded; the
    caller has checked that the session is `user_id`'s."""
    user = tombstones.live(found.get(key(user_id)))
    _prefetch.user = (user_id, user) if user is not None else None
    if patients_enabled():
        clinic_id = clinic_cache.clinic_of(user_id)
        clinic = (
            tombstones.live(found.get(clinic_cache.key(clinic_id, clinic_cache.DIARY)))
            if clinic_id is not None
            else None
        )
        patient = tombstones.live(found.get(patient_key(user_id)))
        _prefetch.patient = (user_id, Prefetched(patient, clinic_id, clinic))


def drop_prefetched() -> None:
    _prefetch.user = None
    _prefetch.patient = None


def take_prefetched_patient(user_id: Any) -> Prefetched | None:
    """What was read with this request's session for `user_id` (None if nothing was, or
    for another user), once."""
    found = getattr(_prefetch, "patient", None)
    _prefetch.patient = None
    if found is not None and found[0] == str(user_id):
        return cast(Prefetched, found[1])
    return None


def keep_patient(user_id: Any, patient: Any, clinic_id: Any, clinic: Any) -> None:
    """Cache the patient record of `user_id` and its clinic's diary settings, as read
    from the database (plain values), where no tombstone or newer value is
    (cephalog.ops.tombstones)."""
    if not patients_enabled():
        return
    seconds = min(settings.AUTH_USER_CACHE_SECONDS, settings.CLINIC_CACHE_SECONDS)
    tombstones.fill(patient_key(user_id), patient, seconds)
    tombstones.fill(clinic_cache.key(clinic_id, clinic_cache.DIARY), clinic, seconds)


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
        user = tombstones.live(cache.get(key(user_id)))
    if user is not None:
        return user
    user = load(user_id)
    if user is not None:
        from cephalog.accounts.access import memberships

        memberships(user)  # their clinics and roles, kept with them
        tombstones.fill(key(user_id), user, settings.AUTH_USER_CACHE_SECONDS)
    return user


def forget(user_id: Any) -> None:
    """Drop the cached user and their patient record now, and again after the transaction
    commits, as tombstones (a request that read the old rows meanwhile could otherwise
    put them back: cephalog.ops.tombstones)."""
    if not enabled() or user_id is None:
        return
    drop_prefetched()
    tombstones.drop([key(user_id), patient_key(user_id)])


def forget_patient(user_id: Any) -> None:
    """Drop the cached patient record of `user_id` (now, and again after the commit)."""
    if not enabled() or user_id is None:
        return
    drop_prefetched()
    tombstones.drop([patient_key(user_id)])


@receiver(post_save, sender=settings.AUTH_USER_MODEL, dispatch_uid="authcache-user-saved")
@receiver(post_delete, sender=settings.AUTH_USER_MODEL, dispatch_uid="authcache-user-deleted")
def _user_changed(sender: Any, instance: Any, **kwargs: Any) -> None:
    forget(instance.pk)


@receiver(post_save, sender="accounts.Membership", dispatch_uid="authcache-membership-saved")
@receiver(post_delete, sender="accounts.Membership", dispatch_uid="authcache-membership-deleted")
def _membership_changed(sender: Any, instance: Any, **kwargs: Any) -> None:
    forget(instance.user_id)


@receiver(pre_save, sender="patients.Patient", dispatch_uid="authcache-patient-moving")
def _patient_saving(sender: Any, instance: Any, update_fields: Any = None, **kwargs: Any) -> None:
    """A record given to another login: the old login's cached record goes too (it is
    cached under the login's id). Asks the database only with a cache to drop from."""
    if not enabled() or instance._state.adding or instance.pk is None:
        return
    if update_fields is not None and "user" not in update_fields:
        return
    before = sender._base_manager.filter(pk=instance.pk).values_list("user_id", flat=True).first()
    if before is not None and before != instance.user_id:
        forget_patient(before)


@receiver(post_save, sender="patients.Patient", dispatch_uid="authcache-patient-saved")
@receiver(post_delete, sender="patients.Patient", dispatch_uid="authcache-patient-deleted")
def _patient_changed(sender: Any, instance: Any, **kwargs: Any) -> None:
    forget_patient(instance.user_id)
