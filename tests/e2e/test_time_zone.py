"""A patient on a 360 px phone reads which time zone her diary keeps, as a place, and that
the clinic changes it; a nurse changes it from the patient's page, choosing from the
clinic's zone first."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Page, expect

from cephalog.patients.models import Patient
from tests.e2e.conftest import NARROW, fits_narrow, sign_in
from tests.personas import Cast


def test_the_patient_reads_her_diarys_time_zone_and_the_clinic_changes_it(
    page: Page, live_server: Any, cast: Cast
) -> None:
    page.set_viewport_size(NARROW)  # type: ignore[arg-type]
    sign_in(page, live_server.url, "ada")
    page.goto(live_server.url + "/me/settings/")
    card = page.get_by_role("region", name="Your diary's time zone")
    expect(card).to_contain_text("Your diary keeps the time in London (UK).")
    expect(card).to_contain_text("Only the clinic can change it.")
    expect(card.get_by_role("link", name="0113 000 0000")).to_be_visible()
    expect(page.locator("select, [name=time_zone]")).to_have_count(0)  # nothing to change it
    fits_narrow(page, "diary-settings-time-zone")

    staff = page.context.browser.new_context(viewport=NARROW)  # type: ignore[union-attr]
    try:
        nurse = sign_in(staff.new_page(), live_server.url, "nurse-joy")
        nurse.goto(f"{live_server.url}/clinic/patients/{cast.patient.pk}/")
        nurse.get_by_role("link", name="Edit contact details").click()
        zone = nurse.get_by_label("Time zone", exact=True)
        expect(zone).to_have_value("Europe/London")
        expect(zone.locator("option").first).to_have_text("London (UK)")
        zone.select_option(label="Auckland (New Zealand)")
        fits_narrow(nurse, "patient-contact-time-zone")
        nurse.get_by_role("button", name="Save contact details").click()
        expect(nurse.get_by_text("Auckland (New Zealand)")).to_be_visible()
    finally:
        staff.close()
    assert Patient.objects.get(pk=cast.patient.pk).time_zone == "Pacific/Auckland"

    page.reload()
    expect(page.get_by_role("region", name="Your diary's time zone")).to_contain_text(
        "Your diary keeps the time in Auckland (New Zealand)."
    )
