"""Red-flag alerts: raising (or merging into) an alert with its email, acknowledging, escalating."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.urls import reverse
from django.utils import timezone

from cephalog.accounts.models import Clinic, Role, User
from cephalog.audit.actions import record
from cephalog.core.writes import save_recorded
from cephalog.domain.safety import SafetyTriage
from cephalog.patients.models import Patient
from cephalog.safety import outbox
from cephalog.safety.models import AdverseEvent, CheckIn, EmailKind, SafetyAlert
from cephalog.safety.queries import can_acknowledge, settings_for

#: Red-flag reports of one patient within this many minutes of the last one go into the
#: same open alert (one email, one escalation chain) instead of a new alert each.
MERGE_MINUTES = 15


def _alert_url(alert: SafetyAlert) -> str:
    return settings.SITE_URL.rstrip("/") + reverse("safety-alert", args=[alert.pk])


def _recipients(clinic: Clinic, *, escalation: bool) -> list[str]:
    """The safety address; physicians too when it is missing; physicians and nurses on escalation."""
    to = [clinic.safety_email] if clinic.safety_email else []
    if escalation or not to:
        roles = [Role.PHYSICIAN] + ([Role.NURSE] if escalation else [])
        to += [
            e
            for e in User.objects.filter(
                memberships__clinic=clinic, memberships__role__in=roles, is_active=True
            ).values_list("email", flat=True)
            if e
        ]
    return to


def _local(clinic: Clinic, when: dt.datetime) -> str:
    return f"{when.astimezone(zoneinfo.ZoneInfo(clinic.time_zone)):%d %b %Y %H:%M} ({clinic.time_zone})"


def _email_body(alert: SafetyAlert, clinic: Clinic, *, escalation_level: int) -> str:
    # No names, MRNs or dates of birth: email is not a safe place for them.
    lines = [
        f"{clinic.name}: a patient reported a possible red-flag symptom after botulinum toxin "
        "treatment (possible distant spread of toxin effect or an allergic reaction).",
        "",
        f"Symptoms: {alert.summary}",
        f"Reported: {_local(clinic, alert.created_at)}",
    ]
    if escalation_level:
        lines += [
            "",
            f"ESCALATION {escalation_level}: nobody has acknowledged this alert yet.",
        ]
    lines += [
        "",
        "Open the alert, contact the patient and record the action taken:",
        _alert_url(alert),
        "",
        "The alert stays on every staff screen until a clinician acknowledges it. "
        "This email contains no patient identifiers.",
    ]
    return "\n".join(lines)


def _merged_summary(old: str, new: str) -> str:
    """The alert's summary with the new report's parts not already in it."""
    parts = [p for p in old.split("; ") if p]
    for part in new.split("; "):
        if part and part not in parts:
            parts.append(part)
    return "; ".join(parts)[:500]


def _merge_into(
    recent: SafetyAlert, *, event: AdverseEvent, triage: SafetyTriage, now: dt.datetime
) -> SafetyAlert:
    """Join a new red-flag report to the patient's recent open alert (no new email)."""
    recent.summary = _merged_summary(recent.summary, triage.clinician_summary)
    recent.reports += 1
    recent.last_report_at = max(now, recent.last_report_at or recent.created_at)
    recent.save(update_fields=["summary", "reports", "last_report_at"])
    _record_alert(recent, event.patient, {"merged_event": event.pk, "reports": recent.reports})
    return recent


def _record_alert(alert: SafetyAlert, patient: Patient, detail: dict[str, Any]) -> None:
    """The audit row of a change to an alert (merged, acknowledged, escalated)."""
    record(
        action="update",
        category="safety_alert",
        patient=patient,
        object_ref=f"alert:{alert.pk}",
        detail=detail,
    )


