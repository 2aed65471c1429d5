"""Two people editing the same diary day: the second save gets a conflict and sees the
first one's change; nothing is overwritten unseen (optimistic locking on `version`)."""

from __future__ import annotations

import datetime as dt
import json
import re
import threading
from typing import Any

import pytest
import time_machine
from django.db import connection

from cephalog.diary import actions
from cephalog.diary.actions import DiaryConflict, save_day
from cephalog.diary.models import DiaryEntry, DiaryEntryRevision
from tests.ops.conftest import postgres_only
from tests.personas import Cast, client_for

NOW = dt.datetime(2026, 5, 12, 18, 30, tzinfo=dt.UTC)
DATE = "2026-05-10"


@pytest.fixture
def frozen() -> Any:
    with time_machine.travel(NOW, tick=False):
        yield


def day_form(version: str, hours: str, reason: str) -> dict[str, str]:
    return {
        "headache_hours": hours,
        "peak_intensity": "moderate",
        "aura_minutes": "0",
        "reason": reason,
        "version": version,
        "med-TOTAL_FORMS": "3",
        "med-INITIAL_FORMS": "0",
    }


def hidden_version(page: str) -> str:
    match = re.search(r'name="version" value="(\d+)"', page)
    assert match is not None
    return match.group(1)


@pytest.mark.django_db
def test_the_second_staff_save_gets_a_conflict_showing_the_first(cast: Cast, frozen: None) -> None:
    save_day(patient=cast.patient, data={"date": DATE, "headache_hours": 0}, by=cast.patient_user)
    url = f"/clinic/patients/{cast.patient.pk}/diary/{DATE}/"
    nurse, physician = client_for(cast, "nurse"), client_for(cast, "physician")
    # Both open the day (version 1).
    assert hidden_version(nurse.get(url).content.decode()) == "1"
    seen = hidden_version(physician.get(url).content.decode())
    # The nurse saves first.
    first = nurse.post(url, day_form(seen, "3", "patient phoned: 3 hours"))
    assert first.status_code == 302
    # The physician saves from the version they saw: refused, with the nurse's change shown.
    second = physician.post(url, day_form(seen, "8", "clinic letter says 8 hours"))
    assert second.status_code == 200
    page = second.content.decode()
    assert "changed by nurse-joy" in page
    assert "it is now version 2; you started from version 1" in page
    assert "Nothing has been saved yet." in page
    assert "Version 2, entered by staff" in page  # the nurse's entry, shown above the form
    entry = DiaryEntry.objects.get(patient=cast.patient, date=DATE)
    assert (entry.version, float(entry.headache_hours)) == (2, 3.0)  # no lost update
    # The physician's typing is kept and the form now carries version 2: saving again
    # replaces the nurse's entry knowingly.
    assert 'value="8"' in page
    assert hidden_version(page) == "2"
    third = physician.post(url, day_form("2", "8", "clinic letter says 8 hours"))
    assert third.status_code == 302
    entry.refresh_from_db()
    assert (entry.version, float(entry.headache_hours)) == (3, 8.0)
    assert DiaryEntryRevision.objects.filter(patient=cast.patient, date=DATE).count() == 2


@pytest.mark.django_db
def test_a_day_added_meanwhile_is_a_conflict_too(cast: Cast, frozen: None) -> None:
    url = f"/clinic/patients/{cast.patient.pk}/diary/{DATE}/"
    nurse = client_for(cast, "nurse")
    assert hidden_version(nurse.get(url).content.decode()) == "0"
    save_day(
        patient=cast.patient,
        data={"date": DATE, "headache_hours": 2, "peak_intensity": "mild"},
        by=cast.patient_user,
    )
    response = nurse.post(url, day_form("0", "5", ""))
    assert response.status_code == 200
    assert "while you were editing it" in response.content.decode()
    assert DiaryEntry.objects.get(patient=cast.patient, date=DATE).version == 1


def put(client: Any, body: dict[str, Any]) -> Any:
    return client.put(f"/api/me/diary/{DATE}", json.dumps(body), content_type="application/json")


@pytest.mark.django_db
def test_the_api_answers_409_with_the_current_day(cast: Cast, frozen: None) -> None:
    phone, laptop = client_for(cast, "patient_user"), client_for(cast, "patient_user")
    created = put(phone, {"headache_hours": 0, "version": 0})
    assert created.status_code == 201
    assert put(laptop, {"headache_hours": 0, "version": 0}).status_code == 409
    updated = put(phone, {"headache_hours": 4, "peak_intensity": "severe", "version": 1})
    assert updated.status_code == 200
    stale = put(laptop, {"headache_hours": 1, "peak_intensity": "mild", "version": 1})
    assert stale.status_code == 409
    body = stale.json()
    assert "you started from version 1, it is now version 2" in body["detail"]
    assert (body["current"]["version"], body["current"]["headache_hours"]) == (2, 4.0)
    assert DiaryEntry.objects.get(patient=cast.patient, date=DATE).headache_hours == 4
    # Without a version the API keeps its old last-write-wins behaviour.
    assert put(laptop, {"headache_hours": 1, "peak_intensity": "mild"}).status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("version", ["1", -1, 1.5, True, 2**31, [1]])
def test_the_api_refuses_a_version_that_is_not_a_whole_number(
    cast: Cast, frozen: None, version: Any
) -> None:
    response = put(client_for(cast, "patient_user"), {"headache_hours": 0, "version": version})
    assert response.status_code == 422
    assert response.json()["errors"][0].startswith("version: must be a whole number")


def race(cast: Cast, monkeypatch: pytest.MonkeyPatch, **kwargs: Any) -> list[Any]:
    """Two saves of the same new day, both past their look-up before either inserts."""
    barrier = threading.Barrier(2, timeout=10)
    first_call: set[int] = set()
    original = actions.check_date_allowed

    def meet(**check: Any) -> None:
        me = threading.get_ident()
        if me not in first_call:
            first_call.add(me)
            barrier.wait()
        original(**check)

    monkeypatch.setattr(actions, "check_date_allowed", meet)
    results: list[Any] = []

    def save(hours: float) -> None:
        try:
            entry = save_day(
                patient=cast.patient,
                data={"date": DATE, "headache_hours": hours, "peak_intensity": "mild"},
                by=cast.patient_user,
                **kwargs,
            )
            results.append(entry.version)
        except Exception as error:
            results.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=save, args=(h,)) for h in (1, 2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


@postgres_only()
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_first_saves_of_a_day_are_retried_not_500(
    cast: Cast, frozen: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    results = race(cast, monkeypatch)
    assert sorted(results) == [1, 2]  # the loser ran again and became an update
    assert DiaryEntryRevision.objects.filter(patient=cast.patient, date=DATE).count() == 1


@postgres_only()
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_saves_from_the_same_version_let_exactly_one_win(
    cast: Cast, frozen: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    results = race(cast, monkeypatch, expected_version=0)
    assert 1 in results
    conflicts = [r for r in results if isinstance(r, DiaryConflict)]
    assert len(conflicts) == 1
    assert conflicts[0].current is not None
    assert conflicts[0].current.version == 1
    assert DiaryEntry.objects.get(patient=cast.patient, date=DATE).version == 1


def test_a_conflict_is_a_diary_error_with_the_current_entry() -> None:
    assert issubclass(DiaryConflict, actions.DiaryError)
    error = DiaryConflict(expected=1, current=None)
    assert error.problems[0].startswith("version: this day was removed")
