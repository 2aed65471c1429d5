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
from cephalog.patients.models import Patient
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


def joined(cast: Cast, ago: int) -> None:
    """The patient was added to the programme `ago` days before today (18:30 UTC)."""
    Patient.objects.filter(pk=cast.patient.pk).update(created_at=NOW - dt.timedelta(days=ago))
    cast.patient.refresh_from_db()


def cell(page: str, date: str) -> str:
    match = re.search(rf'<td class="([^"]*)"[^>]*data-date="{date}"', page)
    assert match, date
    return match.group(1)


def compliance(page: str) -> dict[str, str]:
    return dict(re.findall(r"<dt>(Compliance, last \d+ days)</dt><dd>([^<]*)</dd>", page))


def test_it_lists_each_days_flags_with_their_reasons(cast: Cast, frozen: None) -> None:
    joined(cast, 60)
    log(cast, TODAY, TREATED_MIGRAINE)
    log(cast, TODAY - dt.timedelta(days=1), {"headache_hours": 2, "peak_intensity": "mild"})
    log(cast, TODAY - dt.timedelta(days=2), {"headache_hours": 0})
    # The clinic's default policy (nice-ta260) counts ichd3 days under standard-2, the
    # default ruleset (spec section 11.1), and the reasons name the definition.
    page = client_for(cast, "nurse").get(url(cast)).content.decode()
    assert "ICHD-3 migraine day: 3 pain features + nausea" in page
    assert "Migraine day" in page
    assert "Acute medication: triptan" in page
    assert "ICHD-3 headache day: headache of any duration (2 h); migraine criteria not met" in page
    assert "headache-free day" in page
    assert "with the ICHD-3 day definition" in page
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


def test_a_recorded_days_page_gives_its_reasons_in_staff_words(cast: Cast, frozen: None) -> None:
    """The staff form of a recorded day says how it was counted, the definition named as
    staff read it ("ICHD-3", not the key "ichd3")."""
    joined(cast, 60)
    log(cast, TODAY, TREATED_MIGRAINE)
    page = client_for(cast, "nurse").get(
        f"/clinic/patients/{cast.patient.pk}/diary/{TODAY.isoformat()}/"
    )
    assert page.status_code == 200
    text = page.content.decode()
    assert "Reason: ICHD-3 migraine day: 3 pain features + nausea" in text
    assert "ichd3" not in text


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
    joined(cast, 60)
    edit = f"/clinic/patients/{cast.patient.pk}/diary/2026-05-01/"
    assert edit in client_for(cast, "nurse").get(url(cast)).content.decode()
    admin_page = client_for(cast, "clinic_admin").get(url(cast)).content.decode()
    assert edit not in admin_page
    assert "Friday 1 May: Not filled in" in admin_page


def a_new_patient(cast: Cast) -> None:
    """Joined 10 days ago (3 May), with 3 days filled in (12, 11 and 7 May)."""
    joined(cast, 9)
    for ago in (0, 1, 5):
        log(cast, TODAY - dt.timedelta(days=ago), {"headache_hours": 0})


def test_it_counts_a_new_patients_days_filled_in_since_she_joined(cast: Cast, frozen: None) -> None:
    """ "3 of 10", not "3/28": the 18 days before she joined were never hers to fill in."""
    a_new_patient(cast)
    page = client_for(cast, "nurse").get(url(cast)).content.decode()
    assert compliance(page) == {
        "Compliance, last 7 days": "3/7 (43%)",  # all seven days since she joined
        "Compliance, last 28 days": "3 of 10 days filled in since the patient joined on 3 May (30%)",
    }
    # The window's clinical figures are unchanged: 3 of its 28 days recorded.
    assert "15 Apr–12 May 2026, 3/28 recorded (the patient joined on 3 May), not evaluable" in page


def test_the_calendar_leaves_the_days_before_a_patient_joined_blank(
    cast: Cast, frozen: None
) -> None:
    a_new_patient(cast)
    page = client_for(cast, "nurse").get(url(cast)).content.decode()
    assert cell(page, "2026-05-04") == "day unrecorded"  # hers, and not filled in
    assert cell(page, "2026-05-03") == "day unrecorded"  # the day she joined
    assert cell(page, "2026-05-02") == "day before"
    assert cell(page, "2026-05-01") == "day before"
    assert "Saturday 2 May: before the patient joined</span>" in page
    assert "Sunday 3 May: Not filled in</span>" in page
    unrecorded = re.findall(r'<td class="day unrecorded"[^>]*data-date="2026-05-(\d+)"', page)
    assert unrecorded == ["03", "04", "05", "06", "08", "09", "10"]  # since she joined
    assert len(re.findall(r"May: Not filled in", page)) == 7
    # The list of the month's days says the same.
    assert re.search(
        r"Sat 2 May</th>\s*<td colspan=\"2\" class=\"muted\">Before the patient joined<", page
    )
    assert re.search(r"Sun 3 May</th>\s*<td colspan=\"2\" class=\"muted\">Not recorded<", page)
    april = client_for(cast, "nurse").get(url(cast, "2026-04")).content.decode()
    assert "April: Not filled in" not in april
    assert "Thursday 30 April: before the patient joined</span>" in april


def test_a_diary_begun_before_joining_counts_from_its_first_day(cast: Cast, frozen: None) -> None:
    joined(cast, 2)
    log(cast, TODAY - dt.timedelta(days=4), {"headache_hours": 0})  # a paper diary typed in
    log(cast, TODAY, {"headache_hours": 0})
    page = client_for(cast, "physician").get(url(cast)).content.decode()
    assert compliance(page) == {
        "Compliance, last 7 days": "2 of 5 days filled in since the diary began on 8 May (40%)",
        "Compliance, last 28 days": "2 of 5 days filled in since the diary began on 8 May (40%)",
    }
    assert "Thursday 7 May: before the diary began</span>" in page
    assert "Friday 8 May: No headache" in page


def test_a_full_28_days_reads_as_before(cast: Cast, frozen: None) -> None:
    joined(cast, 60)
    for ago in range(28):
        log(cast, TODAY - dt.timedelta(days=ago), {"headache_hours": 0})
    page = client_for(cast, "nurse").get(url(cast)).content.decode()
    assert compliance(page) == {
        "Compliance, last 7 days": "7/7 (100%)",
        "Compliance, last 28 days": "28/28 (100%)",
    }
    assert "15 Apr–12 May 2026, 28/28 recorded</small>" in page
    assert "since" not in page.split('id="windows-heading"')[0].split("summary-heading")[1]
    april = client_for(cast, "nurse").get(url(cast, "2026-04")).content.decode()
    assert "Tuesday 14 April: Not filled in</span>" in april
    assert "before the" not in april


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