def _raise_alert(
    *, event: AdverseEvent, checkin: CheckIn | None, triage: SafetyTriage, now: dt.datetime
) -> SafetyAlert:
    """Store the alert and its email in the caller's transaction.

    A red flag from a patient who already has an open alert whose latest
    report is at most MERGE_MINUTES old joins that alert: its summary gains
    the new symptoms, nothing else is emailed, and it keeps its escalation
    time, so repeated reports escalate once. The patient row is locked first
    so two reports at once cannot both make a new alert.
    """
    patient = Patient.objects.select_for_update().get(pk=event.patient_id)
    clinic = event.patient.clinic
    since = now - dt.timedelta(minutes=MERGE_MINUTES)
    recent = (
        SafetyAlert.objects.select_for_update()
        .filter(patient=patient, acknowledged_at__isnull=True)
        .filter(
            models.Q(last_report_at__gte=since)
            | models.Q(last_report_at__isnull=True, created_at__gte=since)
        )
        .order_by("-created_at", "-id")
        .first()
    )
    if recent is not None:
        return _merge_into(recent, event=event, triage=triage, now=now)
    minutes = settings_for(clinic).escalation_minutes
    alert = SafetyAlert(
        clinic=clinic,
        patient=event.patient,
        event=event,
        checkin=checkin,
        summary=triage.clinician_summary[:500],
        created_at=now,
        last_report_at=now,
        escalate_at=now + dt.timedelta(minutes=minutes),
    )
    save_recorded(
        alert,
        action="create",
        category="safety_alert",
        ref="alert",
        patient=event.patient,
        detail={"event": event.pk},
    )
    outbox.queue(
        kind=EmailKind.RED_FLAG,
        to=_recipients(clinic, escalation=False),
        subject=f"RED FLAG safety alert #{alert.pk} – {clinic.name}",
        body=_email_body(alert, clinic, escalation_level=0),
        clinic=clinic,
        alert=alert,
        now=now,
    )
    return alert


@transaction.atomic
def acknowledge_alert(
    *, alert: SafetyAlert, user: User, action_taken: str, now: dt.datetime | None = None
) -> SafetyAlert:
    """A clinician acknowledges a red flag and records what was done (physicians; nurses
    unless the clinic requires a physician). The alert then leaves the banner."""
    if not can_acknowledge(user, alert.clinic_id):
        raise PermissionDenied("Only a clinician of this clinic may acknowledge a red flag.")
    action_taken = action_taken.strip()
    if not action_taken:
        raise ValidationError(
            {"action_taken": "say what was done (for example: phoned, sent to A&E)"}
        )
    now = now or timezone.now()
    updated = SafetyAlert.objects.filter(pk=alert.pk, acknowledged_at__isnull=True).update(
        acknowledged_by=user, acknowledged_at=now, action_taken=action_taken[:2000]
    )
    if not updated:
        raise ValidationError({"action_taken": "this alert was already acknowledged"})
    alert.refresh_from_db()
    _record_alert(alert, alert.patient, {"acknowledged": True})
    return alert


def escalate_overdue_alerts(now: dt.datetime | None = None) -> int:
    """Escalate every open alert past its escalation time: a new email to the safety
    address, physicians and nurses, and the next escalation time. Returns how many.

    Each alert is claimed with a conditional update, so two sweeps never
    escalate the same alert twice. After `max_escalations` emails the alert
    stays on screen without more email.
    """
    now = now or timezone.now()
    count = 0
    overdue = SafetyAlert.objects.filter(
        acknowledged_at__isnull=True, escalate_at__lte=now
    ).select_related("clinic", "patient")
    for alert in overdue:
        clinic_settings = settings_for(alert.clinic)
        if alert.escalation_level >= clinic_settings.max_escalations:
            continue
        with transaction.atomic():
            level = alert.escalation_level + 1
            claimed = SafetyAlert.objects.filter(
                pk=alert.pk,
                acknowledged_at__isnull=True,
                escalation_level=alert.escalation_level,
            ).update(
                escalation_level=level,
                escalated_at=now,
                escalate_at=now + dt.timedelta(minutes=clinic_settings.escalation_minutes),
            )
            if not claimed:
                continue
            outbox.queue(
                kind=EmailKind.ESCALATION,
                to=_recipients(alert.clinic, escalation=True),
                subject=f"ESCALATED ({level}) red flag safety alert #{alert.pk} – "
                f"{alert.clinic.name}: not yet acknowledged",
                body=_email_body(alert, alert.clinic, escalation_level=level),
                clinic=alert.clinic,
                alert=alert,
                now=now,
            )
            _record_alert(alert, alert.patient, {"escalation_level": level})
        count += 1
    return count
