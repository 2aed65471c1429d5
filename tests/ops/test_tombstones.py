"""A request that read a user, a patient record or a clinic's settings just before a change
committed cannot put the old copy back in the shared cache after the change dropped it
(cephalog.ops.tombstones): the next request reads the change.

Each test plays the race in one thread: the request's read of the database, then the
change and its commit (an admin, a nurse), then the request filling the cache with what
it read."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core.cache import cache

from cephalog.accounts import rules_queries
from cephalog.accounts.models import Clinic, User
from cephalog.ops import authcache, clinic_cache, tombstones
from cephalog.patients.models import Patient
from tests.ops.test_authcache import _redis_answers
from tests.ops.test_patient_cache import shared_cache  # noqa: F401 (the fixture, shared)
from tests.personas import Cast

pytestmark = pytest.mark.skipif(not _redis_answers(), reason="needs Redis on 127.0.0.1:6379")

Commit = Callable[..., Any]


def _active(pk: Any) -> User | None:
    return User.objects.filter(pk=pk, is_active=True).first()


@pytest.mark.usefixtures("shared_cache")
def test_a_user_read_before_the_account_was_disabled_is_not_cached(
    cast: Cast, django_capture_on_commit_callbacks: Commit
) -> None:
    def read_then_disabled(pk: Any) -> User | None:
        read = _active(pk)  # the request reads the account...
        with django_capture_on_commit_callbacks(execute=True):  # ...an admin disables it
            user = User.objects.get(pk=pk)
            user.is_active = False
            user.save()
        return read

    uid = cast.patient_user.pk
    assert authcache.cached_user(uid, read_then_disabled) is not None  # what it had read
    assert authcache.cached_user(uid, _active) is None  # the next request: disabled
    assert tombstones.live(cache.get(authcache.key(uid))) is None


@pytest.mark.usefixtures("shared_cache")
def test_a_patient_record_read_before_a_change_is_not_cached(
    cast: Cast, django_capture_on_commit_callbacks: Commit, monkeypatch: pytest.MonkeyPatch
) -> None:
    read_record = rules_queries._own_patient_and_rules

    def read_then_changed(user_id: int) -> Any:
        found = read_record(user_id)  # the request reads the record...
        with django_capture_on_commit_callbacks(execute=True):  # ...a nurse changes it
            patient = Patient.objects.get(user_id=user_id)
            patient.time_zone = "Pacific/Auckland"
            patient.save(update_fields=["time_zone", "updated_at"])
        return found

    uid = cast.patient_user.pk
    monkeypatch.setattr(rules_queries, "_own_patient_and_rules", read_then_changed)
    found = rules_queries.own_patient_and_rules(uid)
    assert found is not None
    assert found[0].time_zone != "Pacific/Auckland"
    monkeypatch.undo()
    # The next request: its session's MGET brings what the cache holds for the patient.
    authcache.prefetched(str(uid), cache.get_many(authcache.session_keys(str(uid))))
    found = rules_queries.own_patient_and_rules(uid)
    assert found is not None
    assert found[0].time_zone == "Pacific/Auckland"


@pytest.mark.usefixtures("shared_cache")
def test_clinic_settings_read_before_a_change_are_not_cached(
    cast: Cast, django_capture_on_commit_callbacks: Commit
) -> None:
    clinic_id = cast.clinic.pk

    def name() -> str:
        return str(Clinic.objects.get(pk=clinic_id).name)

    def read_then_renamed() -> str:
        read = name()  # the request reads the clinic...
        with django_capture_on_commit_callbacks(execute=True):  # ...an admin renames it
            clinic = Clinic.objects.get(pk=clinic_id)
            clinic.name = "Renamed Headache Centre"
            clinic.save()
        return read

    assert clinic_cache.cached(clinic_id, "rules", read_then_renamed) != "Renamed Headache Centre"
    assert clinic_cache.cached(clinic_id, "rules", name) == "Renamed Headache Centre"


@pytest.mark.usefixtures("shared_cache")
def test_a_change_blocks_refilling_only_for_a_few_seconds(
    cast: Cast, django_capture_on_commit_callbacks: Commit, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After the tombstone expires, the user is cached again (one database read)."""
    monkeypatch.setattr(tombstones, "GONE_SECONDS", 1)
    uid = cast.patient_user.pk
    with django_capture_on_commit_callbacks(execute=True):
        User.objects.get(pk=uid).save()
    assert cache.get(authcache.key(uid)) == tombstones.GONE
    loads: list[Any] = []

    def counted(pk: Any) -> User | None:
        loads.append(pk)
        return _active(pk)

    authcache.cached_user(uid, counted)
    authcache.cached_user(uid, counted)
    assert len(loads) == 2  # the tombstone: a miss each time, nothing cached
    import time

    time.sleep(1.2)
    authcache.cached_user(uid, counted)
    authcache.cached_user(uid, counted)
    assert len(loads) == 3  # filled again, then read from the cache
