"""At 360 px the clinic's urgent number is right beside "call the clinic's urgent number":
a tap-to-call link at least 44 px tall, on the check-in, its result and the aftercare."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from tests.e2e.conftest import NARROW, fits_narrow, sign_in
from tests.personas import Cast


@pytest.fixture
def cast_db(transactional_db: None) -> Cast:
    """Ada, three days after a session (her day-3 check-in due); her clinic has set its
    urgent and out-of-hours numbers."""
    from tests.personas import make_cast
    from tests.safety.conftest import completed_session

    cast = make_cast()
    completed_session(cast.patient, 3)
    return cast


def _tap_to_call(page: Page, name: str, number: str) -> None:
    link = page.get_by_role("link", name=name)
    expect(link).to_be_visible()
    expect(link).to_have_attribute("href", f"tel:{number}")
    box = link.bounding_box()
    assert box is not None
    assert box["height"] >= 44, f"{name}: {box['height']} px tall"
    assert box["x"] >= 0
    assert box["x"] + box["width"] <= NARROW["width"]


def test_the_urgent_number_is_a_tap_away_at_360_px(
    page: Page, live_server: Any, cast_db: Cast
) -> None:
    from cephalog.safety.models import SafetySettings
    from cephalog.treatment.models import Session

    SafetySettings.objects.create(
        clinic=cast_db.clinic, urgent_phone="0113 496 0123", out_of_hours_number="111"
    )
    page.set_viewport_size(NARROW)
    sign_in(page, live_server.url, "ada")

    page.goto(f"{live_server.url}/me/checkin/")
    _tap_to_call(page, "Leeds Headache Centre's urgent number: 0113 496 0123", "01134960123")
    _tap_to_call(page, "Clinic closed? Out-of-hours: 111", "111")
    _tap_to_call(page, "Emergency services: 999", "999")
    fits_narrow(page, "call-numbers-checkin-360")

    page.get_by_label("Neck pain").check()
    details = page.locator(".symptom", has=page.get_by_label("Neck pain"))
    details.get_by_label("Mild: it does not stop me doing things").check()
    page.get_by_role("button", name="Send to the clinic").click()
    expect(page.get_by_role("heading", name="Thank you")).to_be_visible()
    _tap_to_call(page, "Leeds Headache Centre's urgent number: 0113 496 0123", "01134960123")
    _tap_to_call(page, "Emergency services: 999", "999")
    fits_narrow(page, "call-numbers-checkin-result-360")

    session = Session.objects.get(patient=cast_db.patient)
    page.goto(live_server.url + reverse("session-aftercare", args=[session.pk]))
    label = page.locator("section.label-guidance")
    expect(label).to_contain_text("Call the clinic's urgent number")
    _tap_to_call(page, "Leeds Headache Centre's urgent number: 0113 496 0123", "01134960123")
    _tap_to_call(page, "Clinic closed? Out-of-hours: 111", "111")
    fits_narrow(page, "call-numbers-aftercare-360")
