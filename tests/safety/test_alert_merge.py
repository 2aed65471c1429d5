"""Issue 18.6: repeated red-flag reports from one patient within minutes are one alert that
escalates once (not one alert, one email and one escalation chain per tap)."""

from __future__ import annotations

import datetime as dt

from cephalog.domain.safety import Symptom
from cephalog.safety import actions
from cephalog.safety.actions import MERGE_MINUTES, ReportedSymptom
from cephalog.safety.models import AdverseEvent, EmailKind, OutboundEmail, SafetyAlert
from cephalog.treatment.models import Session
from tests.personas import Cast

MIN = dt.timedelta(minutes=1)


def _report(cast: Cast, symptom: Symptom, when: dt.datetime) -> SafetyAlert | None:
    return actions.report_side_effect(
        patient=cast.patient,
        symptoms=[ReportedSymptom(symptom, None, "severe", True)],
        now=when,
    ).alert


def test_reports_within_minutes_are_one_alert_that_escalates_once(
    cast: Cast, session3: Session, now: dt.datetime
) -> None:
    first = _report(cast, Symptom.DOUBLE_VISION, now)
    second = _report(cast, Symptom.DOUBLE_VISION, now + 2 * MIN)
    third = _report(cast, Symptom.DYSPHAGIA, now + 6 * MIN)
    assert first is not None
    assert second is not None
    assert third is not None
    assert first.pk == second.pk == third.pk
    alert = SafetyAlert.objects.get()
    assert alert.reports == 3
    assert alert.last_report_at == now + 6 * MIN
    # The summary gains what is new; every report's events are kept.
    assert "Diplopia" in alert.summary
    assert "Dysphagia" in alert.summary
    assert alert.summary.count("Diplopia") == 1
    assert AdverseEvent.objects.filter(red_flag=True).count() == 3
    # One email to the clinic, and the escalation time of the first report.
    assert OutboundEmail.objects.filter(kind=EmailKind.RED_FLAG).count() == 1
    assert alert.escalate_at == first.escalate_at
    escalated = actions.escalate_overdue_alerts(alert.escalate_at)
    assert escalated == 1
    assert OutboundEmail.objects.filter(kind=EmailKind.ESCALATION).count() == 1


def test_a_report_after_the_merge_window_is_a_new_alert(
    cast: Cast, session3: Session, now: dt.datetime
) -> None:
    first = _report(cast, Symptom.DOUBLE_VISION, now)
    later = _report(cast, Symptom.DOUBLE_VISION, now + (MERGE_MINUTES + 1) * MIN)
    assert first is not None
    assert later is not None
    assert first.pk != later.pk
    assert OutboundEmail.objects.filter(kind=EmailKind.RED_FLAG).count() == 2


def test_the_window_runs_from_the_latest_report(
    cast: Cast, session3: Session, now: dt.datetime
) -> None:
    step = (MERGE_MINUTES - 1) * MIN
    alerts = {_report(cast, Symptom.BLURRED_VISION, now + i * step).pk for i in range(3)}  # type: ignore[union-attr]
    assert len(alerts) == 1


def test_an_acknowledged_alert_is_never_reopened(
    cast: Cast, session3: Session, now: dt.datetime
) -> None:
    first = _report(cast, Symptom.DOUBLE_VISION, now)
    assert first is not None
    actions.acknowledge_alert(alert=first, user=cast.physician, action_taken="Phoned", now=now)
    again = _report(cast, Symptom.DOUBLE_VISION, now + MIN)
    assert again is not None
    assert again.pk != first.pk


def test_other_patients_are_never_merged(cast: Cast, session3: Session, now: dt.datetime) -> None:
    mine = _report(cast, Symptom.DOUBLE_VISION, now)
    theirs = actions.report_side_effect(
        patient=cast.other_patient,
        symptoms=[ReportedSymptom(Symptom.DOUBLE_VISION, None, "severe", True)],
        now=now + MIN,
    ).alert
    assert mine is not None
    assert theirs is not None
    assert mine.pk != theirs.pk
