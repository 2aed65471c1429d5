"""Continuation decisions: the recommendation with its numbers, recorded by a physician with a
reason, audited, on the timeline, and what the next session should use."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from cephalog.audit.models import AuditEvent
from cephalog.eligibility.case import assess_patient
from cephalog.outcomes import actions
from cephalog.outcomes.models import ContinuationDecision
from cephalog.web.templatetags.plain import written
from tests.outcomes.helpers import SECOND_SESSION, TODAY, write_history
from tests.personas import Cast, client_for

NOW = dt.datetime(2026, 5, 12, 10, 0, tzinfo=dt.UTC)


@pytest.fixture
def frozen(time_machine: Any) -> None:
    time_machine.move_to(NOW, tick=False)


@pytest.fixture
def history(cast: Cast, frozen: None) -> Cast:
    write_history(cast.patient)
    return cast


def url(cast: Cast, suffix: str = "") -> str:
    return f"/clinic/patients/{cast.patient.pk}/outcomes/{suffix}"


def test_it_shows_each_cycle_with_the_numbers_the_assess_command_gives(history: Cast) -> None:
    page = client_for(history, "nurse").get(url(history) + "?policy=ehf-2018")
    assert page.status_code == 200
    html = page.content.decode()
    expected = assess_patient(history.patient, TODAY, "ehf-2018").to_dict()
    c1, c2 = expected["cycles"]
    assert c2["headache_day_reduction_pct"] == 50.0
    assert c1["headache_day_reduction_pct"] == 30.0
    assert "50%" in html
    assert "30%" in html
    assert c2["wearing_off"] is True
    detail = written(expected["continuation"]["detail"])  # "ICHD-3", dates written out
    assert f"{detail[:1].upper()}{detail[1:]}." in html  # as a sentence
    assert "Only a physician records the continuation decision." in html


def test_a_physician_records_a_decision_with_a_reason(history: Cast) -> None:
    client = client_for(history, "physician")
    response = client.post(
        url(history, "decision/"),
        {
            "policy": "nice-ta260",
            "decision": "continue",
            "reason": "Good response, wants to go on.",
        },
    )
    assert response.status_code == 302
    decision = ContinuationDecision.objects.get(patient=history.patient)
    assert decision.decided_by == history.physician
    assert decision.decided_on == TODAY
    snapshot = decision.recommendation
    assert snapshot["policy"] == "nice-ta260"
    assert (
        snapshot["recommendation"]
        == assess_patient(history.patient, TODAY, "nice-ta260").continuation.recommendation
    )
    assert decision.ruleset == "standard-2"
    assert snapshot["ruleset"] == "standard-2"
    assert snapshot["day_definition"] == "ichd3"
    assert [c["headache_day_reduction_pct"] for c in snapshot["cycles"]] == [30.0, 50.0]
    event = AuditEvent.objects.filter(category="continuation_decision").get()
    assert event.patient_id == history.patient.pk
    assert event.detail["decision"] == "continue"
    page = client.get(response["Location"]).content.decode()
    assert "Decision: continue as before" in page
    assert "Good response, wants to go on." in page


@pytest.mark.parametrize("persona", ["nurse", "clinic_admin", "other_physician", "patient_user"])
def test_only_a_physician_of_the_clinic_records_a_decision(history: Cast, persona: str) -> None:
    response = client_for(history, persona).post(
        url(history, "decision/"),
        {"policy": "nice-ta260", "decision": "stop", "reason": "Because."},
    )
    assert response.status_code in (403, 404)
    assert not ContinuationDecision.objects.exists()
    with pytest.raises(PermissionDenied):
        actions.record_decision(
            patient=history.patient, by=history.nurse, decision="stop", reason="x"
        )


def test_a_decision_needs_a_reason(history: Cast) -> None:
    response = client_for(history, "physician").post(
        url(history, "decision/"), {"policy": "nice-ta260", "decision": "stop", "reason": "   "}
    )
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    summary = response.content.decode().split('class="error-summary"', 1)[1].split("</div>")[0]
    assert "Not saved: please check this" in summary
    assert 'href="#id_reason"' in summary
    with pytest.raises(ValidationError) as error:
        actions.record_decision(
            patient=history.patient, by=history.physician, decision="stop", reason=" "
        )
    assert "reason" in error.value.message_dict
    assert not ContinuationDecision.objects.exists()
    assert not AuditEvent.objects.filter(category="continuation_decision").exists()


def test_a_change_of_interval_needs_an_interval_within_bounds(history: Cast) -> None:
    def change(days: int | None) -> Any:
        return actions.record_decision(
            patient=history.patient,
            by=history.physician,
            decision="change_interval",
            reason="Wears off at week 10.",
            new_interval_days=days,
        )

    with pytest.raises(ValidationError, match="Give the new interval"):
        change(None)
    with pytest.raises(ValidationError, match="between 70 and 182"):
        change(60)
    assert change(77).new_interval_days == 77
    with pytest.raises(ValidationError, match="only a change of interval"):
        actions.record_decision(
            patient=history.patient,
            by=history.physician,
            decision="continue",
            reason="ok",
            new_interval_days=77,
        )


def test_the_next_session_reflects_the_decisions(history: Cast) -> None:
    patient = history.patient
    assert actions.decision_effect(patient).dose_units == 155
    assert actions.decision_effect(patient).next_due(
        SECOND_SESSION
    ) == SECOND_SESSION + dt.timedelta(days=84)
    actions.record_decision(
        patient=patient,
        by=history.physician,
        decision="change_dose_195",
        reason="Partial response.",
    )
    actions.record_decision(
        patient=patient,
        by=history.physician,
        decision="change_interval",
        reason="Wearing off from week 10.",
        new_interval_days=77,
    )
    effect = actions.decision_effect(patient)
    assert (effect.dose_units, effect.interval_days, effect.active) == (195, 77, True)
    page = client_for(history, "physician").get(url(history)).content.decode()
    assert "195 U every 77 days" in page
    actions.record_decision(patient=patient, by=history.physician, decision="pause", reason="Low.")
    effect = actions.decision_effect(patient)
    assert effect.paused
    assert effect.next_due(SECOND_SESSION) is None
    actions.record_decision(patient=patient, by=history.physician, decision="stop", reason="No.")
    assert actions.decision_effect(patient).stopped


def test_a_session_after_a_pause_resumes_treatment() -> None:
    pause = ContinuationDecision(decided_on=dt.date(2026, 1, 1), decision="pause", pk=1)
    effect = actions.effect_of([pause], dt.date(2026, 5, 1))
    assert effect.active
    assert actions.effect_of([pause], dt.date(2025, 12, 1)).paused


def test_the_next_injection_dates_read_like_the_other_dates(history: Cast) -> None:
    """ "Next injection due 2026-05-19, earliest 2026-05-12" stood above "due 19 May 2026"."""
    import re

    html = client_for(history, "physician").get(url(history)).content.decode()
    row = html.split("<dt>Next injection due</dt>", 1)[1].split("</dd>", 1)[0]
    due = SECOND_SESSION + dt.timedelta(days=84)
    earliest = SECOND_SESSION + dt.timedelta(days=77)
    assert f"{due.day} {due:%b %Y}, earliest {earliest.day} {earliest:%b %Y}" in row
    assert not re.search(r"\d{4}-\d{2}-\d{2}", row)


def test_no_decision_is_ticked_before_the_physician_chooses(history: Cast) -> None:
    """Staff walk, 7 Dec 2026: under a NICE TA260 "Stop" recommendation the form came with
    "Continue as before" already ticked: a reason and one click recorded the opposite."""
    html = client_for(history, "physician").get(url(history)).content.decode()
    first = html.index('name="decision"')
    form = html[html.rindex("<fieldset", 0, first) : html.index("</fieldset>", first)]
    assert 'value="continue"' in form
    assert "checked" not in form, form


def test_the_continuation_letter_warns_when_the_recommendation_is_to_stop(history: Cast) -> None:
    """Staff walk, 7 Dec 2026: the funding letter asked for "continued treatment" under its
    own "Recommendation under NICE TA260: Stop", with nothing on the page to say so. Until a
    decision is recorded the page says so above the letter."""
    assessed = assess_patient(history.patient, TODAY, "nice-ta260").to_dict()
    assert assessed["continuation"]["recommendation"] == "stop"
    letter = f"/clinic/patients/{history.patient.pk}/eligibility/letter/?kind=continuation"
    client = client_for(history, "physician")
    html = client.get(letter).content.decode()
    assert 'data-testid="stop-warning"' in html
    assert "The recommendation under NICE TA260 is <strong>Stop</strong>" in html
    assert "Record the <a href=" in html
    actions.record_decision(
        patient=history.patient,
        by=history.physician,
        decision="continue",
        reason="Episodic but disabling; panel agreed to one more cycle.",
    )
    assert 'data-testid="stop-warning"' not in client.get(letter).content.decode()
