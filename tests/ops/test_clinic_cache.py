"""With a shared cache (Redis), the diary API reads the clinic's ruleset and day definition
from the cache, not the database, and a clinic that changes them is read afresh on the
next request (cephalog.ops.clinic_cache, issue 19.1)."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext

from cephalog.accounts.rules_queries import clinic_rules_by_id
from cephalog.eligibility.actions import set_clinic_ruleset, set_default_policy
from tests.ops.test_authcache import _redis_answers
from tests.personas import Cast

pytestmark = pytest.mark.skipif(not _redis_answers(), reason="needs Redis on 127.0.0.1:6379")

REDIS = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:6379/12",
        "KEY_PREFIX": f"cephalog-test-clinic-{os.getpid()}",
    }
}


@pytest.fixture
def shared_cache() -> Iterator[None]:
    with override_settings(CACHES=REDIS, CLINIC_CACHE_SECONDS=300):
        cache.clear()
        yield
        cache.clear()


def _ruleset_queries(client: Client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/api/me/diary").status_code == 200
    return sum("eligibility_clinicruleset" in q["sql"] for q in queries.captured_queries)


@pytest.mark.usefixtures("shared_cache")
def test_the_diary_api_reads_the_clinic_rules_once_then_from_the_cache(cast: Cast) -> None:
    """Elsewhere than on PostgreSQL: once, then from the cache. On PostgreSQL the rules
    come with the patient, in the request's one patient statement (no query of their
    own, nothing cached: accounts.rules_queries.own_patient_and_rules)."""
    client = Client()
    client.force_login(cast.patient_user)
    if connection.vendor == "postgresql":
        for _ in range(2):
            with CaptureQueriesContext(connection) as queries:
                assert client.get("/api/me/diary").status_code == 200
            reads = [
                q["sql"]
                for q in queries.captured_queries
                if "eligibility_clinicruleset" in q["sql"]
            ]
            assert len(reads) == 1
            assert 'FROM "patients_patient"' in reads[0]
        return
    assert _ruleset_queries(client) == 1
    assert _ruleset_queries(client) == 0


@pytest.mark.usefixtures("shared_cache")
def test_a_new_ruleset_or_default_policy_takes_effect_on_the_next_request(cast: Cast) -> None:
    clinic_id = cast.clinic.pk
    before = clinic_rules_by_id(clinic_id=clinic_id)
    other = "standard-1" if before.ruleset.name != "standard-1" else "standard-2"
    set_clinic_ruleset(clinic=cast.clinic, by=cast.clinic_admin, name=other)
    assert clinic_rules_by_id(clinic_id=clinic_id).ruleset.name == other
    uncached = clinic_rules_by_id(patient_id=cast.patient.pk)
    assert clinic_rules_by_id(clinic_id=clinic_id) == uncached
    set_clinic_ruleset(clinic=cast.clinic, by=cast.clinic_admin, name="standard-2")
    for policy in ("nice-ta260", "us-label"):
        set_default_policy(clinic=cast.clinic, by=cast.clinic_admin, name=policy)
        cast.clinic.refresh_from_db()
        assert clinic_rules_by_id(clinic_id=clinic_id) == clinic_rules_by_id(
            patient_id=cast.patient.pk
        )


def test_without_a_shared_cache_nothing_is_cached(cast: Cast) -> None:
    client = Client()
    client.force_login(cast.patient_user)
    assert _ruleset_queries(client) == 1
    assert _ruleset_queries(client) == 1
