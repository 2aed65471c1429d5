"""Eligibility in a browser: a physician records the consultation, opens the screening of a
patient with a flag, signs it off with a reason and records the decision to start; the
patient reads the plain-language page on a phone. Every page is checked with axe-core;
screenshots land in test-artifacts/."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from cephalog.core.time import patient_today
from cephalog.diary.actions import save_day
from cephalog.eligibility import actions
from tests.e2e.conftest import (
    DESKTOP,
    NARROW,
    PHONE,
    check_accessibility,
    fits_narrow,
    screenshot,
    sign_in,
)
from tests.personas import PASSWORD, Cast

MIGRAINE = {
    "headache_hours": 8,
    "peak_intensity": "severe",
    "pulsating": True,
    "unilateral": True,
    "nausea": True,
}
TRIPTAN = [{"name": "sumatriptan", "class": "triptan", "effective": True}]


@pytest.fixture
def cast_db(transactional_db: None) -> Cast:
    from tests.personas import make_cast

    return make_cast()


@pytest.fixture
def screened(cast_db: Cast) -> dt.date:
    """Ada: 12 weeks of paper diary with chronic migraine (21 headache, 14 migraine days per
    28, triptans on 7), three failed preventives, and tizanidine now: one flag to sign off."""
    cast = cast_db
    today = patient_today(cast.patient)
    for ago in range(84):
        kind = ago % 4
        if kind == 0:
            facts: dict[str, Any] = {"headache_hours": 0}
        elif kind == 1:
            facts = {**MIGRAINE, "acute_medications": TRIPTAN}
        elif kind == 2:
            facts = dict(MIGRAINE)
        else:
            facts = {"headache_hours": 5, "peak_intensity": "moderate"}
        save_day(
            patient=cast.patient,
            data={"date": (today - dt.timedelta(days=ago)).isoformat(), **facts},
            by=cast.nurse,
            today=today,
            reason="Paper diary typed in",
            source="staff",
        )
    actions.update_history(
        patient=cast.patient,
        by=cast.physician,
        today=today,
        migraine_onset_year=2004,
        migraine_with_aura=False,
        chronic_headache_since=today - dt.timedelta(days=400),
        intractable=True,
        status_migrainosus=False,
    )
    for name, start, weeks, outcome in (
        ("topiramate", 700, 14, "inadequate_response"),
        ("amitriptyline", 500, 16, "inadequate_response"),
    ):
        actions.save_preventive(
            patient=cast.patient,
            by=cast.physician,
            name=name,
            start=today - dt.timedelta(days=start),
            stop=today - dt.timedelta(days=start - 7 * weeks),
            outcome=outcome,
        )
    actions.save_medication(
        patient=cast.patient,
        by=cast.physician,
        name="tizanidine",
        start=today - dt.timedelta(days=200),
    )
    return today


def no_overflow(page: Page, name: str) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], (name, width)  # type: ignore[index]


def test_it_takes_a_physician_from_consultation_to_the_decision_to_start(
    page: Page,
    browser: Browser,
    live_server: Any,
    screened: dt.date,
    cast_db: Cast,
) -> None:
    cast = cast_db
    patient = cast.patient
    errors: list[str] = []
    # Script errors only: a refused form answers 400 on purpose.
    page.on(
        "console",
        lambda m: (
            errors.append(m.text)
            if m.type == "error" and "Failed to load resource" not in m.text
            else None
        ),
    )
    page.set_viewport_size(DESKTOP)  # type: ignore[arg-type]
    sign_in(page, live_server.url, "dr-house")  # logging in is tested through its pages elsewhere

    # The consultation record: the third preventive, its class suggested from the catalogue.
    page.goto(f"{live_server.url}/clinic/patients/{patient.pk}/consultation/")
    check_accessibility(page)
    add = page.locator("form[data-catalogue=preventives]")
    add.get_by_label("Drug").fill("Propranolol")
    add.get_by_label("Drug").dispatch_event("change")
    expect(add.get_by_label("Class")).to_have_value("beta_blocker")
    add.get_by_label("Dose").fill("80 mg daily")
    add.get_by_label("Started").fill((screened - dt.timedelta(days=300)).isoformat())
    add.get_by_label("Stopped").fill((screened - dt.timedelta(days=244)).isoformat())
    add.get_by_label("Outcome").select_option("intolerance")
    add.get_by_role("button", name="Add the preventive").click()
    section = page.locator("#preventives")
    expect(section.get_by_role("status")).to_have_text("Preventive added.")
    expect(section.locator("tbody tr")).to_have_count(3)
    expect(section).to_contain_text("8 weeks")
    expect(page.locator("#medicines")).to_contain_text("Interacts")
    check_accessibility(page)
    screenshot(page, "eligibility-consultation")

    # The screening: needs review, one flag, evidence for every criterion.
    page.get_by_role("link", name="Eligibility screening").click()
    expect(page.get_by_role("heading", name="Needs review")).to_be_visible()
    expect(page.locator("#criteria tbody tr")).to_have_count(3)  # NICE: CM, 3 failed, overuse
    expect(page.locator("#baseline")).to_contain_text("28/28")
    expect(page.locator("#preventives")).to_contain_text("3 counted, 3 required")
    expect(page.locator("#overuse")).to_contain_text("No overuse")
    expect(page.locator("#flags")).to_contain_text("Current muscle relaxant")
    check_accessibility(page)
    screenshot(page, "eligibility-screening-flag")

    # A reason is required; then the sign-off is shown with who and why.
    page.get_by_role("button", name="Sign off Current muscle relaxant").click()
    expect(page.locator("#flags .error")).to_contain_text("This field is required.")
    check_accessibility(page)
    page.get_by_label("Reason for signing off Current muscle relaxant").fill(
        "Low-dose tizanidine at night; warned about weakness; no change needed."
    )
    page.get_by_role("button", name="Sign off Current muscle relaxant").click()
    expect(page.get_by_text("Flag signed off.")).to_be_visible()
    expect(page.locator("#flags")).to_contain_text("Signed off by dr-house")

    # No problem left: the decision needs no override.
    expect(page.get_by_label("Override reason")).to_have_count(0)
    page.get_by_role("button", name="Record the decision to start").click()
    expect(page.get_by_text("Decision to start recorded.")).to_be_visible()
    expect(page.locator("#decision")).to_contain_text("Treatment sessions may start.")
    check_accessibility(page)
    screenshot(page, "eligibility-screening-decided")

    # The prior-authorisation letter for a US payer: a United States clinic's letter (17.6).
    from cephalog.accounts.models import Clinic

    Clinic.objects.filter(pk=patient.clinic_id).update(country="US")
    page.goto(f"{live_server.url}/clinic/patients/{patient.pk}/eligibility/letter/?policy=us-payer")
    letter = page.get_by_role("article", name="Letter")
    expect(letter).to_contain_text("G43.719")
    expect(letter).to_contain_text("Preventive treatments tried and failed (3)")
    check_accessibility(page)
    screenshot(page, "eligibility-letter-page")

    # The clinic's policies page.
    page.goto(f"{live_server.url}/clinic/policies/")
    expect(page.get_by_role("heading", name="Built-in policies")).to_be_visible()
    expect(page.get_by_role("heading", name="NICE TA260 default")).to_be_visible()
    expect(page.get_by_text("NICE TA260. Clinic admins choose the default.")).to_be_visible()
    check_accessibility(page)
    screenshot(page, "eligibility-policies")
    assert not errors, errors

    # The patient, on a phone, reads why and what happens next.
    context = browser.new_context(viewport=PHONE)  # type: ignore[arg-type]
    phone = context.new_page()
    phone.goto(f"{live_server.url}/accounts/login/")
    phone.get_by_label("Username or email").fill("ada")
    phone.get_by_label("Password").fill(PASSWORD)
    phone.get_by_role("button", name="Log in").click()
    phone.goto(f"{live_server.url}/me/eligibility/")
    expect(
        phone.get_by_role("heading", name="Your doctor has decided you can start Botox treatment")
    ).to_be_visible()
    expect(phone.locator("main")).to_contain_text("21 days with a headache, and 14 of them")
    expect(phone.locator("main")).to_contain_text("A preventive is a medicine you take every day")
    expect(phone.locator(".step-current")).to_contain_text("First treatment session")
    check_accessibility(phone)
    no_overflow(phone, "eligibility-mine")
    screenshot(phone, "eligibility-patient-390")
    context.close()


def test_the_screening_with_a_flag_fits_a_phone(
    page: Page,
    live_server: Any,
    screened: dt.date,
    cast_db: Cast,
) -> None:
    """The flag's rule code (interacting_medication:muscle_relaxant) is one long word: the
    screening page was 397 px wide on a 360 px phone."""
    page.set_viewport_size(NARROW)
    sign_in(page, live_server.url, "dr-house")
    page.goto(f"{live_server.url}/clinic/patients/{cast_db.patient.pk}/eligibility/")
    expect(page.locator("#flags")).to_contain_text("interacting_medication:muscle_relaxant")
    fits_narrow(page, "eligibility-screening-flag-360")
