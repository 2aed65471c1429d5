"""Issue 14.2 in Chromium at 390x844: every spread-of-toxin symptom a patient can tick leads to
the urgency the Medication Guide gives it, and to a red-flag alert for the clinic.

One short test per symptom (the patient's side-effect page, one tick, send), no screenshots
but the accessibility check on the guidance, to stay fast.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from cephalog.domain.safety import SYMPTOMS, Symptom
from tests.e2e.conftest import PHONE, check_accessibility, sign_in
from tests.personas import Cast

#: (symptom, heading the patient sees) — Medication Guide; clinical-reference §2.3, §10.
URGENCY = [
    ("dysphagia", "Get emergency help now"),
    ("speaking_difficulty", "Get emergency help now"),
    ("breathing_difficulty", "Get emergency help now"),
    ("muscle_weakness_general", "Get medical help today"),
    ("double_vision", "Get medical help today"),
    ("blurred_vision", "Get medical help today"),
    ("eyelid_ptosis", "Get medical help today"),
    ("voice_change", "Get medical help today"),
    ("slurred_speech", "Get medical help today"),
    ("bladder_control_loss", "Get medical help today"),
]


@pytest.fixture
def cast_db(transactional_db: None) -> Cast:
    from cephalog.core.time import patient_today
    from cephalog.treatment.models import Session, SessionStatus
    from tests.personas import make_cast

    cast = make_cast()
    Session.objects.create(
        patient=cast.patient,
        date=patient_today(cast.patient) - dt.timedelta(days=5),
        status=SessionStatus.COMPLETED,
        total_units=155,
        sites_injected=31,
    )
    return cast


@pytest.mark.parametrize(("symptom", "heading"), URGENCY, ids=[s for s, _ in URGENCY])
def test_each_spread_symptom_gets_its_urgency_on_a_phone(
    page: Page, live_server: Any, cast_db: Cast, symptom: str, heading: str
) -> None:
    from cephalog.safety.models import AdverseEvent, SafetyAlert

    page.set_viewport_size(PHONE)
    sign_in(page, live_server.url, "ada")
    page.goto(live_server.url + "/me/side-effect/")
    label = SYMPTOMS[Symptom(symptom)].patient_label
    page.get_by_label(label, exact=True).check()
    page.get_by_role("button", name="Send to the clinic").click()

    expect(page.get_by_role("heading", name=heading)).to_be_visible()
    expect(page.get_by_text(f"You told us about: {label}.")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("We have sent your report")
    body = page.locator("main").inner_text()
    assert "next check-in" not in body.replace("Do not wait for your next check-in", "")
    if heading == "Get medical help today":
        expect(page.get_by_text("If the clinic is closed, call")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    check_accessibility(page)

    event = AdverseEvent.objects.get(patient=cast_db.patient, symptom=symptom)
    assert event.red_flag
    alert = SafetyAlert.objects.get(patient=cast_db.patient)
    assert alert.is_open
    assert SYMPTOMS[Symptom(symptom)].clinician_label in alert.summary
