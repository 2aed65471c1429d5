"""A physician records a full PREEMPT session with follow-the-pain sites on the map."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from tests.e2e.conftest import (
    DESKTOP,
    NARROW,
    PHONE,
    SHOWN_LABELS,
    check_accessibility,
    screenshot,
    sign_in,
)
from tests.personas import Cast

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
    cast.nurse.first_name, cast.nurse.last_name = "Joy", "Nightingale"
    cast.nurse.save()
    return cast


def total(page: Page, name: str) -> Any:
    return page.locator(f'[data-total="{name}"]')


def _experienced(cast: Cast) -> None:
    """Dr Morgan: trained, one session 13 weeks ago, and a recorded decision to start."""
    from cephalog.eligibility import actions as eligibility_actions
    from cephalog.treatment.models import InjectorTraining, Session, SessionStatus

    InjectorTraining.objects.create(
        clinic=cast.clinic,
        user=cast.physician,
        course="the PREEMPT injection course",
        completed_on=dt.date(2019, 5, 2),
    )
    Session.objects.create(
        patient=cast.patient,
        date=timezone.localdate() - dt.timedelta(days=91),
        status=SessionStatus.COMPLETED,
        total_units=155,
        sites_injected=31,
        injector=cast.physician,
    )
    eligibility_actions.decide_to_start(
        patient=cast.patient,
        policy_name=cast.clinic.default_policy,
        by=cast.physician,
        on=timezone.localdate(),
        override_reason="Paper diary reviewed in clinic: chronic migraine for two years.",
    )


def _answer(page: Page, *, new: str | None = None) -> None:
    for question in (
        "Any infection at the injection sites today?",
        "Any warning signs since the last treatment?",
        "Is the patient pregnant, or could she be?",
    ):
        page.get_by_role("group", name=question).get_by_label("No").check()
    group = page.get_by_role(
        "group", name="Any new medicines or illnesses since the last treatment?"
    )
    if new is None:
        group.get_by_label("No").check()
    else:
        group.get_by_label("Yes").check()
        page.get_by_label("What is new?").fill(new)
    page.get_by_role("button", name="Save the answers").click()
    expect(page.get_by_text("Safety answers saved.")).to_be_visible()


@pytest.mark.parametrize("viewport", [DESKTOP, TABLET], ids=["desktop", "tablet"])
def test_a_physician_checks_signs_each_flag_and_records_a_full_session(
    page: Page, login: Any, live_server: Any, cast_db: Cast, viewport: dict[str, int]
) -> None:
    """Issue 14, done when: an aminoglycoside started after the previous session is shown and
    needs that flag's own sign-off before the first site; issue 17.3, 17.4 as a physician."""
    _experienced(cast_db)
    size = "desktop" if viewport is DESKTOP else "tablet"
    page.set_viewport_size(viewport)
    sign_in(page, live_server.url, "dr-house")
    page.goto(f"{live_server.url}/clinic/patients/{cast_db.patient.pk}/")
    page.get_by_role("link", name="Sessions record site by site").click()
    expect(page.get_by_role("heading", name="Injection sessions")).to_be_visible()
    check_accessibility(page)

    # The safety questions: something new since the last treatment, added to the record.
    _answer(page, new="Gentamicin injections for a chest infection since last week")
    # Answering "yes" opens the place to add them to the record.
    expect(page.locator("details.new-item")).to_have_attribute("open", "")
    page.locator("#id_item-name").fill("gentamicin")
    page.locator("#id_item-drug_class").select_option("aminoglycoside")
    page.locator("#id_item-start").fill((timezone.localdate() - dt.timedelta(days=6)).isoformat())
    page.get_by_role("button", name="Add the medicine").click()
    expect(page.get_by_text("gentamicin added to the medicines.")).to_be_visible()

    flag = page.locator("#flag-interacting-medication-aminoglycoside")
    expect(flag).to_contain_text("Interacting medicine: aminoglycoside antibiotic")
    expect(flag).to_contain_text("(started after the last session)")
    expect(flag).to_contain_text("Needs a physician's sign-off")
    # A recorded decision to start is honoured: no second reason is asked.
    expect(page.get_by_label("Reason to go ahead without a decision to start")).to_have_count(0)
    check_accessibility(page)
    screenshot(page, f"session-check-flags-{size}")

    # Starting before the flags are signed is refused, beside each flag.
    page.get_by_role("button", name="Start session").click()
    expect(flag.get_by_role("alert")).to_contain_text("needs its own physician's sign-off")
    expect(page.get_by_role("heading", name=re.compile(r"^Session "))).to_have_count(0)

    flag.get_by_label(re.compile("What you considered")).fill(
        "Course ends tomorrow; discussed weakness and swallowing warning signs."
    )
    flag.get_by_role("button", name="Sign off this flag").click()
    expect(page.get_by_text("Flag signed off.")).to_be_visible()
    expect(flag).to_contain_text("Signed off by Alex Morgan")
    new = page.locator("#flag-new-since-last")
    new.get_by_label(re.compile("What you considered")).fill("Record updated with the patient.")
    new.get_by_role("button", name="Sign off this flag").click()
    expect(new).to_contain_text("Signed off by Alex Morgan")
    page.get_by_role("button", name="Start session").click()
    expect(page.get_by_role("heading", name=re.compile(r"^Session "))).to_be_visible()
    expect(page.get_by_role("row", name=re.compile("Interacting medicine"))).to_contain_text(
        "Signed off"
    )

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
    expect(page.locator("#autosave")).to_contain_text("31 sites, 155 U")
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
    expect(page.locator("#autosave")).to_contain_text("39 sites, 195 U")  # saved as ticked
    expect(total(page, "sites")).to_have_text("39")
    expect(total(page, "ftp")).to_have_text("8")
    expect(total(page, "waste")).to_have_text("5")
    # The list's real checkboxes follow the map.
    expect(page.locator("#site-temporalis-L-5")).to_be_checked()
    check_accessibility(page)
    page.evaluate("window.scrollTo(0, 0)")  # the totals bar is sticky
    screenshot(page, f"session-recording-{size}")

    page.get_by_label("Topical anaesthetic").select_option("ice")
    # "Complete and sign" asks for confirmation first.
    page.get_by_role("button", name="Complete and sign").click()
    expect(
        page.locator(".errorlist").get_by_text(
            "Tick to confirm: signing locks the session for good."
        )
    ).to_be_visible()
    page.get_by_label("I have checked the record: complete, sign and lock it").check()
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


