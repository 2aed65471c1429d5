"""Clinic operations in Chromium at 360 px (issue 17): the demo clinic as its nurse,
physician and clinic admin: the schedule, a red flag acknowledged one-handed, contact
details, an email change the patient confirms, staff management without the Django admin,
the audit page in words, and the paperwork of the clinic's country."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import Page, expect

from tests.e2e.conftest import NARROW, check_accessibility, fits_narrow, log_in, sign_in


@pytest.fixture
def demo(transactional_db: None) -> dict[str, str]:
    from cephalog.demo.load import DEMO_PASSWORD, load_demo
    from cephalog.patients.models import Patient

    result = load_demo(n_patients=12, seed=1, today=timezone.localdate())
    what = {text: mrn for mrn, text in result.highlights}
    names = {
        p.mrn: f"{p.family_name}, {p.given_name}"
        for p in Patient.objects.filter(clinic__slug="demo")
    }
    due = next(m for t, m in what.items() if t.startswith("session due"))
    overdue = next(m for t, m in what.items() if t.startswith("session overdue"))
    flagged = next(m for t, m in what.items() if t.startswith("red flag"))
    return {
        "password": DEMO_PASSWORD,
        "due": names[due],
        "overdue": names[overdue],
        "flagged": flagged,
    }


def _fits(page: Page, name: str) -> None:
    fits_narrow(page, f"ops-{name}")


def test_the_nurse_works_the_schedule_and_acknowledges_a_red_flag_one_handed(
    phone: Any, live_server: Any, demo: dict[str, str]
) -> None:
    page = phone()
    log_in(page, live_server.url, "nurse", demo["password"])
    page.get_by_role("link", name="Schedule").click()
    overdue = page.locator("section", has=page.get_by_role("heading", name=re.compile("Overdue")))
    expect(overdue).to_contain_text(demo["overdue"])
    expect(overdue).to_contain_text("5 days overdue")
    _fits(page, "schedule")
    page.get_by_label("Show the next").select_option("1")
    page.get_by_role("button", name="Show").click()
    window = page.locator("section", has=page.get_by_role("heading", name="The next 1 week"))
    expect(window).to_contain_text(demo["due"])
    expect(window.get_by_role("row").filter(has_text=demo["due"])).to_contain_text("Session")

    # The red flag: from the banner, acknowledged with one thumb.
    page.locator("section.safety-banner").get_by_role(
        "link", name=re.compile(demo["flagged"])
    ).click()
    expect(page.get_by_role("heading", name=re.compile("Red flag #"))).to_be_visible()
    _fits(page, "red-flag")
    jump = page.get_by_role("link", name="Acknowledge this red flag ↓")
    box = jump.bounding_box()
    assert box is not None
    assert box["y"] > NARROW["height"] * 0.75, box  # at the bottom of the screen
    assert box["width"] > 300, box
    assert box["height"] >= 48, box
    jump.click()
    page.get_by_role("button", name="Phoned: no sign of spread").click()
    expect(page.get_by_label("Action taken")).to_have_value(re.compile("no sign of spread"))
    button = page.get_by_role("button", name="Acknowledge")
    button.scroll_into_view_if_needed()
    box = button.bounding_box()
    assert box is not None
    assert box["width"] > 300, box
    assert box["height"] >= 48, box
    button.click()
    expect(page.get_by_text("Alert acknowledged")).to_be_visible()
    expect(page.locator("section.safety-banner")).to_have_count(0)


def test_the_physician_edits_contact_details_and_the_patient_confirms_a_new_email(
    phone: Any, live_server: Any, demo: dict[str, str]
) -> None:
    page = phone()
    sign_in(page, live_server.url, "physician")
    page.goto(live_server.url + "/clinic/patients/")
    # The demo's patient login, mid-treatment (DEMO-00001).
    page.get_by_role("link", name=re.compile("DEMO-00001|Marigold")).first.click()
    _fits(page, "chart")
    page.get_by_role("link", name="Edit contact details").click()
    _fits(page, "contact")
    page.get_by_label("Phone").fill("+44 20 7946 0999")
    page.get_by_label("Email").fill("new-address@example.org")
    page.get_by_label("Preferred contact").select_option("sms")
    page.get_by_role("button", name="Save contact details").click()
    expect(page.get_by_text("once the patient confirms it")).to_be_visible()
    expect(page.get_by_text("+44 20 7946 0999")).to_be_visible()
    expect(page.get_by_text("Waiting for the patient to confirm")).to_be_visible()
    link = next(
        re.search(r"https?://\S+/me/email/confirm/\S+/", m.body)
        for m in mail.outbox
        if m.to == ["new-address@example.org"]
    )
    assert link is not None
    assert any("Nothing changes until you confirm" in m.body for m in mail.outbox)

    # The patient, on their phone, opens the link and signs in with their own password.
    patient = phone()
    patient.goto(live_server.url + "/" + link.group(0).split("/", 3)[3])
    expect(patient).to_have_url(re.compile("/accounts/login/"))
    patient.get_by_label("Username or email").fill("patient")
    patient.get_by_label("Password").fill(demo["password"])
    patient.get_by_role("button", name="Log in").click()
    expect(patient.get_by_text("new-address@example.org")).to_be_visible()
    check_accessibility(patient)
    patient.get_by_role("button", name="Yes, use this address").click()
    expect(patient.get_by_text("Your new email address is saved.")).to_be_visible()

    # The paperwork of a UK clinic: NICE TA260 and GP letters, the Yellow Card.
    page.reload()
    expect(page.get_by_text("new-address@example.org")).to_be_visible()
    page.get_by_role("link", name=re.compile("Eligibility")).click()
    page.get_by_role("link", name="Letters (NICE TA260, GP)").click()
    expect(
        page.get_by_role("heading", name="Funding and continuation letter (NICE TA260)")
    ).to_be_visible()
    expect(page.get_by_text("A4 paper")).to_be_visible()
    _fits(page, "letter-continuation")
    page.get_by_role("link", name="Letter to the GP").click()
    expect(page.get_by_text("Dear Doctor")).to_be_visible()
    _fits(page, "letter-gp")


def test_the_clinic_admin_manages_staff_reads_the_audit_and_sets_the_country(
    phone: Any, live_server: Any, demo: dict[str, str]
) -> None:
    page = phone()
    log_in(page, live_server.url, "admin", demo["password"])
    expect(page.get_by_role("link", name="Admin", exact=True)).to_have_count(0)
    page.get_by_role("link", name="Staff").click()
    _fits(page, "staff")
    page.get_by_role("link", name="Invite a colleague").click()
    page.get_by_label("First name").fill("Riley")
    page.get_by_label("Last name").fill("Stone")
    page.get_by_label("Email").fill("riley@example.org")
    page.get_by_label("Role").select_option("nurse")
    page.get_by_role("button", name="Send the invitation").click()
    expect(page.get_by_text("Invitation sent to riley@example.org")).to_be_visible()
    assert any(m.to == ["riley@example.org"] and "/accounts/invite/" in m.body for m in mail.outbox)
    _fits(page, "staff-member")
    page.get_by_label("New role").select_option("physician")
    page.get_by_role("button", name="Change the role").click()
    expect(page.get_by_text("Role changed.")).to_be_visible()
    page.get_by_label("Course").fill("PREEMPT injection workshop")
    page.get_by_label("Completed on").fill("2025-10-01")
    page.get_by_role("button", name="Record training").click()
    expect(page.get_by_text("PREEMPT injection workshop (1 Oct 2025)")).to_be_visible()
    page.get_by_role("button", name="Disable the account").click()
    expect(page.get_by_text("Account disabled")).to_be_visible()
    # Their own role: not changeable here.
    page.get_by_role("link", name="← Staff").click()
    page.get_by_role("link", name="Jordan Lee").click()
    expect(page.get_by_text("You cannot change your own role")).to_be_visible()

    page.get_by_role("link", name="Audit").click()
    expect(
        page.get_by_text("Changed the role of Riley Stone (riley): Nurse → Physician (injector)")
    ).to_be_visible()
    expect(page.get_by_text("Invited Riley Stone (riley) as nurse")).to_be_visible()
    expect(page.get_by_text("Disabled the login of Riley Stone (riley)")).to_be_visible()
    expect(page.locator("td", has_text="MRN DEMO-").first).to_be_visible()
    _fits(page, "audit")

    page.goto(live_server.url + "/clinic/settings/")
    _fits(page, "clinic-settings")
    page.get_by_label(re.compile("Country")).select_option("US")
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_text("US Letter")).to_be_visible()
    expect(page.get_by_text("FDA MedWatch Form 3500")).to_be_visible()
    page.goto(live_server.url + "/admin/")
    expect(page).to_have_url(re.compile("/admin/login/"))
