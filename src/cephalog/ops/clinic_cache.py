"""Per-clinic settings from the shared cache: the clinic's ruleset and day definition are
read on every diary API request, and change a few times a year (issue 19.1).

With a shared cache (`CACHE_URL=redis://...`, as `cephalog.ops.authcache`), a value is
loaded from the database once per clinic and kept for `CLINIC_CACHE_SECONDS`. Any save
or delete of the clinic, its ruleset setting or one of its policies drops every cached
value of that clinic on every server at once (signals below, connected in
`OpsConfig.ready`), again after the transaction commits (a request that read the old
rows meanwhile could otherwise put them back). Writes that bypass the models
(`QuerySet.update()`) are seen within CLINIC_CACHE_SECONDS at the latest.

With the per-process cache (no CACHE_URL) nothing is cached: one process could not tell
the others that a clinic changed its ruleset.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

PREFIX = "cephalog:clinic:"
#: The names values are cached under (every one is dropped when the clinic changes).
NAMES = ("rules",)


def enabled() -> bool:
    seconds = getattr(settings, "CLINIC_CACHE_SECONDS", 0)
    backend = settings.CACHES["default"]["BACKEND"]
    return bool(seconds) and "redis" in backend.lower()


def key(clinic_id: Any, name: str) -> str:
    return f"{PREFIX}{clinic_id}:{name}"


def cached[T](clinic_id: Any, name: str, load: Callable[[], T]) -> T:
    """`load()`, cached per clinic under `name` (one of NAMES) when enabled."""
    if not enabled():
        return load()
    found = cache.get(key(clinic_id, name))
    if found is not None:
        return cast(T, found)
    value = load()
    cache.set(key(clinic_id, name), value, settings.CLINIC_CACHE_SECONDS)
    return value


def forget(clinic_id: Any) -> None:
    if not enabled() or clinic_id is None:
        return
    keys = [key(clinic_id, name) for name in NAMES]
    cache.delete_many(keys)
    transaction.on_commit(lambda: cache.delete_many(keys))


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
