"""The treatment calendar on a phone: the patient sees the plan and what to expect, and
subscribes in a calendar app; the nurse reschedules from the staff calendar. Every page
is checked with axe-core; screenshots land in test-artifacts/."""

from __future__ import annotations

import datetime as dt
from typing import Any

import icalendar
import pytest
from playwright.sync_api import Page, expect

from cephalog.core.time import patient_today
from cephalog.scheduling.actions import sync_plan
from cephalog.scheduling.models import Appointment
from cephalog.treatment.models import Session
from tests.e2e.conftest import (
    DESKTOP,
    NARROW,
    PHONE,
    check_accessibility,
    fits_narrow,
    screenshot,
    sign_in,
)
from tests.personas import Cast


@pytest.fixture
def cast_db(transactional_db: None) -> Cast:
    from tests.personas import make_cast

    return make_cast()


@pytest.fixture
def two_sessions(cast_db: Cast) -> dt.date:
    """Ada had two sessions, the second ten days ago; returns when the third is due."""
    today = patient_today(cast_db.patient)
    second = today - dt.timedelta(days=10)
    for day in (second - dt.timedelta(days=84), second):
        Session.objects.create(
            patient=cast_db.patient,
            date=day,
            status="completed",
            total_units=155,
            sites_injected=31,
        )
    return second + dt.timedelta(days=84)


def day_month(d: dt.date, today: dt.date) -> str:
    return f"{d.day} {d:%B}" + ("" if d.year == today.year else f" {d.year}")


def test_the_patient_sees_the_plan_and_what_to_expect_on_a_phone(
    page: Page, login: Any, live_server: Any, cast_db: Cast, two_sessions: dt.date
) -> None:
    today = patient_today(cast_db.patient)
    page.set_viewport_size(PHONE)
    sign_in(page, live_server.url, "ada")
    page.goto(live_server.url + "/me/calendar/")
    expect(page.get_by_role("heading", name="My treatment plan")).to_be_visible()
    earliest = two_sessions - dt.timedelta(days=7)
    expect(
        page.get_by_role(
            "heading",
            name=f"Your next Botox session: due {day_month(two_sessions, today)}, "
            f"can be from {day_month(earliest, today)}",
        )
    ).to_be_visible()
    expect(page.get_by_role("heading", name="What to expect")).to_be_visible()
    expect(page.get_by_text("about two weeks after their second treatment")).to_be_visible()
    expect(
        page.get_by_text("Check-in: how are you feeling 2 weeks after your treatment?").first
    ).to_be_visible()
    expect(page.get_by_role("heading", name="Earlier")).to_be_visible()
    check_accessibility(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(page, "calendar-patient-phone")

    page.get_by_role("button", name="Create my calendar link").click()
    expect(page.get_by_role("link", name="Add to my calendar")).to_be_visible()
    feed_url = page.get_by_label("Or copy this private link into your calendar app").input_value()
    check_accessibility(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(page, "calendar-patient-phone-link")
    path = feed_url.split("://", 1)[1].split("/", 1)[1]
    response = page.request.get(f"{live_server.url}/{path}")
    assert response.ok
    cal = icalendar.Calendar.from_ical(response.body())
    uids = {str(e["UID"]) for e in cal.walk("VEVENT")}
    assert uids == set(
        Appointment.objects.filter(patient=cast_db.patient).values_list("uid", flat=True)
    )


def test_the_nurse_reschedules_the_next_session(
    page: Page, login: Any, live_server: Any, cast_db: Cast, two_sessions: dt.date
) -> None:
    page.set_viewport_size(DESKTOP)
    sign_in(page, live_server.url, "nurse-joy")
    page.goto(f"{live_server.url}/clinic/patients/{cast_db.patient.pk}/calendar/")
    expect(page.get_by_role("heading", name="Treatment calendar: Ada Quill")).to_be_visible()
    check_accessibility(page)
    nxt = Appointment.objects.get(patient=cast_db.patient, plan_key="session:3")
    row = page.locator(f"#appt-{nxt.pk}")
    row.get_by_text("Reschedule or cancel").click()
    new = two_sessions + dt.timedelta(days=2)
    row.get_by_label("New date").fill(new.isoformat())
    row.get_by_label("Time (optional)").fill("10:30")
    row.get_by_label("Reason", exact=True).fill("Clinic day")
    row.get_by_role("button", name="Move").click()
    expect(page.get_by_text("moved. The history keeps the old date.")).to_be_visible()
    nxt.refresh_from_db()
    assert (nxt.date, nxt.time, nxt.sequence) == (new, dt.time(10, 30), 1)
    check_accessibility(page)
    screenshot(page, "calendar-staff-desktop")
    # Brook, added today, has the first session planned four weeks from now.
    sync_plan(patient=cast_db.other_patient)
    page.goto(f"{live_server.url}/clinic/schedule/")
    expect(page.get_by_role("link", name="Tarrant, Brook")).to_have_count(
        2
    )  # consultation, session 1
    check_accessibility(page)
    screenshot(page, "calendar-clinic-schedule")


def test_the_staff_menu_names_the_schedule_once(
    page: Page, live_server: Any, cast_db: Cast, two_sessions: dt.date
) -> None:
    """The schedule and a patient's staff calendar added their own "Schedule" link to a menu
    that has one already: the narrow menu showed it twice."""
    page.set_viewport_size(NARROW)
    sign_in(page, live_server.url, "nurse-joy")
    menu = page.get_by_role("navigation", name="Main")
    page.goto(f"{live_server.url}/clinic/schedule/")
    expect(menu.get_by_role("link", name="Schedule")).to_have_count(1)
    expect(menu.get_by_role("link", name="Schedule")).to_have_attribute("aria-current", "page")
    fits_narrow(page, "calendar-clinic-schedule-360")
    page.goto(f"{live_server.url}/clinic/patients/{cast_db.patient.pk}/calendar/")
    expect(menu.get_by_role("link", name="Schedule")).to_have_count(1)
    expect(menu.get_by_role("link", name="Schedule")).not_to_have_attribute("aria-current", "page")
