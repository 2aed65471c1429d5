"""The diary JSON API (issue 3, part 7)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from cephalog.audit.models import AuditEvent
from cephalog.diary.actions import save_day
from cephalog.diary.models import DiaryEntry, DiaryEntryRevision
from cephalog.domain.case import parse_diary_entry
from tests.personas import Cast, client_for

NOW = dt.datetime(2026, 3, 20, 12, 0, tzinfo=dt.UTC)
TODAY = dt.date(2026, 3, 20)

pytestmark = pytest.mark.usefixtures("frozen")


@pytest.fixture
def frozen() -> object:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def put(client: Client, date: str, body: Any) -> Any:
    return client.put(f"/api/me/diary/{date}", json.dumps(body), content_type="application/json")


SEVERE = {
    "headache_hours": 6.5,
    "peak_intensity": "severe",
    "unilateral": True,
    "pulsating": True,
    "nausea": True,
    "acute_medications": [{"name": "sumatriptan", "class": "triptan", "effective": True}],
}


def test_it_creates_reads_updates_and_deletes_the_patients_own_day(cast: Cast) -> None:
    client = client_for(cast, "patient_user")
    created = put(client, "2026-03-19", SEVERE)
    assert created.status_code == 201
    day = created.json()
    assert day["acute_medications"] == [
        {"name": "sumatriptan", "class": "triptan", "effective": True}
    ]
    assert (day["migraine_day"], day["headache_day"], day["version"]) == (True, True, 1)
    # the clinic's default policy, nice-ta260, counts ichd3 days under standard-2 (11.1)
    assert day["reasons"] == ["ichd3 migraine day: 3 pain features + nausea"]

    updated = put(client, "2026-03-19", {"headache_hours": 2, "peak_intensity": "mild"})
    assert updated.status_code == 200
    # a 2 h headache: an ichd3 headache day (any duration), not a label one
    assert (updated.json()["version"], updated.json()["headache_day"]) == (2, True)

    listed = client.get("/api/me/diary", {"start": "2026-03-01", "end": "2026-03-20"}).json()
    assert listed["start"] == "2026-03-01"
    assert listed["end"] == "2026-03-20"
    assert [d["date"] for d in listed["days"]] == ["2026-03-19"]

    deleted = client.delete("/api/me/diary/2026-03-19")
    assert deleted.status_code == 204
    assert not DiaryEntry.objects.filter(patient=cast.patient).exists()
    changes = DiaryEntryRevision.objects.filter(patient=cast.patient).values_list(
        "change", flat=True
    )
    assert sorted(changes) == ["delete", "edit"]
    assert client.delete("/api/me/diary/2026-03-19").status_code == 404


def test_it_lists_the_latest_28_days_by_default(cast: Cast) -> None:
    for date in ("2026-02-20", "2026-02-21", "2026-03-20"):
        save_day(
            patient=cast.patient,
            data={"date": date, "headache_hours": 0},
            by=cast.nurse,
            today=TODAY,
        )
    listed = client_for(cast, "patient_user").get("/api/me/diary").json()
    assert (listed["start"], listed["end"]) == ("2026-02-21", "2026-03-20")
    assert [d["date"] for d in listed["days"]] == ["2026-02-21", "2026-03-20"]


@pytest.mark.parametrize(
    "body",
    [
        {"headache_hours": 30},
        {"headache_hours": 3},
        {"headache_hours": "3", "peak_intensity": "awful", "nausea": "yes"},
        {"headache_hours": 2, "peak_intensity": "mild", "aura_minutes": 2.5},
        {"headache_hours": 0, "acute_medications": [{"name": "x", "class": "pill"}]},
        {"peak_intensity": "mild"},
    ],
)
def test_it_refuses_bad_days_with_the_domains_messages(cast: Cast, body: dict[str, Any]) -> None:
    response = put(client_for(cast, "patient_user"), "2026-03-19", body)
    assert response.status_code == 422
    _, expected = parse_diary_entry({"date": "2026-03-19", **body}, "")
    assert expected
    assert response.json() == {"errors": expected}
    assert not DiaryEntry.objects.exists()


def test_it_refuses_days_the_patient_may_not_change(cast: Cast) -> None:
    client = client_for(cast, "patient_user")
    future = put(client, "2026-03-21", {"headache_hours": 0})
    assert future.json() == {"errors": ["date: 2026-03-21 is in the future"]}
    locked = put(client, "2026-01-02", {"headache_hours": 0})
    assert locked.status_code == 422
    assert locked.json()["errors"][0].startswith("date: days before 2026-03-13 are locked")
    other = put(client, "2026-03-19", {"date": "2026-03-18", "headache_hours": 0})
    assert other.json() == {"errors": ["date: must be the date in the URL, 2026-03-19"]}


@pytest.mark.parametrize("bad", ["0", "1710000000", "2026-03-19T00:00", "2026-02-30", "19-03-2026"])
def test_it_accepts_only_iso_dates(cast: Cast, bad: str) -> None:
    client = client_for(cast, "patient_user")
    listed = client.get("/api/me/diary", {"start": bad})
    assert listed.status_code == 422
    assert listed.json()["errors"][0].startswith("start: must be a date YYYY-MM-DD, got ")
    assert put(client, bad, {"headache_hours": 0}).status_code in (404, 422)


def test_it_refuses_ranges_backwards_or_over_two_years(cast: Cast) -> None:
    client = client_for(cast, "patient_user")
    backwards = client.get("/api/me/diary", {"start": "2026-03-10", "end": "2026-03-01"})
    assert backwards.json() == {"errors": ["end: must not be before start 2026-03-10"]}
    long = client.get("/api/me/diary", {"start": "2024-02-29", "end": "2026-03-01"})
    assert long.json() == {"errors": ["end: a request covers at most 731 days"]}
    longest = client.get("/api/me/diary", {"start": "2024-03-01", "end": "2026-03-01"})
    assert longest.status_code == 200  # 731 dates, both ends included


def test_it_refuses_a_body_that_is_not_a_json_object(cast: Cast) -> None:
    client = client_for(cast, "patient_user")
    assert put(client, "2026-03-19", [1, 2]).status_code == 422
    broken = client.put("/api/me/diary/2026-03-19", "{", content_type="application/json")
    assert broken.status_code == 400


def test_it_answers_404_to_a_patient_reading_another_patients_diary(cast: Cast) -> None:
    save_day(
        patient=cast.patient,
        data={"date": "2026-03-19", "headache_hours": 0},
        by=cast.nurse,
        today=TODAY,
    )
    url = f"/api/patients/{cast.patient.pk}/diary"
    for persona in ("other_patient_user", "patient_user", "other_physician"):
        response = client_for(cast, persona).get(url)
        assert response.status_code == 404, persona
        assert "2026-03-19" not in response.content.decode()
    # A patient's own /me/ diary never shows another patient's days.
    assert client_for(cast, "other_patient_user").get("/api/me/diary").json()["days"] == []
    missing = client_for(cast, "nurse").get(
        "/api/patients/00000000-0000-4000-8000-000000000000/diary"
    )
    assert missing.status_code == 404


def test_it_lets_clinic_staff_read_their_patients_diary(cast: Cast) -> None:
    save_day(
        patient=cast.patient, data={"date": "2026-03-19", **SEVERE}, by=cast.nurse, today=TODAY
    )
    url = f"/api/patients/{cast.patient.pk}/diary"
    for persona in ("nurse", "physician", "clinic_admin"):
        days = (
            client_for(cast, persona)
            .get(url, {"start": "2026-03-19", "end": "2026-03-19"})
            .json()["days"]
        )
        assert [d["migraine_day"] for d in days] == [True], persona
    assert client_for(cast, "nurse").get("/api/me/diary").status_code == 404


def test_it_answers_401_to_anonymous_and_403_without_the_csrf_token(cast: Cast) -> None:
    anonymous = Client()
    assert anonymous.get("/api/me/diary").status_code == 401
    assert anonymous.get(f"/api/patients/{cast.patient.pk}/diary").status_code == 401
    assert put(anonymous, "2026-03-19", {"headache_hours": 0}).status_code == 401
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(cast.patient_user)
    assert strict.get("/api/me/diary").status_code == 200
    assert put(strict, "2026-03-19", {"headache_hours": 0}).status_code == 403
    assert strict.delete("/api/me/diary/2026-03-19").status_code == 403
    assert not DiaryEntry.objects.exists()


def test_it_audits_reads_and_writes(cast: Cast) -> None:
    client = client_for(cast, "patient_user")
    put(client, "2026-03-19", {"headache_hours": 0})
    client.get("/api/me/diary")
    client_for(cast, "nurse").get(f"/api/patients/{cast.patient.pk}/diary")
    client.delete("/api/me/diary/2026-03-19")
    events = AuditEvent.objects.filter(category="diary").order_by("id")
    assert [(e.username, e.action) for e in events] == [
        ("ada", "create"),
        ("ada", "read"),
        ("nurse-joy", "read"),
        ("ada", "delete"),
    ]


def _queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url, {"start": "2026-01-01", "end": "2026-03-20"}).status_code == 200
    return len(captured)


def test_it_lists_days_in_a_constant_number_of_queries(cast: Cast) -> None:
    patient, staff = client_for(cast, "patient_user"), client_for(cast, "nurse")
    staff_url = f"/api/patients/{cast.patient.pk}/diary"
    save_day(
        patient=cast.patient, data={"date": "2026-01-01", **SEVERE}, by=cast.nurse, today=TODAY
    )
    few = (_queries(patient, "/api/me/diary"), _queries(staff, staff_url))
    for offset in range(1, 40):
        date = (dt.date(2026, 1, 1) + dt.timedelta(days=offset)).isoformat()
        save_day(patient=cast.patient, data={"date": date, **SEVERE}, by=cast.nurse, today=TODAY)
    many = (_queries(patient, "/api/me/diary"), _queries(staff, staff_url))
    assert few == many
    assert (
        len(
            client_for(cast, "patient_user")
            .get("/api/me/diary", {"start": "2026-01-01"})
            .json()["days"]
        )
        == 40
    )


def test_it_publishes_an_openapi_schema_declaring_every_error(cast: Cast) -> None:
    schema = Client().get("/api/openapi.json").json()
    assert schema["info"]["title"] == "cephalog API"
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            declared = set(operation["responses"])
            assert {"401", "403", "404", "422"} <= declared, (path, method)
    assert set(schema["paths"]) >= {
        "/api/me/diary",
        "/api/me/diary/{date}",
        "/api/patients/{patient_id}/diary",
    }


# --- the answers skip ninja's response validation (issue 10): they must keep the schema ---

DAYS = {
    "2026-03-14": SEVERE,
    "2026-03-15": {"headache_hours": 0},
    "2026-03-16": {
        "headache_hours": 3.25,
        "peak_intensity": "moderate",
        "aura_minutes": 20,
        "acute_medications": [
            {"name": "ibuprofen", "class": "simple_analgesic", "effective": None},
            {"name": None, "class": "triptan", "effective": False},
            {"name": "naproxen", "class": "simple_analgesic", "effective": True},
        ],
    },
}


def test_the_answers_are_what_the_declared_schemas_make_of_them(cast: Cast) -> None:
    from cephalog.diary.queries import get_entry
    from cephalog.diary.schemas import DayOut, DiaryOut, day_out

    client = client_for(cast, "patient_user")
    for date, body in DAYS.items():
        created = put(client, date, body)
        assert created.status_code == 201
        assert created.json() == DayOut.model_validate(created.json()).model_dump(
            by_alias=True, mode="json"
        )
        entry = get_entry(cast.patient, dt.date.fromisoformat(date))
        assert entry is not None
        declared = DayOut.model_validate(day_out(entry)).model_dump(by_alias=True, mode="json")
        assert created.json() == declared  # what was saved, read back as before
        assert put(client, date, body).json() == {**declared, "version": 2}
    for url in ("/api/me/diary", f"/api/patients/{cast.patient.pk}/diary"):
        persona = "patient_user" if url == "/api/me/diary" else "nurse"
        listed = client_for(cast, persona).get(url, {"start": "2026-03-10"}).json()
        entries = DiaryEntry.objects.filter(patient=cast.patient).prefetch_related("medications")
        expected = {
            "start": "2026-03-10",
            "end": "2026-03-20",
            "days": [day_out(e) for e in entries],
        }
        assert listed == DiaryOut.model_validate(expected).model_dump(by_alias=True, mode="json")
    medicines = listed["days"][2]["acute_medications"]
    assert [(m["class"], m["effective"]) for m in medicines] == [  # in the order given
        ("simple_analgesic", None),
        ("triptan", False),
        ("simple_analgesic", True),
    ]


# --- queries per request (issue 10): a regression here costs every diary request ---


def _data_queries(run: Any) -> tuple[Any, list[str]]:
    """The response, and the statements it ran (not the savepoints that the test's own
    transaction adds around nested atomic blocks)."""
    with CaptureQueriesContext(connection) as captured:
        response = run()
    statements = [q["sql"] for q in captured.captured_queries]
    return response, [s for s in statements if "SAVEPOINT" not in s]


def test_the_diary_api_runs_few_queries(cast: Cast) -> None:
    patient, nurse = client_for(cast, "patient_user"), client_for(cast, "nurse")
    staff_url = f"/api/patients/{cast.patient.pk}/diary"
    # session, user (with whether they hold a role), patient, days with medicines,
    # audit chain's last hash, audit row, the clinic's ruleset (spec section 11);
    # staff: also their TOTP device and roles.
    for client, url, most in ((patient, "/api/me/diary", 7), (nurse, staff_url, 9)):
        response, queries = _data_queries(lambda c=client, u=url: c.get(u))
        assert response.status_code == 200
        assert len(queries) <= most, queries
    # session, user, patient, the day (locked); new: insert it and its medicines;
    # changed: its medicines, the kept revision, update, delete and insert the
    # medicines; then the audit chain's last hash, the audit row and the clinic's ruleset.
    for status, most in ((201, 9), (200, 12)):
        response, queries = _data_queries(lambda: put(patient, "2026-03-19", SEVERE))
        assert response.status_code == status
        assert len(queries) <= most, queries
    # No session write: activity saves the session at most once a minute.
    assert not any("django_session" in q and "UPDATE" in q for q in queries)
