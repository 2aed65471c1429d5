"""With a shared cache (Redis), the diary API's patient record and its clinic's diary
settings are read with the session, in the same round trip, not from the database (issue
19.1: accounts.rules_queries.own_patient_and_rules, cephalog.ops.authcache); a new time
zone, clinic, ruleset, policy or backfill window, a disabled login, counts on the next
request all the same, and one login is never served another's record."""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from django.core.cache import cache
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext

from cephalog.accounts.actions.colleagues import update_clinic_settings
from cephalog.audit.models import AuditEvent
from cephalog.domain.policies import POLICIES
from cephalog.eligibility import actions as policy_actions
from cephalog.ops import authcache, clinic_cache, sessions
from cephalog.patients.actions import update_contact_details
from cephalog.patients.models import Patient
from tests.ops.conftest import spy_cache_calls
from tests.ops.test_authcache import _redis_answers
from tests.personas import Cast

pytestmark = pytest.mark.skipif(not _redis_answers(), reason="needs Redis on 127.0.0.1:6379")

REDIS = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:6379/13",
        "KEY_PREFIX": f"cephalog-test-patient-{os.getpid()}",
    }
}
#: As settings.py configures a redis:// CACHE_URL.
SHARED = {
    "CACHES": REDIS,
    "SESSION_ENGINE": "cephalog.ops.sessions",
    "AUTH_USER_CACHE_SECONDS": 300,
    "CLINIC_CACHE_SECONDS": 3600,
}
#: The tables of the request's patient and its clinic's settings.
PATIENT_TABLES = (
    '"patients_patient"',
    '"accounts_clinic"',
    '"eligibility_clinicruleset"',
    '"eligibility_clinicpolicy"',
)
#: A clinic's own policy counting ICHD-3 days (a 2-hour headache is a headache day).
ICHD3 = {
    **{k: v for k, v in POLICIES["us-payer"].to_dict().items() if k not in ("name", "title")},
    "source": "Our contract",
    "day_definition": "ichd3",
}
HTTPS = {"secure": True}


@pytest.fixture
def shared_cache() -> Iterator[None]:
    with override_settings(**SHARED):
        cache.clear()
        yield
        cache.clear()


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _read(client: Client, path: str = "/api/me/diary") -> tuple[int, Any, list[str]]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    return response.status_code, response.json(), [q["sql"] for q in queries.captured_queries]


def _patient_reads(sql: list[str]) -> list[str]:
    return [s for s in sql if any(t in s.split("WHERE")[0] for t in PATIENT_TABLES)]


def _warm(client: Client, times: int = 2) -> None:
    """The first request reads and caches the record; the second reads it with the session
    and learns the clinic; from the third, everything comes in the session's round trip."""
    for _ in range(times):
        assert client.get("/api/me/diary").status_code == 200


def _put(client: Client, day: dt.date, hours: float) -> Any:
    return client.put(
        f"/api/me/diary/{day.isoformat()}",
        json.dumps({"headache_hours": hours, "peak_intensity": "mild"}),
        content_type="application/json",
    )


