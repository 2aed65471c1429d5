"""An unacknowledged red flag escalates after the clinic's configured minutes."""

from __future__ import annotations

import datetime as dt

from django.core import mail
from django.core.management import call_command

from cephalog.domain.safety import Symptom
from cephalog.safety import actions
from cephalog.safety.actions import ReportedSymptom
from cephalog.safety.models import EmailKind, OutboundEmail, SafetySettings
from cephalog.treatment.models import Session
from tests.personas import Cast

MIN = dt.timedelta(minutes=1)


def _red_flag(cast: Cast, now: dt.datetime):  # type: ignore[no-untyped-def]
    return actions.report_side_effect(
        patient=cast.patient,
        symptoms=[ReportedSymptom(Symptom.DYSPHAGIA, None, "severe", True)],
        now=now,
    ).alert


def test_it_escalates_after_the_configured_minutes(
    cast: Cast, session3: Session, now: dt.datetime
) -> None:
    SafetySettings.objects.create(clinic=cast.clinic, escalation_minutes=10, max_escalations=2)
    alert = _red_flag(cast, now)
    assert actions.escalate_overdue_alerts(now + 9 * MIN) == 0
    assert actions.escalate_overdue_alerts(now + 10 * MIN) == 1
    alert.refresh_from_db()
    assert alert.escalation_level == 1
    assert alert.escalated_at == now + 10 * MIN
    escalation = OutboundEmail.objects.get(alert=alert, kind=EmailKind.ESCALATION)
    # Escalation widens the circle: the safety address, physicians and nurses.
    assert set(escalation.to) == {
        "safety@leeds.example.org",
        "dr-house@example.org",
        "nurse-joy@example.org",
    }
    assert "admin-ann@example.org" not in escalation.to
    assert "dr-other@example.org" not in escalation.to
    assert actions.escalate_overdue_alerts(now + 11 * MIN) == 0  # next one 10 minutes later
    assert actions.escalate_overdue_alerts(now + 20 * MIN) == 1
    assert actions.escalate_overdue_alerts(now + 60 * MIN) == 0  # max_escalations reached
    alert.refresh_from_db()
    assert alert.escalation_level == 2
    assert alert.is_open  # stays on screen


def test_the_default_is_thirty_minutes_and_acknowledged_alerts_never_escalate(
    cast: Cast, session3: Session, now: dt.datetime
) -> None:
    alert = _red_flag(cast, now)
    assert actions.escalate_overdue_alerts(now + 29 * MIN) == 0
    actions.acknowledge_alert(
        alert=alert, user=cast.physician, action_taken="Phoned; sent to A&E", now=now + 5 * MIN
    )
    assert actions.escalate_overdue_alerts(now + 31 * MIN) == 0


def test_the_sweep_command_escalates_and_sends(
    cast: Cast, session3: Session, now: dt.datetime, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    with django_capture_on_commit_callbacks(execute=True):
        _red_flag(cast, now)
    assert len(mail.outbox) == 1
    call_command("safety-sweep", now=(now + 31 * MIN).isoformat())
    assert len(mail.outbox) == 2
    assert mail.outbox[1].subject.startswith("ESCALATED (1)")


def test_without_a_safety_address_physicians_get_the_alert(cast: Cast, now: dt.datetime) -> None:
    assert not cast.clinic.safety_email
    alert = _red_flag(cast, now)
    (email,) = OutboundEmail.objects.filter(alert=alert)
    assert email.to == ["dr-house@example.org"]
