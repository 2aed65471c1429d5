"""The patient list's diary columns with real entries, in a constant number of queries."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cephalog.diary.actions import save_day
from cephalog.patients.models import Patient
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


def joined(patient: Patient, ago: int) -> None:
    """The patient was added to the programme `ago` days before today (18:30 UTC)."""
    Patient.objects.filter(pk=patient.pk).update(created_at=NOW - dt.timedelta(days=ago))
    patient.refresh_from_db()


def row_of(page: str, name: str) -> str:
    """The patient's row, from its `<tr` (and its class) to its `</tr>`."""
    at = page.index(name)
    return page[page.rindex("<tr", 0, at) : page.index("</tr>", at)]


def compliance_cells(row: str) -> list[str]:
    """The row's two diary cells (last 7 days, last 28 days), tags inside them dropped."""
    cells = re.findall(r'<td data-label="Diary, last (?:7|28) days">(.*?)</td>', row, re.S)
    assert len(cells) == 2, row
    return [re.sub(r"<[^>]+>", "", cell) for cell in cells]


def test_it_shows_compliance_from_real_entries(cast: Cast, frozen: None) -> None:
    joined(cast.patient, 60)
    joined(cast.other_patient, 60)
    log_days(cast, cast.patient, range(0, 14))  # every day of the last two weeks
    log_days(cast, cast.other_patient, range(3, 10))  # nothing for the last 3 days
    page = client_for(cast, "nurse").get("/clinic/patients/").content.decode()
    ada = row_of(page, "Quill, Ada")
    brook = row_of(page, "Tarrant, Brook")
    assert compliance_cells(ada) == ["7/7 (100%)", "14/28 (50%)"]
    assert 'class="flag"' not in ada
    assert compliance_cells(brook) == ["4/7 (57%)", "7/28 (25%)"]  # 4 of the last 7, 7 of 28
    # how long ago, not "3+ days" for a patient who stopped months ago
    assert '<span class="flag">3 days ago</span>' in brook


def test_it_says_how_long_ago_the_last_entry_was(cast: Cast, frozen: None) -> None:
    """A patient who stopped months ago is flagged with how long ago, not "3+ days"."""
    joined(cast.other_patient, 120)
    log_days(cast, cast.other_patient, range(81, 100))
    page = client_for(cast, "nurse").get("/clinic/patients/").content.decode()
    assert '<span class="flag">81 days ago</span>' in row_of(page, "Tarrant, Brook")


def test_it_counts_a_new_patients_days_since_she_joined(cast: Cast, frozen: None) -> None:
    """Joined yesterday and filled in both days: 2 of 2, not 2 of 7 (29%) and 2 of 28 (7%)."""
    joined(cast.patient, 1)
    log_days(cast, cast.patient, range(0, 2))
    ada = row_of(get_list(cast).content.decode(), "Quill, Ada")
    since = "since the patient joined on 11 May"
    assert compliance_cells(ada) == [f"2/2 (100%) {since}", f"2/2 (100%) {since}"]
    assert "attention" not in ada  # not flagged
    assert "flag" not in ada


def test_it_counts_the_day_she_joined_and_today(cast: Cast, frozen: None) -> None:
    """As the diary pages count (`diary_start`): the day she joined, 10 May, to today."""
    joined(cast.patient, 2)
    log_days(cast, cast.patient, range(1, 3))
    ada = row_of(get_list(cast).content.decode(), "Quill, Ada")
    since = "since the patient joined on 10 May"
    assert compliance_cells(ada) == [f"2/3 (67%) {since}", f"2/3 (67%) {since}"]


def test_it_counts_a_diary_begun_before_joining_from_its_first_day(
    cast: Cast, frozen: None
) -> None:
    joined(cast.patient, 2)
    log_days(cast, cast.patient, range(4, 5))  # a paper diary typed in
    log_days(cast, cast.patient, range(0, 1))
    ada = row_of(get_list(cast).content.decode(), "Quill, Ada")
    since = "since the diary began on 8 May"
    assert compliance_cells(ada) == [f"2/5 (40%) {since}", f"2/5 (40%) {since}"]


def test_it_says_what_the_clinic_diary_page_says(cast: Cast, frozen: None) -> None:
    """Joined 10 days ago (3 May) with 3 days filled in: the 7 days are all hers, the 28 are
    cut to 10; the same figures and start as the clinic's diary page."""
    joined(cast.patient, 9)
    log_days(cast, cast.patient, range(0, 2))
    log_days(cast, cast.patient, range(5, 6))
    client = client_for(cast, "nurse")
    ada = row_of(client.get("/clinic/patients/").content.decode(), "Quill, Ada")
    assert compliance_cells(ada) == ["3/7 (43%)", "3/10 (30%) since the patient joined on 3 May"]
    diary = client.get(f"/clinic/patients/{cast.patient.pk}/diary/").content.decode()
    assert "<dd>3/7 (43%)</dd>" in diary
    assert "<dd>3 of 10 days filled in since the patient joined on 3 May (30%)</dd>" in diary


def test_a_full_28_days_reads_as_before(cast: Cast, frozen: None) -> None:
    joined(cast.patient, 60)
    log_days(cast, cast.patient, range(0, 28))
    ada = row_of(get_list(cast).content.decode(), "Quill, Ada")
    assert compliance_cells(ada) == ["7/7 (100%)", "28/28 (100%)"]
    assert "since" not in ada


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


def test_a_patient_whose_joining_day_is_still_ahead_began_today(cast: Cast, frozen: None) -> None:
    """Added at 18:30 UTC from Auckland, where it is already 13 May: she has today only
    (as on the diary pages), never a window of no days."""
    Patient.objects.filter(pk=cast.patient.pk).update(created_at=NOW, time_zone="Pacific/Auckland")
    ada = row_of(get_list(cast).content.decode(), "Quill, Ada")
    since = "since the diary began on 12 May"
    assert compliance_cells(ada) == [f"0/1 (0%) {since}", f"0/1 (0%) {since}"]
