"""Outcomes in the browser: a physician reviews a patient with two complete cycles, records a
continuation decision with a reason and sees it on the timeline; the patient reads their
progress on a phone. Every page is checked with axe-core; screenshots in test-artifacts/."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from cephalog.core.time import patient_today
from cephalog.outcomes.models import ContinuationDecision
from tests.e2e.conftest import DESKTOP, PHONE, check_accessibility, screenshot, sign_in
from tests.outcomes.helpers import write_history
from tests.personas import Cast

REASON = "Half the headache days after two cycles; wants to go on. Review again after cycle 3."


@pytest.fixture
def cast_db(transactional_db: None) -> Cast:
    from tests.personas import make_cast

    return make_cast()


@pytest.fixture
def two_cycles(cast_db: Cast) -> Cast:
    """Two complete cycles (sessions 184 and 100 days ago), wearing off in weeks 9-12."""
    today = patient_today(cast_db.patient)
    second = today - dt.timedelta(days=100)
    write_history(
        cast_db.patient,
        sessions=(second - dt.timedelta(days=84), second),
        cycles=((10, 8, 16), (8, 6, 10)),
        end=today,
    )
    return cast_db


def test_a_physician_records_a_continuation_decision(
    page: Page,
    live_server: Any,
    visit: Callable[..., Page],
    two_cycles: Cast,
) -> None:
    patient = two_cycles.patient
    page.set_viewport_size(DESKTOP)
    sign_in(page, live_server.url, "dr-house")
    visit(f"/clinic/patients/{patient.pk}/outcomes/?policy=ehf-2018", "outcomes-physician")
    expect(page.get_by_role("heading", name=f"Outcomes: {patient.full_name}")).to_be_visible()
    cycles = page.locator("table.cycles tbody tr")
    expect(cycles).to_have_count(3)  # baseline, cycle 1, cycle 2
    expect(cycles.nth(2)).to_contain_text("50%")
    # The continuation policies by their names, not their stored keys (us-label ...).
    picker = page.get_by_label("Continuation policy")
    expect(picker.locator("option:checked")).to_have_text("EHF 2018")
    expect(picker.locator("option")).to_have_text(
        ["US label", "US payer", "NICE TA260 (clinic default)", "EHF 2018"]
    )
    expect(page.get_by_role("heading", name="Recommendation under EHF 2018")).to_be_visible()
    expect(page.locator(".recommendation")).to_contain_text("Continue")
    # ehf-2018 counts ichd3 days under standard-2, and says so (spec section 11.1)
    expect(page.locator(".recommendation")).to_contain_text(
        "Cycle 2: 50.0% fewer ICHD-3 headache days"  # the detail, as a sentence
    )
    expect(
        page.get_by_role("img", name="Headache days per week after each injection")
    ).to_be_visible()

    # The reason is required: the form says so and records nothing.
    page.get_by_label("Continue as before").check()
    page.get_by_role("button", name="Record decision").click()
    expect(page.locator(".decision-form")).to_contain_text("This field is required.")
    check_accessibility(page)
    assert not ContinuationDecision.objects.exists()

    page.get_by_label("Continue as before").check()
    page.get_by_label("Reason").fill(REASON)
    page.get_by_role("button", name="Record decision").click()
    expect(page.get_by_text("Decision recorded.")).to_be_visible()
    timeline = page.locator("#decisions .timeline")
    expect(timeline.locator("li").first).to_contain_text("Decision: continue as before")
    expect(timeline.locator("li").first).to_contain_text(REASON)
    check_accessibility(page)
    screenshot(page, "outcomes-decision-recorded")

    decision = ContinuationDecision.objects.get()
    assert decision.decided_by == two_cycles.physician
    assert decision.policy == "ehf-2018"
    assert decision.recommendation["recommendation"] == "continue"

    visit(f"/clinic/patients/{patient.pk}/cycle-summary/?policy=ehf-2018", "outcomes-cycle-summary")
    expect(page.locator(".cycle-summary")).to_contain_text("Continue as before")
    visit("/clinic/dashboard/", "outcomes-dashboard")
    expect(page.locator("#overdue")).to_contain_text(patient.full_name)
    visit("/clinic/cohort/", "outcomes-cohort")


def test_the_patient_sees_their_progress_on_a_phone(
    page: Page,
    live_server: Any,
    visit: Callable[..., Page],
    two_cycles: Cast,
) -> None:
    page.set_viewport_size(PHONE)
    sign_in(page, live_server.url, "ada")
    visit("/me/progress/", "outcomes-my-progress-390")
    expect(page.get_by_role("heading", name="My progress")).to_be_visible()
    expect(page.locator(".big-number")).to_contain_text("fewer")
    expect(page.get_by_role("heading", name="How long does Botox last for me?")).to_be_visible()
    expect(page.get_by_role("img", name="Headache days in each 4 weeks")).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], width
    visit("/me/questionnaires/", "outcomes-my-questionnaires-390")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], width


def test_the_dashboard_counts_diary_days_from_the_day_she_joined_on_a_phone(
    page: Page, live_server: Any, cast_db: Cast
) -> None:
    """Ada joined 20 days ago and filled in the last 5; Brook joined 10 days ago and filled
    in nothing. At 360 px the dashboard's low-compliance card says what the patient list
    says: 5 of 20 since she joined (25%), not 5 of 5 (100%, unlisted), and 0 of 10 (0%)
    for Brook, not 0 of 28; it fits and passes axe."""
    from django.utils import timezone

    from cephalog.diary.actions import save_day
    from cephalog.patients.models import Patient
    from tests.e2e.conftest import NARROW, fits_narrow

    def joined(patient: Any, days_ago: int) -> dt.date:
        Patient.objects.filter(pk=patient.pk).update(
            created_at=timezone.now() - dt.timedelta(days=days_ago)
        )
        patient.refresh_from_db()
        return patient_today(patient) - dt.timedelta(days=days_ago)

    ada, brook = cast_db.patient, cast_db.other_patient
    ada_joined, brook_joined = joined(ada, 19), joined(brook, 9)
    today = patient_today(ada)
    for ago in range(5):
        save_day(
            patient=ada,
            data={"date": (today - dt.timedelta(days=ago)).isoformat(), "headache_hours": 0},
            by=cast_db.nurse,
            today=today,
            source="staff",
        )

    def on(d: dt.date) -> str:
        return f"since the patient joined on {d.day} {d:%b}"

    page.set_viewport_size(NARROW)
    sign_in(page, live_server.url, "nurse-joy")
    page.goto(live_server.url + "/clinic/dashboard/")
    card = page.locator("#compliance")
    expect(card.locator("li")).to_have_count(2)
    expect(card.locator("li").nth(0)).to_contain_text(
        f"0 of 10 days filled in {on(brook_joined)} (0%)"
    )
    expect(card.locator("li").nth(1)).to_contain_text(
        f"5 of 20 days filled in {on(ada_joined)} (25%)"
    )
    fits_narrow(page, "dashboard-compliance-new-patients")

    page.goto(live_server.url + "/clinic/patients/")
    row = page.locator("tr", has=page.get_by_role("link", name="Quill, Ada"))
    expect(row.locator("td").nth(2)).to_have_text(f"5/20 (25%) {on(ada_joined)}")
    row = page.locator("tr", has=page.get_by_role("link", name="Tarrant, Brook"))
    expect(row.locator("td").nth(2)).to_have_text(f"0/10 (0%) {on(brook_joined)}")