def test_a_nurse_new_to_injecting_starts_with_a_supervisor_and_ticks_survive_leaving(
    page: Page, browser: Any, login: Any, live_server: Any, cast_db: Cast
) -> None:
    """Issue 17.3, 17.4 as a nurse: a new injector is shown as such and needs a supervising
    physician; each tick is saved as it is made; an expired vial and a cancel without
    confirmation are refused beside their controls, in plain words."""
    from cephalog.eligibility.models import Condition

    Condition.objects.create(patient=cast_db.patient, code="myasthenia_gravis")
    page.set_viewport_size(PHONE)
    sign_in(page, live_server.url, "nurse-joy")
    base = f"{live_server.url}/clinic/patients/{cast_db.patient.pk}/sessions/"
    page.goto(base)
    _answer(page)
    flag = page.locator("#flag-myasthenia-gravis")
    expect(flag).to_contain_text("A physician signs this off before the first site.")
    expect(flag.get_by_role("button", name="Sign off this flag")).to_have_count(0)

    # The physician signs the flag from their own device.
    doctor_context = browser.new_context(viewport=DESKTOP)
    doctor = doctor_context.new_page()
    sign_in(doctor, live_server.url, "dr-house")
    doctor.goto(base)
    doctor.locator("#flag-myasthenia-gravis").get_by_label(re.compile("What you considered")).fill(
        "Stable on pyridostigmine; reviewed swallowing; standard dose."
    )
    doctor.get_by_role("button", name="Sign off this flag").click()
    expect(doctor.locator("#flag-myasthenia-gravis")).to_contain_text("Signed off by Alex Morgan")

    page.reload()
    injector = page.get_by_label("Injector")
    injector.select_option(str(cast_db.nurse.pk))
    expect(injector.locator("option:checked")).to_contain_text(
        "no recorded training and no previous sessions: needs a supervisor"
    )
    page.get_by_label("Reason to go ahead without a decision to start").fill(
        "Eligibility confirmed at the referral clinic on paper."
    )
    page.get_by_role("button", name="Start session").click()
    supervisor = page.get_by_label("Supervising physician")
    expect(
        page.locator(".field-error").get_by_text(
            "has no recorded training and no previous sessions: record the supervising physician."
        )
    ).to_be_visible()
    supervisor.select_option(label="Dr Alex Morgan")
    page.get_by_role("button", name="Start session").click()
    expect(page.get_by_role("heading", name=re.compile(r"^Session "))).to_be_visible()
    expect(page.get_by_test_id("supervision")).to_contain_text("supervised by Dr Alex Morgan")
    detail = page.url
    check_accessibility(page)
    screenshot(page, "session-nurse-supervised-phone")

    # An expired vial: refused beside the expiry date, in plain words.
    page.get_by_label("Lot number").fill("OLD1")
    page.get_by_label("Expiry date").fill((timezone.localdate() - dt.timedelta(days=1)).isoformat())
    page.get_by_role("button", name="Add vial").click()
    expiry_group = page.locator(".field", has=page.get_by_label("Expiry date"))
    expect(expiry_group).to_contain_text("Lot OLD1 expired on")
    expect(page.locator("main")).not_to_contain_text("vial.expiry")

    # Each tick is saved as it is made: leave, come back, the ticks are there.
    page.goto(detail)
    page.locator("#site-procerus-M-1").check()
    expect(page.locator("#autosave")).to_contain_text("1 site, 5 U")
    page.locator("#site-frontalis-L-1").check()
    expect(page.locator("#autosave")).to_contain_text("2 sites, 10 U")
    page.goto(base)
    page.get_by_role("link", name="Continue today's session").click()
    expect(page.locator("#site-procerus-M-1")).to_be_checked()
    expect(page.locator("#site-frontalis-L-1")).to_be_checked()
    expect(total(page, "units")).to_have_text("10")

    # Cancelling asks for confirmation.
    page.get_by_text("Cancel this session", exact=True).click()
    page.get_by_label("Reason for cancelling").fill("Patient felt faint.")
    page.get_by_role("button", name="Cancel session").click()
    expect(
        page.locator(".field", has=page.get_by_label(re.compile("Yes, cancel this session")))
    ).to_contain_text("Tick to confirm you want to cancel this session.")
    expect(page.locator("#site-procerus-M-1")).to_be_checked()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    check_accessibility(page)
    doctor_context.close()


