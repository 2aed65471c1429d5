"""The clinic's view of a patient's diary: calendar, flags with reasons, baseline and
latest windows, compliance, the medication-overuse screen."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cephalog.audit.models import AuditEvent
from cephalog.diary.actions import save_day
from cephalog.eligibility import actions as eligibility_actions
from cephalog.treatment.models import Session
from tests.personas import Cast, client_for

NOW = dt.datetime(2026, 5, 12, 18, 30, tzinfo=dt.UTC)
TODAY = dt.date(2026, 5, 12)

TREATED_MIGRAINE = {
    "headache_hours": 8,
    "peak_intensity": "severe",
    "pulsating": True,
    "unilateral": True,
    "nausea": True,
    "acute_medications": [{"name": "sumatriptan", "class": "triptan", "effective": True}],
}


@pytest.fixture
def frozen(time_machine: Any) -> None:
    time_machine.move_to(NOW, tick=False)


def log(cast: Cast, date: dt.date, facts: dict[str, Any]) -> None:
    save_day(
        patient=cast.patient,
        data={"date": date.isoformat(), **facts},
        by=cast.nurse,
        today=TODAY,
        source="staff",
    )


def url(cast: Cast, month: str = "") -> str:
    return f"/clinic/patients/{cast.patient.pk}/diary/" + (f"?month={month}" if month else "")


def test_it_lists_each_days_flags_with_their_reasons(cast: Cast, frozen: None) -> None:
    log(cast, TODAY, TREATED_MIGRAINE)
    log(cast, TODAY - dt.timedelta(days=1), {"headache_hours": 2, "peak_intensity": "mild"})
    log(cast, TODAY - dt.timedelta(days=2), {"headache_hours": 0})
    # The clinic's default policy (nice-ta260) counts ichd3 days under standard-2, the
    # default ruleset (spec section 11.1), and the reasons name the definition.
    page = client_for(cast, "nurse").get(url(cast)).content.decode()
    assert "ichd3 migraine day: 3 pain features + nausea" in page
    assert "Migraine day" in page
    assert "Acute medication: triptan" in page
    assert "ichd3 headache day: headache of any duration (2 h); migraine criteria not met" in page
    assert "headache-free day" in page
    assert "with the ichd3 day definition" in page
    # Under standard-1 the same days read as they always did.
    eligibility_actions.set_clinic_ruleset(
        clinic=cast.clinic, by=cast.clinic_admin, name="standard-1"
    )
    page = client_for(cast, "nurse").get(url(cast)).content.decode()
    assert "migraine: 3 pain features + nausea" in page
    assert "not a headache day: 2 h, under 4 h" in page
    assert "Not recorded" in page
    assert "sumatriptan (triptan, worked within 2 hours)" in page
    assert "3/7 (43%)" in page
    assert "3/28 (11%)" in page
    assert "No completed session yet: the baseline is the latest 28 days." in page


def test_it_links_the_chart_to_the_diary(cast: Cast, frozen: None) -> None:
    page = client_for(cast, "nurse").get(f"/clinic/patients/{cast.patient.pk}/").content.decode()
    assert f'href="/clinic/patients/{cast.patient.pk}/diary/"' in page


def test_it_takes_the_baseline_before_the_first_completed_session(cast: Cast, frozen: None) -> None:
    session_day = TODAY - dt.timedelta(days=40)
    Session.objects.create(patient=cast.patient, date=session_day, status="completed")
    Session.objects.create(
        patient=cast.patient, date=TODAY - dt.timedelta(days=60), status="cancelled"
    )
    for ago in range(41, 41 + 28):  # the 28 days before the session: migraine every day
        log(cast, TODAY - dt.timedelta(days=ago), TREATED_MIGRAINE)
    for ago in range(0, 28):  # the latest 28 days: headache-free on 21 of them
        facts = {"headache_hours": 0} if ago % 4 else TREATED_MIGRAINE
        log(cast, TODAY - dt.timedelta(days=ago), facts)
    page = client_for(cast, "physician").get(url(cast)).content.decode()
    assert "Baseline: the 28 days before the first completed session (2 Apr 2026)." in page
    assert "5 Mar–1 Apr 2026, 28/28 recorded" in page
    assert re.search(
        r"Headache days</th>\s*<td>28 <small>\(28.0 per 28\)</small></td>\s*"
        r"<td>7 <small>\(7.0 per 28\)</small></td>\s*<td>-75.0%</td>",
        page,
    )


def test_it_shows_the_overuse_screen(cast: Cast, frozen: None) -> None:
    for ago in range(84):
        log(cast, TODAY - dt.timedelta(days=ago), TREATED_MIGRAINE)
    page = client_for(cast, "nurse").get(url(cast)).content.decode()
    assert re.search(r"Medication overuse \(latest\)</dt><dd>Yes: triptan</dd>", page)
    assert "triptan on 28.0/28.0/28.0 days per 28" in page


def test_it_says_when_the_overuse_screen_cannot_tell(cast: Cast, frozen: None) -> None:
    log(cast, TODAY, TREATED_MIGRAINE)
    page = client_for(cast, "nurse").get(url(cast)).content.decode()
    assert "Medication overuse (latest)</dt><dd>Cannot tell</dd>" in page
    assert "not assessable" in page


def test_it_links_calendar_days_to_the_staff_form_for_clinicians_only(
    cast: Cast, frozen: None
) -> None:
    edit = f"/clinic/patients/{cast.patient.pk}/diary/2026-05-01/"
    assert edit in client_for(cast, "nurse").get(url(cast)).content.decode()
    admin_page = client_for(cast, "clinic_admin").get(url(cast)).content.decode()
    assert edit not in admin_page
    assert "Friday 1 May: Not filled in" in admin_page


def test_it_shows_an_earlier_month(cast: Cast, frozen: None) -> None:
    log(cast, dt.date(2026, 4, 20), TREATED_MIGRAINE)
    page = client_for(cast, "nurse").get(url(cast, "2026-04")).content.decode()
    assert "Days in April 2026" in page
    assert "Mon 20 Apr" in page
    assert 'data-date="2026-04-20"' in page


def test_it_audits_the_clinic_read(cast: Cast, frozen: None) -> None:
    client_for(cast, "nurse").get(url(cast))
    event = AuditEvent.objects.filter(category="diary", action="read").get()
    assert (event.patient_id, event.user_id) == (cast.patient.pk, cast.nurse.pk)


def test_it_reads_the_diary_pages_in_a_constant_number_of_queries(
    cast: Cast, frozen: None, django_assert_num_queries: Any
) -> None:
    pages = {
        "nurse": [url(cast)],
        "patient_user": ["/me/", "/me/diary/calendar/"],
    }
    log(cast, TODAY, TREATED_MIGRAINE)
    counts = {}
    for persona, urls in pages.items():
        client = client_for(cast, persona)
        for page in urls:
            with CaptureQueriesContext(connection) as queries:
                assert client.get(page).status_code == 200
            counts[page] = len(queries)
    for ago in range(1, 90):
        log(cast, TODAY - dt.timedelta(days=ago), TREATED_MIGRAINE)
    for persona, urls in pages.items():
        client = client_for(cast, persona)
        for page in urls:
            with django_assert_num_queries(counts[page]):
                assert client.get(page).status_code == 200
