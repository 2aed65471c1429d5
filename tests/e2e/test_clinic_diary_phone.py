"""The clinic's diary page of a patient on a 360 px phone: every day of the list is read
and edited without scrolling sideways."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from cephalog.core.time import patient_today
from cephalog.diary.actions import save_day
from tests.e2e.conftest import NARROW, SHOWN_LABELS, fits_narrow, sign_in
from tests.personas import Cast


@pytest.fixture
def cast_db(transactional_db: None) -> Cast:
    from tests.personas import make_cast

    return make_cast()


def test_the_day_list_fits_a_phone_with_its_flags_and_edit_links(
    page: Page, live_server: Any, cast_db: Cast
) -> None:
    """Staff walk, 7 Dec 2026: at 360 px the day list kept three columns in a box that
    scrolled sideways: the flags and reasons were cut off mid-word and the Edit link of
    every day was off the screen."""
    patient = cast_db.patient
    today = patient_today(patient)
    for ago, hours in ((1, 5.5), (2, 0)):
        save_day(
            patient=patient,
            data={
                "date": (today - dt.timedelta(days=ago)).isoformat(),
                "headache_hours": hours,
                **({"peak_intensity": "mild", "nausea": True} if hours else {}),
            },
            by=cast_db.nurse,
            today=today,
            source="staff",
        )
    page.set_viewport_size(NARROW)
    sign_in(page, live_server.url, "nurse-joy")
    page.goto(f"{live_server.url}/clinic/patients/{patient.pk}/diary/")
    days = page.locator("table.day-list")
    wrap = days.locator("xpath=..")
    assert wrap.evaluate("box => box.scrollWidth <= box.clientWidth + 1"), "the list scrolls"
    yesterday = days.locator("tbody tr").nth(1)
    edit = yesterday.get_by_role("link", name=f"Edit {today - dt.timedelta(days=1):%-d %B}")
    expect(edit).to_be_visible()
    box = edit.bounding_box()
    assert box is not None
    assert box["x"] + box["width"] <= NARROW["width"], box
    # Each cell says what it is, as the column headers are out of sight.
    shown = yesterday.locator("td[data-label]").evaluate_all(SHOWN_LABELS)
    assert shown == ["Recorded", "Derived flags and reasons"], shown
    expect(yesterday).to_contain_text("Headache day")
    fits_narrow(page, "clinic-diary-days-phone")
