"""Clinic settings in Chromium at 360 px: a clinic admin changes the clinic's urgent number
on the Safety settings page (a wrong number is refused beside its box, nothing stored), and
the patient who reports a sign that the medicine has spread sees the new number in the
"Get medical help today" guidance. Every page is checked with axe-core."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import fits_narrow, sign_in
from tests.personas import Cast


@pytest.fixture
def cast_db(transactional_db: None) -> Cast:
    from tests.personas import make_cast, verified_device
    from tests.safety.conftest import completed_session

    cast = make_cast()
    verified_device(cast.clinic_admin)
    completed_session(cast.patient, 3)
    return cast


def _fits(page: Page, name: str) -> None:
    fits_narrow(page, f"settings-{name}")


def test_the_admin_changes_the_urgent_number_and_the_patient_sees_it(
    phone: Any, live_server: Any, cast_db: Cast
) -> None:
    from cephalog.safety.models import SafetySettings

    # Both start signed in (logging in is tested through its pages elsewhere), at home.
    admin = phone()
    sign_in(admin, live_server.url, "admin-ann").goto(live_server.url + "/")
    admin.get_by_role("link", name="Settings", exact=True).click()
    expect(
        admin.get_by_role("heading", name="Clinic settings: Leeds Headache Centre")
    ).to_be_visible()
    _fits(admin, "hub")
    admin.get_by_role("link", name="Safety numbers and red-flag alerts").click()
    expect(
        admin.get_by_role("heading", name="Safety settings: Leeds Headache Centre")
    ).to_be_visible()
    _fits(admin, "safety")
    urgent = admin.get_by_label("The clinic's urgent number")
    urgent.fill("ring reception")
    admin.get_by_role("button", name="Save safety settings").click()
    expect(admin.get_by_text("Use digits only, with spaces, brackets or dashes")).to_be_visible()
    _fits(admin, "safety-refused")
    assert not SafetySettings.objects.exists()
    admin.get_by_label("The clinic's urgent number").fill("0113 496 0123")
    admin.get_by_label("Out-of-hours number (optional)").fill("111")
    admin.get_by_role("button", name="Save safety settings").click()
    expect(admin.get_by_text("Safety settings saved.")).to_be_visible()
    expect(admin.get_by_text("Call Leeds Headache Centre: 0113 496 0123")).to_be_visible()
    _fits(admin, "safety-saved")

    patient = phone()
    sign_in(patient, live_server.url, "ada").goto(live_server.url + "/")
    patient.get_by_role("link", name="Report a side effect").first.click()
    patient.locator('input[name="sym_double_vision"]').check()
    patient.get_by_role("button", name="Send to the clinic").click()
    expect(patient.get_by_role("heading", name="Get medical help today")).to_be_visible()
    call = patient.get_by_role("link", name="Call Leeds Headache Centre now: 0113 496 0123")
    expect(call).to_have_attribute("href", "tel:01134960123")
    expect(patient.get_by_role("link", name="Clinic closed? Out-of-hours: 111")).to_be_visible()
    _fits(patient, "patient-guidance")


def test_the_aftercare_protocol_and_wording_pages_fit_a_phone(
    phone: Any, live_server: Any, cast_db: Cast
) -> None:
    admin = phone()
    sign_in(admin, live_server.url, "admin-ann")
    admin.goto(live_server.url + "/clinic/settings/")
    admin.get_by_role("link", name="Aftercare advice").click()
    expect(admin.get_by_text("cannot be changed or removed")).to_be_visible()
    _fits(admin, "aftercare")
    admin.get_by_label("Add an optional precaution").fill("Drink some water.")
    admin.get_by_role("button", name="Save aftercare advice").click()
    expect(admin.get_by_text("Aftercare advice saved.")).to_be_visible()
    # After the 5 standard ones ("most people go back to normal activities" is not one).
    expect(admin.get_by_label("Optional precaution 6")).to_have_value("Drink some water.")
    admin.goto(live_server.url + "/clinic/settings/")
    admin.get_by_role("link", name="Protocol templates").click()
    admin.get_by_role("link", name="Add a template").click()
    admin.get_by_label("Short name").fill("temporal-ftp")
    admin.get_by_label("Title").fill("Temporal follow-the-pain only")
    admin.get_by_label("Most units in one session").fill("200")
    admin.get_by_role("button", name="Add the template").click()
    expect(admin.get_by_text("Must be between 155 and 195, got 200.")).to_be_visible()
    _fits(admin, "protocol-refused")
    admin.get_by_label("Most units in one session").fill("165")
    admin.get_by_label("Most injection sites in one session").fill("33")
    admin.get_by_label("Extra follow-the-pain sites in occipitalis").fill("0")
    admin.get_by_label("Extra follow-the-pain sites in trapezius").fill("0")
    admin.get_by_role("button", name="Add the template").click()
    expect(
        admin.get_by_text("Up to 165 units in 33 sites; follow-the-pain: 2 in temporalis.")
    ).to_be_visible()
    _fits(admin, "protocols")
    admin.goto(live_server.url + "/clinic/content-packs/")
    _fits(admin, "wording")
