"""A patient reports double vision on day 3; the clinic cannot miss it, even when email fails."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

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
from tests.safety.backends import FAILING, LOCMEM


@pytest.fixture
def cast_db(transactional_db: None) -> Cast:
    from cephalog.core.time import patient_today
    from cephalog.treatment.models import Session, SessionStatus
    from tests.personas import make_cast

    cast = make_cast()
    cast.clinic.safety_email = "safety@leeds.example.org"
    cast.clinic.save(update_fields=["safety_email"])
    cast.physician.first_name, cast.physician.last_name = "Alex", "Morgan"
    cast.physician.save()
    # A completed session three days ago (fixture shortcut through the ORM).
    Session.objects.create(
        patient=cast.patient,
        date=patient_today(cast.patient) - dt.timedelta(days=3),
        status=SessionStatus.COMPLETED,
        total_units=155,
        sites_injected=31,
    )
    return cast


def _login(page: Page, base: str, username: str) -> None:
    # Signed in as after the log-in pages (staff past their second factor, enrolled before
    # the relay went down), landing where they land: this journey is the red flag's.
    sign_in(page, base, username)
    page.goto(base + "/")


def _banner(page: Page) -> Any:
    return page.locator("section.safety-banner[role=alert]")


def test_a_red_flag_reaches_the_clinic_and_stays_until_a_physician_acknowledges(
    page: Page, browser: Browser, live_server: Any, cast_db: Cast, settings: Any
) -> None:
    from cephalog.safety import outbox
    from cephalog.safety.models import EmailStatus, OutboundEmail, SafetyAlert

    base = live_server.url
    settings.MAILERS = FAILING  # the mail relay is down all along the report

    # --- The patient, on a phone, on day 3 ---------------------------------------------
    page.set_viewport_size(PHONE)
    _login(page, base, "ada")
    page.get_by_role("link", name="Tell us how you have been since your treatment").click()
    expect(
        page.get_by_role("heading", name="How have you been since your treatment on")
    ).to_be_visible()
    expect(page.get_by_role("button", name="No problems")).to_be_visible()
    check_accessibility(page)
    screenshot(page, "safety-checkin-phone")

    page.get_by_label("Double vision").check()
    details = page.locator(".symptom", has=page.get_by_label("Double vision"))
    expect(details.get_by_label("When did it start?")).to_be_visible()
    details.get_by_label("Severe: I cannot do my usual things").check()
    check_accessibility(page)
    screenshot(page, "safety-checkin-double-vision-phone")
    page.get_by_role("button", name="Send to the clinic").click()

    # Double vision: a sign of spread of toxin effect, medical help today (Medication Guide).
    expect(page.get_by_role("heading", name="Get medical help today")).to_be_visible()
    expect(
        page.get_by_role("link", name="Call Leeds Headache Centre now: 0113 000 0000")
    ).to_have_attribute("href", "tel:01130000000")
    expect(page.get_by_role("link", name="Emergency: call 999")).to_have_attribute(
        "href", "tel:999"
    )
    expect(page.get_by_text("We have sent your report to Leeds Headache Centre")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    check_accessibility(page)
    screenshot(page, "safety-urgent-guidance-phone")

    # Stored before any email, and the email failure did not lose it.
    alert = SafetyAlert.objects.get(patient=cast_db.patient)
    email = OutboundEmail.objects.get(alert=alert)
    assert alert.is_open
    assert email.status == EmailStatus.FAILED

    # --- A nurse's screen: the alert on every page --------------------------------------
    nurse_context = browser.new_context(viewport=DESKTOP)
    nurse = nurse_context.new_page()
    _login(nurse, base, "nurse-joy")
    expect(_banner(nurse)).to_contain_text("MRN-1001: Diplopia")
    expect(_banner(nurse)).not_to_contain_text("Quill")
    check_accessibility(nurse)
    screenshot(nurse, "safety-banner-nurse-patient-list")
    nurse.get_by_role("link", name="Quill, Ada").click()
    expect(_banner(nurse)).to_contain_text("MRN-1001: Diplopia")
    nurse.goto(base + "/clinic/alerts/")
    expect(nurse.get_by_text("Safety emails not delivered yet")).to_be_visible()
    expect(nurse.get_by_role("cell", name="SMTPConnectError", exact=False)).to_be_visible()
    check_accessibility(nurse)
    screenshot(nurse, "safety-alerts-nurse")

    # --- A physician acknowledges with the action taken ---------------------------------
    doctor_context = browser.new_context(viewport=DESKTOP)
    doctor = doctor_context.new_page()
    _login(doctor, base, "dr-house")
    _banner(doctor).get_by_role("link", name="MRN-1001: Diplopia").click()
    expect(doctor.get_by_role("heading", name="Red flag #")).to_be_visible()
    check_accessibility(doctor)
    screenshot(doctor, "safety-alert-detail-physician")
    doctor.get_by_label("Action taken").fill(
        "Phoned the patient: diplopia since this morning; advised the emergency department now."
    )
    doctor.get_by_role("button", name="Acknowledge").click()
    expect(doctor.get_by_text("Alert acknowledged")).to_be_visible()
    expect(_banner(doctor)).to_have_count(0)
    screenshot(doctor, "safety-alerts-after-acknowledgement")

    nurse.goto(base + "/clinic/patients/")
    expect(_banner(nurse)).to_have_count(0)

    # --- The register and the clinic's rates ---------------------------------------------
    nurse.goto(base + "/clinic/safety/register/")
    row = nurse.get_by_role("row").filter(has_text="Diplopia")
    expect(row).to_contain_text("MRN-1001")
    expect(row).to_contain_text("red flag")
    check_accessibility(nurse)
    screenshot(nurse, "safety-register")
    nurse.goto(base + "/clinic/safety/rates/")
    expect(nurse.get_by_role("row", name="Diplopia")).to_contain_text("100.0 %")
    expect(nurse.get_by_role("row", name="Neck pain")).to_contain_text("9.0 %")
    check_accessibility(nurse)
    screenshot(nurse, "safety-rates")

    # The one-page cycle summary reads the events through events_between.
    from cephalog.core.time import patient_today
    from cephalog.safety.queries import events_between

    today = patient_today(cast_db.patient)
    cycle = events_between(cast_db.patient, today - dt.timedelta(days=3), today)
    assert [(e.label, e.red_flag) for e in cycle] == [("Diplopia", True)]

    # The relay is back: the sweep sends the retried email.
    settings.MAILERS = LOCMEM
    email.refresh_from_db()
    outbox.deliver_due(now=email.next_attempt_at)
    email.refresh_from_db()
    assert email.status == EmailStatus.SENT
    nurse_context.close()
    doctor_context.close()


def test_a_physician_records_an_event_with_sites_to_avoid_next_time(
    page: Page, live_server: Any, cast_db: Cast
) -> None:
    from cephalog.safety.queries import avoid_sites_for

    base = live_server.url
    page.set_viewport_size(DESKTOP)
    sign_in(page, base, "dr-house")
    page.goto(f"{base}/clinic/patients/{cast_db.patient.pk}/adverse-events/")
    check_accessibility(page)
    page.get_by_role("link", name="Record an adverse event").click()
    page.get_by_label("Symptom").select_option(label="Brow ptosis")
    page.get_by_label("Severity").select_option("moderate")
    page.get_by_label("Session", exact=True).select_option(index=1)
    page.get_by_label("Related to the treatment?").select_option("related")
    page.get_by_label("Outcome").select_option("recovering")
    page.get_by_label("Actions (e.g. avoid lower frontalis sites next time)").fill(
        "Avoid the lower frontalis sites next time."
    )
    avoid = page.get_by_role("group", name="Sites to avoid at the next session")
    avoid.get_by_text("Choose sites").click()
    avoid.get_by_label("Frontalis left 1 – frontalis-L-1").check()
    avoid.get_by_label("Frontalis right 1 – frontalis-R-1").check()
    check_accessibility(page)
    screenshot(page, "safety-event-form")
    page.get_by_role("button", name="Record event").click()
    expect(page.get_by_text("Adverse event recorded.")).to_be_visible()
    expect(page.get_by_role("heading", name="Sites to avoid at the next session")).to_be_visible()
    expect(page.get_by_role("row").filter(has_text="Brow ptosis")).to_contain_text("Related")
    check_accessibility(page)
    screenshot(page, "safety-patient-events")
    assert [code for code, _ in avoid_sites_for(cast_db.patient)] == [
        "frontalis-L-1",
        "frontalis-R-1",
    ]


def test_a_check_in_with_a_missing_detail_says_so_where_the_phone_shows_it(
    page: Page, live_server: Any, cast_db: Cast
) -> None:
    """Neck pain ticked without saying how bad: the page came back looking unchanged (two
    warning boxes fill the first screen) with the only word of it two screens down."""
    from cephalog.safety.models import AdverseEvent, CheckIn

    page.set_viewport_size(NARROW)
    _login(page, live_server.url, "ada")
    page.goto(f"{live_server.url}/me/checkin/")
    page.get_by_label("Neck pain").check()
    page.get_by_role("button", name="Send to the clinic").click()
    summary = page.get_by_role("alert").filter(has_text="Please check this")
    expect(summary).to_be_in_viewport()
    expect(summary).to_contain_text("Neck pain: Choose how bad it is.")
    expect(summary).to_contain_text("Nothing has been sent yet.")
    fits_narrow(page, "safety-checkin-missing-detail-360")
    summary.get_by_role("link", name="Neck pain").click()
    details = page.locator(".symptom", has=page.get_by_label("Neck pain"))
    details.get_by_label("Mild: it does not stop me doing things").check()
    assert not CheckIn.objects.filter(patient=cast_db.patient).exists()
    page.get_by_role("button", name="Send to the clinic").click()
    expect(page.get_by_role("alert").filter(has_text="Please check")).to_have_count(0)
    assert AdverseEvent.objects.filter(patient=cast_db.patient, symptom="neck_pain").exists()
