"""The next session reflects the continuation decision (issue 6.2)."""

import datetime as dt

import pytest

from cephalog.outcomes.actions import record_decision
from cephalog.scheduling.models import Appointment
from cephalog.treatment import actions
from tests.personas import Cast
from tests.treatment.helpers import NOW, full_session, start


def test_a_stop_decision_needs_a_reason_to_start_again_and_empties_the_plan(cast: Cast) -> None:
    first = full_session(cast.patient, cast.physician, now=NOW - dt.timedelta(days=90))
    record_decision(
        patient=cast.patient,
        by=cast.physician,
        decision="stop",
        reason="No benefit after two cycles; patient agrees.",
        decided_on=first.date + dt.timedelta(days=60),
    )
    planned = Appointment.objects.filter(patient=cast.patient, kind="session", status="planned")
    assert not planned.filter(date__gt=first.date).exists()
    with pytest.raises(actions.SessionError) as error:
        start(cast.patient, cast.physician, precheck_reason="")
    assert any("decision was to stop" in p for p in error.value.problems)
    session = start(
        cast.patient,
        cast.physician,
        precheck_reason="Restarting at the patient's request after review.",
    )
    rule = next(r for r in session.rule_results if r["rule"] == "continuation")
    assert rule["status"] == "overridden"


def test_a_dose_change_shows_on_the_next_session_check(cast: Cast) -> None:
    first = full_session(cast.patient, cast.physician, now=NOW - dt.timedelta(days=90))
    record_decision(
        patient=cast.patient,
        by=cast.physician,
        decision="change_dose_195",
        reason="Partial response; add follow-the-pain sites.",
        decided_on=first.date + dt.timedelta(days=60),
    )
    session = start(cast.patient, cast.physician)
    rule = next(r for r in session.rule_results if r["rule"] == "continuation")
    assert rule["status"] == "ok"
    assert "195 U" in rule["message"]
