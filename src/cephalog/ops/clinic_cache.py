"""Per-clinic settings from the shared cache: the clinic's ruleset and day definition are
read on every diary API request, and change a few times a year (issue 19.1).

With a shared cache (`CACHE_URL=redis://...`, as `cephalog.ops.authcache`), a value is
loaded from the database once per clinic and kept for `CLINIC_CACHE_SECONDS`. Any save
or delete of the clinic, its ruleset setting or one of its policies drops every cached
value of that clinic on every server at once (signals below, connected in
`OpsConfig.ready`), again after the transaction commits (a request that read the old
rows meanwhile could otherwise put them back: the keys hold tombstones for a while,
cephalog.ops.tombstones). Writes that bypass the models
(`QuerySet.update()`) are seen within CLINIC_CACHE_SECONDS at the latest.

With the per-process cache (no CACHE_URL) nothing is cached: one process could not tell
the others that a clinic changed its ruleset.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, cast

from django.conf import settings
from django.core.cache import cache
from django.core.signals import setting_changed
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from cephalog.ops import tombstones

PREFIX = "cephalog:clinic:"
#: What the diary API reads of the clinic with its patient (accounts.rules_queries): the
#: backfill window, the ruleset and the day definition.
DIARY = "diary"
#: The names values are cached under (every one is dropped when the clinic changes).
NAMES = ("rules", DIARY)

#: The clinic of each patient login this process has served (least recently used
#: forgotten first), so that their clinic's DIARY settings are read with their session
#: (cephalog.ops.authcache.session_keys). Only a hint: the settings are used for the
#: clinic the patient record names.
MAX_HINTS = 20_000
_clinics: OrderedDict[str, int] = OrderedDict()
_lock = threading.Lock()


def clinic_of(user_id: Any) -> int | None:
    with _lock:
        return _clinics.get(str(user_id))


def remember_clinic(user_id: Any, clinic_id: int) -> None:
    user_id = str(user_id)
    with _lock:
        if _clinics.get(user_id) == clinic_id:
            _clinics.move_to_end(user_id)
            return
        _clinics[user_id] = clinic_id
        while len(_clinics) > MAX_HINTS:
            _clinics.popitem(last=False)


def enabled() -> bool:
    global _enabled
    if _enabled is None:
        seconds = getattr(settings, "CLINIC_CACHE_SECONDS", 0)
        backend = settings.CACHES["default"]["BACKEND"]
        _enabled = bool(seconds) and "redis" in backend.lower()
    return _enabled


#: enabled(), worked out once (asked several times a request), again when a setting
#: changes (tests override them).
_enabled: bool | None = None


@receiver(setting_changed, dispatch_uid="clinic_cache-setting-changed")
def _settings_changed(**kwargs: Any) -> None:
    global _enabled
    _enabled = None


def key(clinic_id: Any, name: str) -> str:
    return f"{PREFIX}{clinic_id}:{name}"


def cached[T](clinic_id: Any, name: str, load: Callable[[], T]) -> T:
    """`load()`, cached per clinic under `name` (one of NAMES) when enabled."""
    if not enabled():
        return load()
    found = tombstones.live(cache.get(key(clinic_id, name)))
    if found is not None:
        return cast(T, found)
    value = load()
    tombstones.fill(key(clinic_id, name), value, settings.CLINIC_CACHE_SECONDS)
    return value


def forget(clinic_id: Any) -> None:
    if not enabled() or clinic_id is None:
        return
    tombstones.drop(key(clinic_id, name) for name in NAMES)


@receiver(post_save, sender="accounts.Clinic", dispatch_uid="clinic-cache-clinic-saved")
@receiver(post_delete, sender="accounts.Clinic", dispatch_uid="clinic-cache-clinic-deleted")
def _clinic_changed(sender: Any, instance: Any, **kwargs: Any) -> None:
    forget(instance.pk)


@receiver(post_save, sender="accounts.ClinicRuleset", dispatch_uid="clinic-cache-ruleset-saved")
@receiver(post_delete, sender="accounts.ClinicRuleset", dispatch_uid="clinic-cache-ruleset-deleted")
@receiver(post_save, sender="accounts.ClinicPolicy", dispatch_uid="clinic-cache-policy-saved")
@receiver(post_delete, sender="accounts.ClinicPolicy", dispatch_uid="clinic-cache-policy-deleted")
def _setting_changed(sender: Any, instance: Any, **kwargs: Any) -> None:
    forget(instance.clinic_id)
