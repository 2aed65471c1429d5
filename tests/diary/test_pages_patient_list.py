"""The patient list's diary columns with real entries, in a constant number of queries."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cephalog.diary.actions import save_day
from tests.personas import Cast, client_for, make_patient

NOW = dt.datetime(2026, 5, 12, 18, 30, tzinfo=dt.UTC)
TODAY = dt.date(2026, 5, 12)


@pytest.fixture
def frozen(time_machine: Any) -> None:
    time_machine.move_to(NOW, tick=False)


def log_days(cast: Cast, patient: Any, days_ago: range) -> None:
    for ago in days_ago:
        save_day(
            patient=patient,
            data={"date": (TODAY - dt.timedelta(days=ago)).isoformat(), "headache_hours": 0},
            by=cast.nurse,
            today=TODAY,
            source="staff",
        )


def test_it_shows_compliance_from_real_entries(cast: Cast, frozen: None) -> None:
    log_days(cast, cast.patient, range(0, 14))  # every day of the last two weeks
    log_days(cast, cast.other_patient, range(3, 10))  # nothing for the last 3 days
    page = client_for(cast, "nurse").get("/clinic/patients/").content.decode()
    ada = page[page.index("Quill, Ada") : page.index("</tr>", page.index("Quill, Ada"))]
    brook = page[page.index("Tarrant, Brook") : page.index("</tr>", page.index("Tarrant, Brook"))]
    assert "<td>100%</td>" in ada
    assert "<td>50%</td>" in ada
    assert "no entry for 3+ days" not in ada
    assert "<td>57%</td>" in brook  # 4 of the last 7 days
    assert "<td>25%</td>" in brook  # 7 of 28
    assert "no entry for 3+ days" in brook


def add_patients(cast: Cast, count: int, start: int) -> None:
    for number in range(start, start + count):
        patient = make_patient(cast.clinic, f"Q-{number}", "Test", f"Patient{number:03}", None)
        log_days(cast, patient, range(0, 3))


def get_list(cast: Cast, client: Any = None) -> Any:
    response = (client or client_for(cast, "nurse")).get("/clinic/patients/")
    assert response.status_code == 200
    return response


def test_it_lists_patients_in_a_constant_number_of_queries(
    cast: Cast, frozen: None, django_assert_num_queries: Any
) -> None:
    add_patients(cast, 3, 0)  # 5 patients in the clinic
    client = client_for(cast, "nurse")  # logged in (and second factor passed) before counting
    with CaptureQueriesContext(connection) as five:
        assert get_list(cast, client).content.decode().count("<tr") == 6
    add_patients(cast, 15, 100)  # 20 patients
    with django_assert_num_queries(len(five)):
        assert get_list(cast, client).content.decode().count("<tr") == 21


def test_it_pages_a_long_list_and_reads_only_the_page(cast: Cast, frozen: None) -> None:
    for number in range(60):  # 62 patients: pages of 50
        make_patient(cast.clinic, f"P-{number:03}", "Test", f"Paged{number:03}", None)
    client = client_for(cast, "nurse")
    first = get_list(cast, client).content.decode()
    assert first.count('<tr class="attention">') == 50
    assert "Patients 1–50 of 62" in first
    assert 'href="?page=2" rel="next"' in first
    assert "Page 1 of 2" in first
    second = client.get("/clinic/patients/", {"page": "2"}).content.decode()
    assert second.count('<tr class="attention">') == 12
    assert "Patients 51–62 of 62" in second
    assert 'href="?page=1" rel="prev"' in second
    assert "Tarrant, Brook" in second  # T after P: the list stays in name order across pages
    for odd in ("0", "99", "-1", "x", "²", "9" * 5000):
        response = client.get("/clinic/patients/", {"page": odd})
        assert response.status_code == 200, odd
        assert "Page 1 of 2" in response.content.decode() or "Page 2 of 2" in (
            response.content.decode()
        )


def test_a_search_shows_its_first_page_and_asks_to_narrow_it(cast: Cast, frozen: None) -> None:
    for number in range(55):
        make_patient(cast.clinic, f"S-{number:03}", "Test", f"Searched{number:03}", None)
    client = client_for(cast, "nurse")
    body = client.post("/clinic/patients/", {"q": "searched"}).content.decode()
    assert "55 patients match; the first 50 are shown" in body
    assert body.count('<tr class="attention">') == 50
    assert "Page 1 of" not in body  # no pager links: they would drop the search
    one = client.post("/clinic/patients/", {"q": "Tarrant"}, headers={"HX-Request": "true"})
    assert "1 patient matches" in one.content.decode()
    assert "<html" not in one.content.decode()  # htmx gets the results only
