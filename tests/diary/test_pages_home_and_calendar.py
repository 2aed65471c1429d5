"""The patient's diary home (/me/) and month calendar."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest

from cephalog.accounts.models import Clinic
from cephalog.diary.actions import save_day
from cephalog.patients.models import Patient
from tests.personas import Cast, client_for

NOW = dt.datetime(2026, 5, 12, 18, 30, tzinfo=dt.UTC)
TODAY = dt.date(2026, 5, 12)

MIGRAINE = {
    "headache_hours": 8,
    "peak_intensity": "severe",
    "pulsating": True,
    "unilateral": True,
    "nausea": True,
    "acute_medications": [{"name": "rizatriptan", "class": "triptan", "effective": True}],
}
HEADACHE = {"headache_hours": 5, "peak_intensity": "mild"}
SHORT = {"headache_hours": 1, "peak_intensity": "mild"}
FREE = {"headache_hours": 0}


@pytest.fixture
def frozen(time_machine: Any) -> None:
    time_machine.move_to(NOW, tick=False)


def log(cast: Cast, ago: int, facts: dict[str, Any]) -> None:
    date = TODAY - dt.timedelta(days=ago)
    save_day(
        patient=cast.patient,
        data={"date": date.isoformat(), **facts},
        by=cast.nurse,
        today=TODAY,
        source="staff",
    )


def cell(page: str, date: str) -> str:
    match = re.search(rf'<td class="([^"]*)"[^>]*data-date="{date}"', page)
    assert match, date
    return match.group(1)


def test_it_greets_the_patient_with_todays_status(cast: Cast, frozen: None) -> None:
    page = client_for(cast, "patient_user").get("/me/").content.decode()
    assert "Hello Ada" in page
    assert "Today, Tuesday 12 May" in page
    assert "You haven't filled in today yet." in page
    assert "No headache today" in page
    assert 'href="/me/diary/2026-05-12/"' in page  # "I had a headache today"


def joined(cast: Cast, ago: int) -> None:
    """The patient was added to the programme `ago` days before today (18:30 UTC)."""
    Patient.objects.filter(pk=cast.patient.pk).update(created_at=NOW - dt.timedelta(days=ago))
    cast.patient.refresh_from_db()


def missed_dates(page: str) -> list[str]:
    return re.findall(r'<span class="missed-date">([^<]+)</span>', page)


def test_it_lists_the_missed_days_in_the_window(cast: Cast, frozen: None) -> None:
    joined(cast, 60)
    log(cast, 2, FREE)
    page = client_for(cast, "patient_user").get("/me/").content.decode()
    assert missed_dates(page) == [
        "Mon 11 May",
        "Sat 9 May",
        "Fri 8 May",
        "Thu 7 May",
        "Wed 6 May",
        "Tue 5 May",
    ]
    assert 'No headache<span class="visually-hidden"> on Monday 11 May</span>' in page


def test_a_new_patient_has_missed_nothing_and_no_counts_yet(cast: Cast, frozen: None) -> None:
    joined(cast, 0)
    page = client_for(cast, "patient_user").get("/me/").content.decode()
    assert missed_dates(page) == []
    assert "Days you missed" not in page
    counts = dict(re.findall(r"<dt>([^<]+)</dt><dd[^>]*>([^<]+)", page))
    assert counts == {
        "Days filled in": "0 of 1 ",
        "Headache days": "Not known yet",
        "Migraine days": "Not known yet",
        "Days with headache medicine": "Not known yet",
        "Days with no headache": "Not known yet",
    }
    assert "0 of 1 <small>since you joined (0%)</small>" in page


def test_only_days_since_the_patient_joined_are_missed(cast: Cast, frozen: None) -> None:
    joined(cast, 3)
    page = client_for(cast, "patient_user").get("/me/").content.decode()
    assert missed_dates(page) == ["Mon 11 May", "Sun 10 May", "Sat 9 May"]


def test_a_diary_begun_before_joining_counts_from_its_first_day(cast: Cast, frozen: None) -> None:
    joined(cast, 0)
    log(cast, 4, FREE)  # a paper diary typed in on the first visit
    page = client_for(cast, "patient_user").get("/me/").content.decode()
    assert missed_dates(page) == ["Mon 11 May", "Sun 10 May", "Sat 9 May"]
    assert "1 of 5 <small>since your diary began (20%)</small>" in page


def test_a_new_patient_counts_only_the_days_since_she_joined(cast: Cast, frozen: None) -> None:
    """Not "2 of 28": the 25 days before she joined were never hers to fill in."""
    joined(cast, 2)
    log(cast, 0, FREE)
    log(cast, 1, HEADACHE)
    client = client_for(cast, "patient_user")
    for url in ("/me/", "/me/diary/calendar/"):
        page = client.get(url).content.decode()
        assert "2 of 3 <small>since you joined (67%)</small>" in page, url
        assert '<p class="counts-span">10 May to 12 May</p>' in page, url
        assert "Your diary so far" in page, url
        assert "Your last 28 days" not in page, url


def test_the_calendar_leaves_the_days_before_joining_blank(cast: Cast, frozen: None) -> None:
    joined(cast, 2)
    log(cast, 0, FREE)
    page = (
        client_for(cast, "patient_user").get("/me/diary/calendar/?month=2026-05").content.decode()
    )
    assert cell(page, "2026-05-11") == "day unrecorded"  # hers, and missed
    assert cell(page, "2026-05-10") == "day unrecorded"  # the day she joined
    assert cell(page, "2026-05-09") == "day before-open"  # in her 7-day window
    assert cell(page, "2026-05-01") == "day before"
    assert "Saturday 9 May: Not filled in" not in page
    assert "Sunday 10 May: Not filled in</span>" in page
    april = (
        client_for(cast, "patient_user").get("/me/diary/calendar/?month=2026-04").content.decode()
    )
    assert re.findall(r"April: Not filled in", april) == []
    assert "Thursday 30 April: before your diary began</span>" in april
    assert 'href="/me/diary/2026-04-30/"' not in april


def cell_html(page: str, date: str) -> str:
    match = re.search(rf'<td class="[^"]*"[^>]*data-date="{date}">(.*?)</td>', page, re.S)
    assert match, date
    return match.group(1)


def test_a_day_before_joining_in_the_window_is_open_and_not_missed(
    cast: Cast, frozen: None
) -> None:
    """She joined on Monday 11 May and remembers Sunday's migraine: Sunday, before her
    diary began but inside her 7-day window (back to Tuesday 5 May), is an open day she
    can tap; Monday 4 May, outside it, is a plain blank opening nothing; neither is a
    missed day ("?")."""
    joined(cast, 1)
    page = (
        client_for(cast, "patient_user").get("/me/diary/calendar/?month=2026-05").content.decode()
    )
    # Before the diary began, still hers to fill in: open, tappable, named plainly.
    assert cell(page, "2026-05-10") == "day before-open"
    sunday = cell_html(page, "2026-05-10")
    assert 'href="/me/diary/2026-05-10/"' in sunday
    assert "Sunday 10 May: before your diary began; you can still fill it in</span>" in sunday
    assert "locked" not in sunday
    assert '<span class="sym" aria-hidden="true"></span>' in sunday  # no "?": not missed
    assert cell(page, "2026-05-05") == "day before-open"  # the window's first day
    # Before the diary began and outside the window: blank, no link, not "locked".
    assert cell(page, "2026-05-04") == "day before"
    monday = cell_html(page, "2026-05-04")
    assert "<a " not in monday
    assert "Monday 4 May: before your diary began</span>" in monday
    # An ordinary day since she joined, not filled in: a missed day, tappable.
    assert cell(page, "2026-05-11") == "day unrecorded"
    joining_day = cell_html(page, "2026-05-11")
    assert 'href="/me/diary/2026-05-11/"' in joining_day
    assert "Monday 11 May: Not filled in</span>" in joining_day
    # The key names the open days; the counts still start the day she joined.
    assert "Before your diary began; you can still fill it in</li>" in page
    assert "0 of 2 <small>since you joined (0%)</small>" in page
    # The day page opens for the form, not the locked page.
    day = client_for(cast, "patient_user").get("/me/diary/2026-05-10/").content.decode()
    assert "can no longer be changed" not in day
    assert 'name="headache_hours"' in day


def test_the_home_page_offers_the_days_before_joining_but_not_as_missed(
    cast: Cast, frozen: None
) -> None:
    joined(cast, 1)
    page = client_for(cast, "patient_user").get("/me/").content.decode()
    assert missed_dates(page) == ["Mon 11 May"]  # the day she joined; not Sunday
    assert "You can still fill them in, back to Tuesday 5 May" in page
    assert 'href="/me/diary/calendar/"' in page
    # A patient who joined before her window began has no such days.
    joined(cast, 30)
    page = client_for(cast, "patient_user").get("/me/").content.decode()
    assert "data-before-open" not in page


def label_days(cast: Cast) -> None:
    """A clinic whose policy counts label days (us-label; spec section 11.1)."""
    Clinic.objects.filter(pk=cast.clinic.pk).update(default_policy="us-label")


def test_it_counts_the_last_28_days_in_plain_words(cast: Cast, frozen: None) -> None:
    label_days(cast)
    log(cast, 0, MIGRAINE)
    log(cast, 1, HEADACHE)
    log(cast, 2, SHORT)
    log(cast, 3, FREE)
    log(cast, 27, MIGRAINE)
    log(cast, 28, MIGRAINE)  # outside the window
    page = client_for(cast, "patient_user").get("/me/").content.decode()
    counts = dict(re.findall(r"<dt>([^<]+)</dt><dd>(\d+)", page))
    assert counts == {
        "Days filled in": "5",
        "Headache days": "3",
        "Migraine days": "2",
        "Days with headache medicine": "2",
        "Days with no headache": "1",
    }
    assert "5 of 28 <small>(18%)</small>" in page
    assert "You have filled in today" in page
    assert "Counted as: <strong>Migraine day</strong>" in page


def test_it_colours_the_month_by_day_class_with_a_legend(cast: Cast, frozen: None) -> None:
    label_days(cast)
    joined(cast, 60)
    log(cast, 0, MIGRAINE)
    log(cast, 1, HEADACHE)
    log(cast, 2, SHORT)
    log(cast, 3, FREE)
    page = (
        client_for(cast, "patient_user").get("/me/diary/calendar/?month=2026-05").content.decode()
    )
    assert cell(page, "2026-05-12") == "day migraine today"
    assert cell(page, "2026-05-11") == "day headache"
    assert cell(page, "2026-05-10") == "day minor"
    assert cell(page, "2026-05-09") == "day free"
    assert cell(page, "2026-05-08") == "day unrecorded"
    assert cell(page, "2026-05-13") == "day future"
    for words in (
        "No headache",
        "Shorter headache",
        "Headache day",
        "Migraine day",
        "Not filled in",
    ):
        assert f"</span> {words}" in page  # the legend: symbol and words
    assert "a headache that lasted 4 hours or more" in page  # the label's rule, explained
    assert "Tuesday 12 May (today): Migraine day, headache medicine taken</span>" in page
    assert 'href="/me/diary/2026-05-11/"' in page
    assert 'href="/me/diary/2026-05-13/"' not in page
    assert 'href="?month=2026-04"' in page
    assert 'rel="next"' not in page  # June has not started


def test_under_an_ichd3_policy_a_short_headache_is_a_headache_day(cast: Cast, frozen: None) -> None:
    """The clinic's default, nice-ta260, counts ichd3 days under standard-2 (spec 11.1):
    the patient's own counts and calendar follow it."""
    log(cast, 0, MIGRAINE)
    log(cast, 1, HEADACHE)
    log(cast, 2, SHORT)
    log(cast, 3, FREE)
    page = client_for(cast, "patient_user").get("/me/").content.decode()
    counts = dict(re.findall(r"<dt>([^<]+)</dt><dd>(\d+)", page))
    assert counts["Headache days"] == "3"
    calendar = (
        client_for(cast, "patient_user").get("/me/diary/calendar/?month=2026-05").content.decode()
    )
    assert cell(calendar, "2026-05-10") == "day headache"
    # "What do these mean?" and the key say this clinic's rule, not the label's 4 hours:
    # a 1-hour headache counted as a headache day beside "lasted 4 hours or more" and
    # "Shorter headache (not a headache day)" contradicted her own calendar.
    for shown in (page, calendar):
        assert "a day with a headache, however short" in shown
        assert "4 hours or more" not in shown
    assert "Shorter headache" not in calendar


def test_it_pages_back_a_month_and_marks_locked_days(cast: Cast, frozen: None) -> None:
    joined(cast, 60)
    page = (
        client_for(cast, "patient_user").get("/me/diary/calendar/?month=2026-04").content.decode()
    )
    assert "April 2026" in page
    assert "Thursday 30 April: Not filled in, locked" in page
    assert 'href="?month=2026-05"' in page


@pytest.mark.parametrize("month", ["2026-13", "junk", "2027-01", "", "0001-01"])
def test_it_shows_this_month_for_a_bad_or_future_month(
    cast: Cast, frozen: None, month: str
) -> None:
    page = client_for(cast, "patient_user").get(f"/me/diary/calendar/?month={month}")
    assert page.status_code == 200
    assert "May 2026" in page.content.decode()