def test_an_early_session_needs_a_structured_reason_in_the_browser(
    page: Page, login: Any, live_server: Any, cast_db: Cast
) -> None:
    from tests.treatment.helpers import full_session, supervisor_for

    full_session(
        cast_db.patient, cast_db.physician, now=timezone.now() - dt.timedelta(days=70, hours=1)
    )
    supervisor_for(cast_db.patient, cast_db.physician)
    cast_db.clinic.minimum_interval_days = 60
    cast_db.clinic.save()
    page.set_viewport_size(DESKTOP)
    sign_in(page, live_server.url, "dr-house")
    page.goto(f"{live_server.url}/clinic/patients/{cast_db.patient.pk}/sessions/")
    expect(page.locator(".rules").first).to_be_visible()
    expect(
        page.get_by_text(re.compile("Too early: 70 days since the last session"))
    ).to_be_visible()
    _answer(page)
    page.get_by_label("Reason to go ahead without a decision to start").fill(
        "Eligibility confirmed on paper."
    )
    page.get_by_label("Supervising physician").select_option(label="Dr Sam Supervisor")
    # Words alone, even about antibodies, are not a reason.
    page.get_by_label("Why it cannot wait").fill("Antibody risk discussed.")
    page.get_by_role("button", name="Start session").click()
    expect(page.locator("fieldset.early").get_by_role("alert")).to_contain_text(
        "confirm the antibody risk was considered"
    )
    expect(page.locator("main")).not_to_contain_text("retreatment_interval")
    check_accessibility(page)
    screenshot(page, "session-interval-refused")
    page.get_by_label("Why before the earliest day?").select_option("unavailable")
    page.get_by_label(re.compile("Short intervals between injections may favour")).check()
    page.get_by_label("Why it cannot wait").fill("Abroad for three months from next week.")
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
    sign_in(page, live_server.url, "ada")
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
    sign_in(page, live_server.url, "nurse-joy")
    page.goto(f"{live_server.url}/clinic/patients/{cast_db.patient.pk}/sessions/{session.pk}/")
    page.get_by_role("checkbox", name="Procerus (midline), 5 units, not yet recorded").click()
    expect(total(page, "units")).to_have_text("5")
    # A nurse records; only a physician signs.
    expect(page.get_by_role("button", name="Complete and sign")).to_have_count(0)
    check_accessibility(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    # The checks table, one block per check: its column headers stay for screen readers,
    # and the details and the source say what they are.
    checks = page.get_by_role("region", name="Checks and rules")
    for column in ("Check", "Result", "Details", "Source"):
        expect(checks.get_by_role("columnheader", name=column, exact=True)).to_have_count(1)
    limits = checks.locator("tr", has=page.get_by_role("rowheader", name="Protocol limits"))
    shown = limits.locator("td").evaluate_all(SHOWN_LABELS)
    assert shown == [None, "Details: ", "Source: "], shown
    page.evaluate("window.scrollTo(0, 0)")
    screenshot(page, "session-recording-phone")


def test_a_refused_sign_off_is_said_where_the_page_opens_on_a_phone(
    page: Page, live_server: Any, cast_db: Cast
) -> None:
    """Staff walk, 7 Dec 2026: "Complete and sign" without the tick reopened the page at its
    top, 8,000 px above the only words saying what was missing; the physician saw the same
    page again and nothing else. The refusal is now said where the page opens, and links to
    the tick box."""
    from tests.treatment.helpers import start, vial

    session = start(cast_db.patient, cast_db.physician, now=timezone.now())
    vial(session, cast_db.physician, now=timezone.now())
    page.set_viewport_size(NARROW)
    sign_in(page, live_server.url, "dr-house")
    page.goto(f"{live_server.url}/clinic/patients/{cast_db.patient.pk}/sessions/{session.pk}/")
    page.get_by_role("button", name="Mark all 31 fixed sites done").click()
    expect(page.locator("#autosave")).to_contain_text("31 sites, 155 U")
    page.get_by_role("button", name="Complete and sign").click()
    page.wait_for_load_state("load")
    summary = page.locator("#problems")
    expect(summary).to_contain_text("Tick to confirm: signing locks the session for good.")
    expect(summary).to_be_in_viewport()
    check_accessibility(page)
    screenshot(page, "session-sign-refused-phone")
    summary.get_by_role("link", name=re.compile("Tick to confirm")).click()
    tick = page.get_by_label("I have checked the record: complete, sign and lock it")
    expect(tick).to_be_in_viewport()
    tick.check()
    page.get_by_role("button", name="Complete and sign").click()
    expect(page.get_by_text("Session completed, signed and locked.")).to_be_visible()