@pytest.mark.usefixtures("shared_cache")
def test_the_diary_read_reads_no_patient_from_the_database(
    cast: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = _client(cast.patient_user)
    _warm(client, 3)
    status, cached_body, cached_sql = _read(client)
    assert status == 200
    assert _patient_reads(cached_sql) == []
    monkeypatch.setattr(authcache, "patients_enabled", lambda: False)  # as before: read
    _warm(client)
    status, body, sql = _read(client)
    assert status == 200
    assert body == cached_body
    assert len(_patient_reads(sql)) == 1
    assert len(cached_sql) == len(sql) - 1


@override_settings(**SHARED)
def test_the_session_user_and_patient_are_read_in_one_round_trip(
    cast: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache.clear()
    calls = spy_cache_calls(monkeypatch, ("get", "get_many", "set", "set_many"))
    client = _client(cast.patient_user)
    _warm(client)
    calls.clear()
    for _ in range(3):
        assert client.get("/api/me/diary").status_code == 200
    # one read of the cache each (a session saved again, at most once a minute, may write)
    assert [c for c in calls if c.startswith("get")] == ["get_many"] * 3
    cache.clear()


@pytest.mark.usefixtures("shared_cache")
def test_the_same_answers_with_and_without_the_cache(cast: Cast) -> None:
    today = dt.date.today()
    day = today - dt.timedelta(days=1)
    client = _client(cast.patient_user)
    _warm(client, 3)
    cached = [_put(client, day, 3), _put(client, day, 5), _put(client, day + dt.timedelta(1), 1)]
    status, cached_read, _ = _read(client)
    with override_settings(
        CACHES={"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    ):
        plain_client = _client(cast.other_patient_user)
        plain = [
            _put(plain_client, day, 3),
            _put(plain_client, day, 5),
            _put(plain_client, day + dt.timedelta(1), 1),
        ]
        plain_status, plain_read, _ = _read(plain_client)
    assert [r.status_code for r in cached] == [r.status_code for r in plain] == [201, 200, 201]
    assert [r.json() for r in cached] == [r.json() for r in plain]
    assert (status, cached_read) == (plain_status, plain_read)
    assert cached_read["end"] == today.isoformat()


@pytest.mark.usefixtures("shared_cache")
def test_a_new_time_zone_counts_on_the_next_request(cast: Cast) -> None:
    """At 23:30 in London it is already tomorrow in Auckland: the patient's today, the
    read's default end, follows the record's time zone at once."""
    client = _client(cast.patient_user)
    with time_machine.travel(dt.datetime(2026, 3, 10, 23, 30, tzinfo=dt.UTC), tick=False):
        _warm(client, 3)
        assert _read(client)[1]["end"] == "2026-03-10"
        patient = Patient.objects.get(pk=cast.patient.pk)
        update_contact_details(
            patient=patient,
            by=cast.nurse,
            email=patient.email,
            phone=patient.phone,
            address=patient.address,
            time_zone="Pacific/Auckland",
            preferred_contact=patient.preferred_contact,
        )
        assert _read(client)[1]["end"] == "2026-03-11"
        assert _read(client)[1]["end"] == "2026-03-11"  # and from the cache again


@pytest.mark.usefixtures("shared_cache")
def test_a_new_policy_or_ruleset_counts_on_the_next_request(cast: Cast) -> None:
    client = _client(cast.patient_user)
    day = dt.date.today() - dt.timedelta(days=1)
    assert _put(client, day, 2).status_code == 201
    _warm(client, 3)

    def headache_day() -> bool:
        days = _read(client)[1]["days"]
        return bool(days[0]["headache_day"])

    assert headache_day()  # the default, nice-ta260, counts ICHD-3 days: any duration
    admin = cast.clinic_admin
    policy_actions.set_default_policy(clinic=cast.clinic, by=admin, name="us-label")
    assert not headache_day()  # label days: 4 hours or more
    assert not headache_day()
    policy_actions.save_clinic_policy(
        clinic=cast.clinic, by=admin, name="own-ichd3", title="Own", definition=ICHD3
    )
    policy_actions.set_default_policy(clinic=cast.clinic, by=admin, name="own-ichd3")
    assert headache_day()
    assert headache_day()
    policy_actions.set_clinic_ruleset(clinic=cast.clinic, by=admin, name="standard-1")
    assert not headache_day()  # standard-1 counts label days under any policy
    policy_actions.set_clinic_ruleset(clinic=cast.clinic, by=admin, name="standard-2")
    assert headache_day()


@pytest.mark.usefixtures("shared_cache")
def test_a_new_backfill_window_counts_on_the_next_save(cast: Cast) -> None:
    client = _client(cast.patient_user)
    _warm(client, 3)
    old = dt.date.today() - dt.timedelta(days=cast.clinic.backfill_days + 3)
    assert _put(client, old, 3).status_code == 422
    update_clinic_settings(
        clinic=cast.clinic, by=cast.clinic_admin, backfill_days=cast.clinic.backfill_days + 5
    )
    assert _put(client, old, 3).status_code == 201


@pytest.mark.usefixtures("shared_cache")
def test_a_record_moved_to_another_clinic_counts_on_the_next_request(cast: Cast) -> None:
    client = _client(cast.patient_user)
    day = dt.date.today() - dt.timedelta(days=1)
    assert _put(client, day, 2).status_code == 201
    _warm(client, 3)
    other = cast.other_clinic
    policy_actions.set_default_policy(clinic=other, by=_admin_of(cast, other), name="us-label")
    assert _read(client)[1]["days"][0]["headache_day"]  # nice-ta260: ICHD-3 days
    patient = Patient.objects.get(pk=cast.patient.pk)
    patient.clinic = other
    patient.save(update_fields=["clinic", "updated_at"])
    for _ in range(3):  # read afresh, then with the session (the clinic hint is stale once)
        status, body, _sql = _read(client)
        assert status == 200
        assert not body["days"][0]["headache_day"]  # us-label: label days
    assert clinic_cache.clinic_of(cast.patient_user.pk) == other.pk


def _admin_of(cast: Cast, clinic: Any) -> Any:
    from cephalog.accounts.models import Membership, Role

    Membership.objects.get_or_create(user=cast.clinic_admin, clinic=clinic, role=Role.CLINIC_ADMIN)
    return cast.clinic_admin


@pytest.mark.usefixtures("shared_cache")
def test_a_disabled_login_is_refused_and_its_record_dropped(cast: Cast) -> None:
    client = _client(cast.patient_user)
    _warm(client, 3)
    assert cache.get(authcache.patient_key(cast.patient_user.pk)) is not None
    user = cast.patient_user
    user.is_active = False
    user.save(update_fields=["is_active"])
    assert cache.get(authcache.patient_key(user.pk)) is None
    assert client.get("/api/me/diary").status_code == 401


@pytest.mark.usefixtures("shared_cache")
def test_a_removed_record_is_not_served_from_the_cache(cast: Cast) -> None:
    client = _client(cast.other_patient_user)
    _warm(client, 3)
    Patient.objects.filter(pk=cast.other_patient.pk).delete()  # sends post_delete
    assert client.get("/api/me/diary").status_code == 404


@pytest.mark.usefixtures("shared_cache")
def test_a_record_given_to_another_login_leaves_the_old_one(cast: Cast) -> None:
    """Cached under the login's id: a record that changes login drops the old login's."""
    client = _client(cast.other_patient_user)
    _warm(client, 3)
    ada = Patient.objects.get(pk=cast.patient.pk)
    ada.user = None
    ada.save(update_fields=["user", "updated_at"])
    brook = Patient.objects.get(pk=cast.other_patient.pk)
    user = brook.user
    brook.user = None
    brook.save()  # a full save, as a form's
    assert client.get("/api/me/diary").status_code == 404  # no record now
    ada.user = user
    ada.save()
    status, _body, _sql = _read(client)
    assert status == 200
    event = AuditEvent.objects.filter(action="read").order_by("pk").last()
    assert event is not None
    assert event.patient_id == ada.pk


@pytest.mark.usefixtures("shared_cache")
def test_another_logins_cached_record_is_never_used(cast: Cast) -> None:
    """The session's remembered user, and the user's remembered clinic, are hints: were
    they wrong, the hinted user's cached record and the hinted clinic's settings are not
    used."""
    brook = _client(cast.other_patient_user)
    _warm(brook, 3)  # Brook's record cached
    ada = _client(cast.patient_user)
    _warm(ada, 3)
    wrong_clinic = clinic_cache.key(cast.other_clinic.pk, clinic_cache.DIARY)
    cache.set(wrong_clinic, ((cast.other_clinic.pk, 0), "standard-1", "label"))  # no backfill
    for hint in (cast.other_patient_user.pk, cast.patient_user.pk):
        sessions._remember(ada.cookies["sessionid"].value, str(hint))
        clinic_cache.remember_clinic(cast.patient_user.pk, cast.other_clinic.pk)
        response = _put(ada, dt.date.today() - dt.timedelta(days=2), 3)
        assert response.status_code in (200, 201)
        event = AuditEvent.objects.filter(category="diary").order_by("pk").last()
        assert event is not None
        assert event.action in ("create", "update")
        assert event.patient_id == cast.patient.pk
        assert event.user_id == cast.patient_user.pk
    # a prefetched record is for its own login only, even within the request
    authcache.prefetched(
        str(cast.other_patient_user.pk),
        {
            authcache.patient_key(cast.other_patient_user.pk): cache.get(
                authcache.patient_key(cast.other_patient_user.pk)
            )
        },
    )
    assert authcache.take_prefetched_patient(cast.patient_user.pk) is None


def test_without_a_shared_cache_the_record_is_read_each_time(cast: Cast) -> None:
    client = _client(cast.patient_user)
    _warm(client, 3)
    status, _body, sql = _read(client)
    assert status == 200
    assert [s for s in sql if '"patients_patient"' in s.split("WHERE")[0]]
