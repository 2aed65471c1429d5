"""At 360 px, with axe: a nurse records a bridging treatment only after choosing the date and
the treatment, then withdraws a mistaken one with a reason; a clinic admin finds a patient's
audit events by MRN and by name (the search never in the address) and picks a data category
from a list."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from cephalog.audit.actions import record
from cephalog.core.time import patient_today
from cephalog.outcomes.models import BridgingTreatment
from tests.e2e.conftest import NARROW, fits_narrow, sign_in
from tests.personas import Cast


@pytest.fixture
def cast_db(transactional_db: None) -> Cast:
    from tests.personas import make_cast

    return make_cast()


def test_a_nurse_records_and_withdraws_a_bridging_treatment_on_a_phone(
    page: Page, live_server: Any, cast_db: Cast
) -> None:
    patient = cast_db.patient
    given = patient_today(patient) - dt.timedelta(days=3)
    page.set_viewport_size(NARROW)
    sign_in(page, live_server.url, "nurse-joy")
    page.goto(f"{live_server.url}/clinic/patients/{patient.pk}/outcomes/#bridging")
    form = page.locator("form.bridging-form")
    expect(form.get_by_label("Date given")).to_have_value("")
    expect(form.locator("input[name=kind]:checked")).to_have_count(0)

    # The untouched form records nothing and says what to choose.
    form.get_by_role("button", name="Record bridging treatment").click()
    summary = page.locator(".error-summary")
    expect(summary).to_contain_text("Give the date the treatment was given.")
    expect(summary).to_contain_text("Choose the treatment that was given.")
    assert not BridgingTreatment.objects.exists()
    fits_narrow(page, "bridging-refused")

    form = page.locator("form.bridging-form")
    form.get_by_label("Date given").fill(given.isoformat())
    form.get_by_label("Nerve block").check()
    form.get_by_role("button", name="Record bridging treatment").click()
    expect(page.get_by_text("Bridging treatment recorded.")).to_be_visible()
    entry = page.locator(".bridging-list li").first
    expect(entry).to_contain_text("Nerve block")

    entry.get_by_text("Withdraw this entry").click()
    withdraw = f"Withdraw nerve block of {given.day} {given:%b %Y}"
    entry.get_by_role("button", name=withdraw).click()
    expect(page.get_by_role("alert").filter(has_text="Say why")).to_be_visible()
    fits_narrow(page, "bridging-withdraw-refused")
    entry = page.locator(".bridging-list li").first
    entry.get_by_label("Why is this entry withdrawn?").fill("Recorded for the wrong day.")
    entry.get_by_role("button", name=withdraw).click()
    expect(page.get_by_text(f"Nerve block of {given.day} {given:%b %Y} withdrawn.")).to_be_visible()
    expect(page.locator(".bridging-list")).to_have_text("None recorded.")
    expect(page.locator(".bridging-withdrawn")).to_contain_text("Recorded for the wrong day.")
    expect(page.locator("#decisions .timeline")).not_to_contain_text("Nerve block")
    fits_narrow(page, "bridging-withdrawn")
    assert BridgingTreatment.objects.get().withdrawn_at is not None


def test_an_admin_finds_a_patients_audit_events_by_mrn_and_name_on_a_phone(
    page: Page, live_server: Any, cast_db: Cast
) -> None:
    record(action="read", category="diary", patient=cast_db.patient, user=cast_db.nurse)
    record(action="read", category="chart", patient=cast_db.other_patient, user=cast_db.nurse)
    page.set_viewport_size(NARROW)
    sign_in(page, live_server.url, "admin-ann")
    page.goto(f"{live_server.url}/clinic/audit/")
    fits_narrow(page, "audit-filters")

    page.get_by_label("Patient: MRN or name").fill("mrn-1001")
    page.get_by_role("button", name="Find patient").click()
    expect(page.locator(".filtered-patient")).to_contain_text("Ada Quill, MRN MRN-1001")
    assert f"patient={cast_db.patient.pk}" in page.url
    assert "1001" not in page.url
    expect(page.locator(".audit-table")).to_contain_text("Viewed the diary")
    expect(page.locator(".audit-table")).not_to_contain_text("Brook Tarrant")

    page.get_by_label("Patient: MRN or name").fill("Tarr")
    page.get_by_role("button", name="Find patient").click()
    expect(page.locator(".filtered-patient")).to_contain_text("Brook Tarrant")
    assert "Tarr" not in page.url

    page.get_by_label("Patient: MRN or name").fill("a")
    page.get_by_role("button", name="Find patient").click()
    found = page.locator(".found")
    expect(found).to_contain_text("Patients who match")
    fits_narrow(page, "audit-patients-found")
    found.get_by_role("link", name="Ada Quill").click()
    expect(page.locator(".filtered-patient")).to_contain_text("Ada Quill")

    page.get_by_label("Data category").select_option(label="The chart")
    page.get_by_role("button", name="Filter").click()
    assert "category=chart" in page.url
    assert f"patient={cast_db.patient.pk}" in page.url  # the patient filter kept
    expect(page.locator(".audit-table")).to_contain_text("No events match.")
    fits_narrow(page, "audit-category")
