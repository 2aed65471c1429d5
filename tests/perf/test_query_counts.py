"""The clinician's pages and the patient's diary read in a constant number of queries.

Issue 10: the patient list, the patient chart, the session page and the diary
pages must not grow with the data (no N+1). Each test builds N of the things
that could multiply the queries, counts the page's queries, doubles N and
counts again: the count must not change, and must stay under a fixed cap.

The caps are today's counts (the same on PostgreSQL and SQLite): a page that
needs a new read raises its cap knowingly. The diary pages read the clinic's
ruleset (spec section 11: days are classed by its day definition): one query. They include each request's own
plumbing: the session, the user, the TOTP device (staff), the roles, the
audit row and its chain, the safety banner; in tests also the savepoints of
the audit's atomic block.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cephalog.patients.models import Patient
from cephalog.safety.models import AdverseEvent
from cephalog.treatment import actions
from cephalog.treatment.models import InjectorTraining, Session
from tests.perf.data import TODAY, add_diary, add_history
from tests.personas import Cast, client_for, make_patient
from tests.treatment.helpers import FTP_8, NOW, full_session, preempt, start, vial


def count_queries(client: Any, url: str, *, status: int = 200) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == status, (url, response.status_code)
    return len(captured.captured_queries)


def assert_constant(
    counts: Callable[[], int], grow: Callable[[int], None], n: int, *, cap: int
) -> int:
    """Count with `n` things, then with `2n`: the count must not change and stay <= cap."""
    grow(n)
    small = counts()
    grow(n)  # now 2n
    large = counts()
    assert large == small, f"{small} queries with n={n}, {large} with 2n: an N+1"
    assert small <= cap, f"{small} queries, cap {cap}"
    return small


# --- the patient list --------------------------------------------------------------------


def test_the_patient_list_does_not_grow_with_patients_or_their_diaries(
    cast: Cast, frozen: None
) -> None:
    client = client_for(cast, "physician")
    made: list[Patient] = []

    def grow(n: int) -> None:
        for _ in range(n):
            k = len(made)
            patient = make_patient(cast.clinic, f"Q-{k:04}", "Test", f"Patient{k:04}", None)
            add_diary(patient, 30)
            add_history(patient, 1)
            made.append(patient)

    url = reverse("patient-list")
    assert_constant(lambda: count_queries(client, url), grow, 10, cap=9)
    # Past a page: still the same queries, and the second page too.
    grow(40)  # 62 patients: two pages
    assert count_queries(client, url) == count_queries(client, url + "?page=2")


def test_the_patient_search_does_not_grow_with_matches(cast: Cast, frozen: None) -> None:
    client = client_for(cast, "physician")
    made: list[Patient] = []

    def grow(n: int) -> None:
        for _ in range(n):
            k = len(made)
            made.append(make_patient(cast.clinic, f"S-{k:04}", "Test", f"Searched{k:04}", None))
            add_diary(made[-1], 10)

    def counts() -> int:
        with CaptureQueriesContext(connection) as captured:
            response = client.post(reverse("patient-list"), {"q": "Searched"})
        assert response.status_code == 200
        return len(captured.captured_queries)

    assert_constant(counts, grow, 10, cap=9)


# --- the patient chart -------------------------------------------------------------------


def test_the_patient_chart_does_not_grow_with_history(cast: Cast, frozen: None) -> None:
    client = client_for(cast, "physician")
    url = reverse("patient-chart", args=[cast.patient.pk])
    add_diary(cast.patient, 60)
    assert_constant(
        lambda: count_queries(client, url),
        lambda n: add_history(cast.patient, n),
        4,
        cap=14,  # + the contact section: is the login in use, an email change waiting (17.2)
    )


# --- the session page --------------------------------------------------------------------


def test_the_open_session_page_does_not_grow_with_history(cast: Cast, frozen: None) -> None:
    """Recording a PREEMPT session: earlier sessions, adverse events to avoid, vials, sites."""
    client = client_for(cast, "physician")
    earlier: list[Session] = []
    add_diary(cast.patient, 120)

    def grow(n: int) -> None:
        for _ in range(n):
            k = len(earlier)
            when = NOW - dt.timedelta(days=100 * (k + 1) + (2 * 365 if k else 0))
            session = full_session(cast.patient, cast.physician, now=when, ftp=FTP_8[: k % 8])
            earlier.append(session)
            AdverseEvent.objects.create(
                patient=cast.patient,
                session=session,
                symptom="brow_ptosis",
                onset=session.date + dt.timedelta(days=5),
                severity="mild",
                avoid_sites=[f"frontalis-L-{1 + k % 2}"],
                actions="lower frontalis next time",
            )
            InjectorTraining.objects.create(
                clinic=cast.clinic,
                user=cast.physician,
                course=f"course {k}",
                completed_on=dt.date(2020, 1, 1),
            )

    grow(1)  # the last session 100 days ago, so today's may start
    session = start(cast.patient, cast.physician)
    vial(session, cast.physician, lot="A")
    url = reverse("session-detail", args=[cast.patient.pk, session.pk])

    def grow_all(n: int) -> None:
        grow(n)
        for _ in range(n):
            vial(session, cast.physician, lot=f"L{Session.objects.count()}{n}")
        done = len(earlier) * 3
        actions.record_sites(session=session, by=cast.physician, sites=preempt()[:done])

    assert_constant(lambda: count_queries(client, url), grow_all, 2, cap=15)


def test_the_completed_session_page_does_not_grow_with_history(cast: Cast, frozen: None) -> None:
    client = client_for(cast, "physician")
    session = full_session(cast.patient, cast.physician, ftp=FTP_8)
    url = reverse("session-detail", args=[cast.patient.pk, session.pk])
    n_done = 0

    def grow(n: int) -> None:
        nonlocal n_done
        for _ in range(n):
            n_done += 1
            actions.add_addendum(session=session, by=cast.nurse, text=f"note {n_done}")
            AdverseEvent.objects.create(
                patient=cast.patient,
                session=session,
                symptom="neck_pain",
                onset=session.date + dt.timedelta(days=n_done),
                severity="mild",
                avoid_sites=["trapezius-L-1"],
            )
        add_history(cast.patient, n)

    assert_constant(lambda: count_queries(client, url), grow, 2, cap=17)


def test_the_session_list_does_not_grow_with_sessions(cast: Cast, frozen: None) -> None:
    client = client_for(cast, "physician")
    url = reverse("session-list", args=[cast.patient.pk])
    # The list now carries the whole check before a session (issues 14.3, 17.3): one
    # assessment of the record on today's date (the eligibility gate and the flags share it),
    # the day's answers and sign-offs, exposures with their products, the staff's experience,
    # the patient's interval rule (decisions, the policy's earliest day).
    assert_constant(
        lambda: count_queries(client, url), lambda n: add_history(cast.patient, n), 3, cap=37
    )


# --- the diary pages ---------------------------------------------------------------------


def test_the_patient_diary_home_does_not_grow_with_diary_days(cast: Cast, frozen: None) -> None:
    client = client_for(cast, "patient_user")
    url = reverse("diary-home")
    full_session(cast.patient, cast.physician, now=NOW - dt.timedelta(days=4))  # check-in due

    def grow(n: int) -> None:
        add_diary(cast.patient, n, before=TODAY - dt.timedelta(days=1))

    assert_constant(lambda: count_queries(client, url), grow, 20, cap=11)


def test_the_patient_diary_calendar_does_not_grow_with_diary_days(cast: Cast, frozen: None) -> None:
    client = client_for(cast, "patient_user")
    url = reverse("diary-calendar")
    assert_constant(
        lambda: count_queries(client, url),
        lambda n: add_diary(cast.patient, n, before=TODAY),
        20,
        cap=10,
    )


def test_the_clinic_diary_page_does_not_grow_with_diary_days(cast: Cast, frozen: None) -> None:
    client = client_for(cast, "physician")
    url = reverse("clinic-diary", args=[cast.patient.pk])
    full_session(cast.patient, cast.physician, now=NOW - dt.timedelta(days=40))
    assert_constant(
        lambda: count_queries(client, url),
        lambda n: add_diary(cast.patient, n, before=TODAY),
        60,
        cap=12,
    )


# --- the clinic dashboard ----------------------------------------------------------------


def test_the_clinic_dashboard_does_not_grow_with_patients_or_their_diaries(
    cast: Cast, frozen: None
) -> None:
    """Patients with a diary and a session, and patients who joined and have filled in
    nothing (each with her own diary start: the low-compliance list): the same queries."""
    client = client_for(cast, "nurse")
    url = reverse("clinic-dashboard")
    made: list[Patient] = []

    def grow(n: int) -> None:
        for _ in range(n):
            k = len(made)
            patient = make_patient(cast.clinic, f"D-{k:04}", "Test", f"Dashboard{k:04}", None)
            if k % 2:
                add_diary(patient, 30)
                add_history(patient, 1)
            else:  # every other one joined yesterday and has filled in nothing
                Patient.objects.filter(pk=patient.pk).update(created_at=NOW - dt.timedelta(days=1))
            made.append(patient)

    assert_constant(lambda: count_queries(client, url), grow, 10, cap=14)
    page = client.get(url).content.decode()
    assert page.count("0 of 2 days filled in since the patient joined") == 10
