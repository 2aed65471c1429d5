"""A physician records a full PREEMPT session with follow-the-pain sites on the map."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from tests.e2e.conftest import DESKTOP, PHONE, check_accessibility, screenshot
from tests.personas import PASSWORD, Cast

TABLET = {"width": 820, "height": 1180}

#: Follow-the-pain sites ticked on the map: temporalis +2, occipitalis +2, trapezius +4.
FTP_ON_MAP = (
    "Left temporalis 5",
    "Left temporalis 6",
    "Right occipitalis 4",
    "Right occipitalis 5",
    "Left trapezius 4",
    "Left trapezius 5",
    "Right trapezius 4",
    "Right trapezius 5",
)


@pytest.fixture
def cast_db(transactional_db: None) -> Cast:
    from tests.personas import make_cast

    cast = make_cast()
    cast.physician.first_name, cast.physician.last_name = "Alex", "Morgan"
    cast.physician.save()
    return cast


def total(page: Page, name: str) -> Any:
    return page.locator(f'[data-total="{name}"]')


@pytest.mark.parametrize("viewport", [DESKTOP, TABLET], ids=["desktop", "tablet"])
def test_a_physician_records_a_full_preempt_session_with_follow_the_pain_on_the_map(
    page: Page, login: Any, live_server: Any, cast_db: Cast, viewport: dict[str, int]
) -> None:
    size = "desktop" if viewport is DESKTOP else "tablet"
    page.set_viewport_size(viewport)
    login("dr-house", PASSWORD)
    page.goto(f"{live_server.url}/clinic/patients/{cast_db.patient.pk}/")
    page.get_by_role("link", name="Sessions record site by site").click()
    expect(page.get_by_role("heading", name="Injection sessions")).to_be_visible()
    check_accessibility(page)
    screenshot(page, f"session-start-{size}")

    # Point-of-care checks, then start.
    for question in (
        "Any infection at the injection sites today?",
        "Any new red-flag symptoms since the last session?",
        "Is the patient pregnant, or could she be?",
    ):
        page.get_by_role("group", name=question).get_by_label("No").check()
    page.get_by_label("Reason to proceed (pre-checks)").fill(
        "Eligibility confirmed at the referral clinic on paper."
    )
    page.get_by_role("button", name="Start session").click()
    expect(page.get_by_role("heading", name=re.compile(r"^Session "))).to_be_visible()

    # The vial: 200 U in 4 mL, reconstituted now (the form's default).
    page.get_by_label("Lot number").fill("C1234AB")
    expiry = timezone.localdate() + dt.timedelta(days=200)
    page.get_by_label("Expiry date").fill(expiry.isoformat())
    page.get_by_role("button", name="Add vial").click()
    expect(page.get_by_text("Vial recorded.")).to_be_visible()
    expect(page.get_by_text("200 U opened.")).to_be_visible()

    # The 31 fixed sites in one go, then the follow-the-pain sites on the map.
    site_map = page.locator(".site-map")
    expect(site_map).to_be_visible()
    page.get_by_role("button", name="Mark all 31 fixed sites done").click()
    expect(total(page, "units")).to_have_text("155")
    expect(total(page, "pending")).to_have_text("0")
    expect(total(page, "waste")).to_have_text("45")
    for i, label in enumerate(FTP_ON_MAP):
        marker = site_map.get_by_role(
            "checkbox", name=re.compile(rf"^{label} \(follow-the-pain\), 5 units, not added$")
        )
        if i % 2:
            marker.click()
        else:  # keyboard works too
            marker.focus()
            page.keyboard.press("Space")
        expect(
            site_map.get_by_role("checkbox", name=f"{label} (follow-the-pain), 5 units, added")
        ).to_have_attribute("aria-checked", "true")
    expect(total(page, "units")).to_have_text("195")
    expect(total(page, "sites")).to_have_text("39")
    expect(total(page, "ftp")).to_have_text("8")
    expect(total(page, "waste")).to_have_text("5")
    # The list's real checkboxes follow the map.
    expect(page.locator("#site-temporalis-L-5")).to_be_checked()
    check_accessibility(page)
    page.evaluate("window.scrollTo(0, 0)")  # the totals bar is sticky
    screenshot(page, f"session-recording-{size}")

    page.get_by_label("Topical anaesthetic").select_option("ice")
    page.get_by_role("button", name="Complete and sign").click()
    expect(page.get_by_text("Session completed, signed and locked.")).to_be_visible()
    expect(page.get_by_test_id("total-units")).to_have_text("195 U")
    expect(page.get_by_test_id("total-sites")).to_have_text("39 sites")
    expect(page.get_by_test_id("waste")).to_have_text("5 U")
    rows = page.locator("table.billing tbody tr")
    expect(rows).to_have_count(3)
    lines = [row.locator("th, td").all_inner_texts()[:3] for row in rows.all()]
    assert lines == [["64615", "–", "1"], ["J0585", "–", "195"], ["J0585", "JW", "5"]]
    expect(page.get_by_role("button", name="Complete and sign")).to_have_count(0)
    expect(page.get_by_role("button", name="Add addendum")).to_be_visible()
    check_accessibility(page)
    screenshot(page, f"session-completed-{size}")


def test_an_early_session_demands_a_reason_in_the_browser(
    page: Page, login: Any, live_server: Any, cast_db: Cast
) -> None:
    from tests.treatment.helpers import full_session

    full_session(
        cast_db.patient, cast_db.physician, now=timezone.now() - dt.timedelta(days=70, hours=1)
    )
    cast_db.clinic.minimum_interval_days = 60
    cast_db.clinic.save()
    page.set_viewport_size(DESKTOP)
    login("dr-house", PASSWORD)
    page.goto(f"{live_server.url}/clinic/patients/{cast_db.patient.pk}/sessions/")
    expect(page.locator(".rules")).to_contain_text("70 days since the last session")
    for group in page.locator("fieldset").filter(has=page.get_by_label("No")).all():
        group.get_by_label("No").check()
    page.get_by_label("Reason to proceed (pre-checks)").fill("Eligibility confirmed on paper.")
    page.get_by_role("button", name="Start session").click()
    expect(page.get_by_role("alert")).to_contain_text("antibody risk")
    check_accessibility(page)
    screenshot(page, "session-interval-refused")
    page.get_by_label("Reason for an early session (interval)").fill(
        "Going abroad for three months; antibody risk discussed and accepted."
    )
    page.get_by_role("button", name="Start session").click()
    expect(page.get_by_role("heading", name=re.compile(r"^Session "))).to_be_visible()
    expect(page.get_by_text("Overridden with a reason").first).to_be_visible()


def test_the_patient_reads_the_aftercare_and_the_care_team_on_a_phone(
    page: Page, login: Any, live_server: Any, cast_db: Cast
) -> None:
    from cephalog.treatment.models import InjectorTraining
    from tests.treatment.helpers import full_session

    InjectorTraining.objects.create(
        clinic=cast_db.clinic,
        user=cast_db.physician,
        course="the PREEMPT injection course",
        provider="Allergan",
        completed_on=dt.date(2019, 5, 2),
    )
    session = full_session(cast_db.patient, cast_db.physician, now=timezone.now())
    page.set_viewport_size(PHONE)
    login("ada", PASSWORD)
    page.goto(f"{live_server.url}/me/sessions/")
    page.get_by_role("link", name=re.compile("Aftercare advice")).click()
    assert page.url.endswith(f"/me/sessions/{session.pk}/aftercare/")
    expect(page.get_by_role("heading", name="Important: label guidance")).to_be_visible()
    expect(page.get_by_role("heading", name="Optional precautions")).to_be_visible()
    check_accessibility(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(page, "patient-aftercare-phone")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="More").click()
    page.get_by_role("link", name=re.compile("My care team")).click()
    expect(
        page.get_by_text(re.compile(r"Dr Alex Morgan has given 1 Botox treatment"))
    ).to_be_visible()
    check_accessibility(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(page, "patient-care-team-phone")


def test_the_open_session_page_fits_a_phone(
    page: Page, login: Any, live_server: Any, cast_db: Cast
) -> None:
    from tests.treatment.helpers import start, vial

    session = start(cast_db.patient, cast_db.physician, now=timezone.now())
    vial(session, cast_db.physician, now=timezone.now())
    page.set_viewport_size(PHONE)
    login("nurse-joy", PASSWORD)
    page.goto(f"{live_server.url}/clinic/patients/{cast_db.patient.pk}/sessions/{session.pk}/")
    page.get_by_role("checkbox", name="Procerus (midline), 5 units, not yet recorded").click()
    expect(total(page, "units")).to_have_text("5")
    # A nurse records; only a physician signs.
    expect(page.get_by_role("button", name="Complete and sign")).to_have_count(0)
    check_accessibility(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.evaluate("window.scrollTo(0, 0)")
    screenshot(page, "session-recording-phone")
