"""All writes for safety monitoring: patient reports, red-flag alerts, the adverse-event register.

Never lose a red flag:

1. The triage is the domain's (`cephalog.domain.safety.classify`); nothing
   here decides what is a red flag.
2. A report is stored in ONE transaction: the check-in, one adverse event
   per symptom, and for red flags the SafetyAlert and its OutboundEmail,
   with the audit rows. Only after commit is the email handed to the
   worker (cephalog.safety.outbox); a failed send leaves the alert and a
   `failed` email that the sweep retries.
3. A report with a red flag is never refused for a missing or doubtful
   detail (onset, severity, still present): the detail is filled with a
   stated assumption (kept in `CheckIn.answers["assumed"]`) instead.
4. The views show the patient the urgent guidance from the triage, which
   needs no stored row, so the guidance appears even if storing fails.
"""

from __future__ import annotations

import datetime as dt
import uuid
import zoneinfo
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, models, transaction
from django.urls import reverse
from django.utils import timezone

from cephalog.accounts.access import require_role
from cephalog.accounts.models import Clinic, Role, User
from cephalog.audit.actions import record
from cephalog.core.time import patient_today
from cephalog.domain import dosing
from cephalog.domain.safety import SafetyTriage, Symptom, classify
from cephalog.patients.models import Patient
from cephalog.safety import outbox
from cephalog.safety.models import (
    AdverseEvent,
    CheckIn,
    CheckInKind,
    EmailKind,
    Outcome,
    Relatedness,
    SafetyAlert,
    SafetySettings,
    Seriousness,
    Severity,
    Source,
)
from cephalog.safety.queries import (
    can_acknowledge,
    completed_sessions,
    settings_for,
)
from cephalog.treatment.models import Session

#: Red-flag reports of one patient within this many minutes of the last one go into the
#: same open alert (one email, one escalation chain) instead of a new alert each.
MERGE_MINUTES = 15
#: How far back a patient may date the onset of a symptom.
MAX_ONSET_AGE_DAYS = 365
PATIENT_SEVERITIES = (Severity.MILD, Severity.MODERATE, Severity.SEVERE)


@dataclass(frozen=True)
class ReportedSymptom:
    """One ticked symptom with what the patient said about it (all details optional here)."""

    symptom: Symptom | str
    onset: dt.date | None = None
    severity: str | None = None
    still_present: bool | None = None
    resolved_on: dt.date | None = None


@dataclass(frozen=True)
class _Settled:
    symptom: Symptom
    onset: dt.date
    severity: str
    still_present: bool
    resolved_on: dt.date | None


@dataclass(frozen=True)
class ReportResult:
    checkin: CheckIn
    triage: SafetyTriage
    events: tuple[AdverseEvent, ...]
    alert: SafetyAlert | None
    created: bool  # False when this submission had been stored before (same submission key)


# --- patient reports ---------------------------------------------------------------------


def submit_checkin(
    *,
    patient: Patient,
    session: Session | None,
    kind: str,
    symptoms: Sequence[ReportedSymptom] = (),
    no_problems: bool = False,
    note: str = "",
    submission_key: uuid.UUID | None = None,
    now: dt.datetime | None = None,
) -> ReportResult:
    """Store a day-3 or day-14 check-in ("no problems" in one tap, or symptoms).

    A check-in already answered for that session is stored as an ad-hoc
    report instead: a patient's report is never turned away.
    """
    if kind not in (CheckInKind.DAY3, CheckInKind.DAY14):
        raise ValidationError({"kind": f"must be day3 or day14, got {kind!r}"})
    return _store_report(
        patient=patient,
        kind=CheckInKind(kind),
        session=session,
        symptoms=symptoms,
        no_problems=no_problems,
        note=note,
        submission_key=submission_key,
        now=now or timezone.now(),
    )


def report_side_effect(
    *,
    patient: Patient,
    symptoms: Sequence[ReportedSymptom],
    note: str = "",
    submission_key: uuid.UUID | None = None,
    now: dt.datetime | None = None,
) -> ReportResult:
    """Store a side effect reported at any time, linked to the last session before it began."""
    return _store_report(
        patient=patient,
        kind=CheckInKind.ADHOC,
        session=None,
        symptoms=symptoms,
        no_problems=False,
        note=note,
        submission_key=submission_key,
        now=now or timezone.now(),
    )


def _result_of(checkin: CheckIn, *, created: bool) -> ReportResult:
    events = tuple(checkin.events.order_by("id"))
    triage = classify([e.symptom for e in events if e.symptom in Symptom._value2member_map_])
    alert = checkin.alerts.order_by("id").first()
    return ReportResult(checkin, triage, events, alert, created)


def _parse_symptoms(symptoms: Sequence[ReportedSymptom]) -> list[ReportedSymptom]:
    parsed: list[ReportedSymptom] = []
    seen: set[Symptom] = set()
    for i, s in enumerate(symptoms):
        try:
            code = Symptom(s.symptom)
        except ValueError:
            raise ValidationError(
                {"symptoms": f"symptoms[{i}]: unknown symptom {s.symptom!r}"}
            ) from None
        if code not in seen:
            seen.add(code)
            parsed.append(
                ReportedSymptom(code, s.onset, s.severity, s.still_present, s.resolved_on)
            )
    return parsed


def _settle_details(
    symptoms: list[ReportedSymptom], today: dt.date, *, lenient: bool
) -> tuple[list[_Settled], list[str], list[str]]:
    """Check each symptom's details. Returns (settled symptoms, problems, assumptions).

    `lenient` (a red flag is in the report): every problem becomes a stated
    assumption instead, so the report is stored whatever the details say.
    """
    settled: list[_Settled] = []
    problems: list[str] = []
    assumed: list[str] = []
    earliest = today - dt.timedelta(days=MAX_ONSET_AGE_DAYS)

    def problem(text: str, assumption: str) -> None:
        (assumed if lenient else problems).append(assumption if lenient else text)

    for s in symptoms:
        code = Symptom(s.symptom).value
        onset = s.onset
        if onset is None:
            problem(
                f"{code}: onset: say when it started", f"{code}: onset not given, report date used"
            )
            onset = today
        elif onset > today:
            problem(
                f"{code}: onset: cannot be in the future",
                f"{code}: onset {onset} was in the future, report date used",
            )
            onset = today
        elif onset < earliest:
            problem(
                f"{code}: onset: must be within the last year",
                f"{code}: onset {onset} was over a year ago, kept as given",
            )
        severity = s.severity
        if severity not in PATIENT_SEVERITIES:
            problem(f"{code}: severity: choose how bad it is", f"{code}: severity not given")
            severity = Severity.NOT_STATED
        still_present = s.still_present
        if still_present is None:
            problem(
                f"{code}: still_present: say if it is still there",
                f"{code}: not said whether still present, taken as still present",
            )
            still_present = True
        resolved_on = None
        if not still_present:
            resolved_on = s.resolved_on or today
            if resolved_on > today or resolved_on < onset:
                problem(
                    f"{code}: resolved_on: must be between the onset and today",
                    f"{code}: end date {resolved_on} impossible, report date used",
                )
                resolved_on = today if resolved_on > today else onset
        settled.append(_Settled(Symptom(code), onset, severity, still_present, resolved_on))
    return settled, problems, assumed


def _session_for(
    onset: dt.date, sessions: list[Session], preferred: Session | None
) -> Session | None:
    """The session an event belongs to: the preferred one if it came first, else the last before it."""
    if preferred is not None and preferred.date <= onset:
        return preferred
    before = [s for s in sessions if s.date <= onset]
    return before[-1] if before else None


@transaction.atomic
def _store_report(
    *,
    patient: Patient,
    kind: CheckInKind,
    session: Session | None,
    symptoms: Sequence[ReportedSymptom],
    no_problems: bool,
    note: str,
    submission_key: uuid.UUID | None,
    now: dt.datetime,
) -> ReportResult:
    if submission_key is not None:
        existing = CheckIn.objects.filter(submission_key=submission_key).first()
        if existing is not None and existing.patient_id == patient.pk:
            return _result_of(existing, created=False)
        if existing is not None:  # another patient's key: never show their report
            submission_key = None

    parsed = _parse_symptoms(symptoms)
    triage = classify([s.symptom for s in parsed])
    if no_problems and parsed:
        raise ValidationError({"symptoms": "either no problems or symptoms, not both"})
    if not no_problems and not parsed:
        raise ValidationError({"symptoms": "tick at least one symptom, or choose No problems"})
    if session is not None and session.patient_id != patient.pk:
        raise ValidationError({"session": "not this patient's session"})

    today = patient_today(patient, now)
    settled, problems, assumed = _settle_details(parsed, today, lenient=triage.has_red_flags)
    if problems:
        raise ValidationError({"symptoms": problems})

    if kind is not CheckInKind.ADHOC and (
        session is None or CheckIn.objects.filter(session=session, kind=kind).exists()
    ):
        kind = CheckInKind.ADHOC
    sessions = completed_sessions(patient, today)
    if session is None and sessions:
        session = sessions[-1]

    note = note.strip()[:2000]
    checkin = CheckIn(
        patient=patient,
        session=session,
        kind=kind,
        submitted_at=now,
        no_problems=no_problems,
        answers={
            "symptoms": [
                {
                    "symptom": str(s.symptom),
                    "onset": s.onset.isoformat(),
                    "severity": s.severity,
                    "still_present": s.still_present,
                    "resolved_on": s.resolved_on.isoformat() if s.resolved_on else None,
                }
                for s in settled
            ],
            "note": note,
            "assumed": assumed,
        },
        triage_level=triage.level.value,
        guidance=list(triage.patient_guidance),
        submission_key=submission_key or uuid.uuid4(),
    )
    checkin.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            checkin.save()
    except IntegrityError:
        # The same page sent twice at once, or the check-in answered in another tab.
        again = CheckIn.objects.filter(submission_key=checkin.submission_key).first()
        if again is not None and again.patient_id == patient.pk:
            return _result_of(again, created=False)
        checkin.kind = CheckInKind.ADHOC
        checkin.pk = None
        checkin.save()

    events: list[AdverseEvent] = []
    for s in settled:
        event = AdverseEvent(
            patient=patient,
            session=_session_for(s.onset, sessions, session),
            symptom=str(s.symptom),
            onset=s.onset,
            severity=s.severity,
            red_flag=s.symptom in triage.red_flags,
            resolved_on=s.resolved_on,
            outcome=Outcome.NOT_RECOVERED if s.still_present else Outcome.RECOVERED,
            checkin=checkin,
            source=Source.PATIENT,
            description=f"Patient's words: {note}" if note else "",
        )
        event.full_clean()
        event.save()
        events.append(event)

    record(
        action="create",
        category="safety_report",
        patient=patient,
        object_ref=f"checkin:{checkin.pk}",
        detail={
            "kind": checkin.kind,
            "symptoms": len(events),
            "red_flag": triage.has_red_flags,
            "no_problems": no_problems,
        },
    )
    alert = None
    if triage.has_red_flags:
        primary = next(e for e in events if e.red_flag)
        alert = _raise_alert(event=primary, checkin=checkin, triage=triage, now=now)
    return ReportResult(checkin, triage, tuple(events), alert, True)


# --- alerts ------------------------------------------------------------------------------


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
        recent.summary = _merged_summary(recent.summary, triage.clinician_summary)
        recent.reports += 1
        recent.last_report_at = max(now, recent.last_report_at or recent.created_at)
        recent.save(update_fields=["summary", "reports", "last_report_at"])
        record(
            action="update",
            category="safety_alert",
            patient=event.patient,
            object_ref=f"alert:{recent.pk}",
            detail={"merged_event": event.pk, "reports": recent.reports},
        )
        return recent
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
    alert.full_clean()
    alert.save()
    outbox.queue(
        kind=EmailKind.RED_FLAG,
        to=_recipients(clinic, escalation=False),
        subject=f"RED FLAG safety alert #{alert.pk} – {clinic.name}",
        body=_email_body(alert, clinic, escalation_level=0),
        clinic=clinic,
        alert=alert,
        now=now,
    )
    record(
        action="create",
        category="safety_alert",
        patient=event.patient,
        object_ref=f"alert:{alert.pk}",
        detail={"event": event.pk},
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
    record(
        action="update",
        category="safety_alert",
        patient=alert.patient,
        object_ref=f"alert:{alert.pk}",
        detail={"acknowledged": True},
    )
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
            record(
                action="update",
                category="safety_alert",
                patient=alert.patient,
                object_ref=f"alert:{alert.pk}",
                detail={"escalation_level": level},
                user=None,
            )
        count += 1
    return count


# --- the adverse-event register ----------------------------------------------------------

EVENT_FIELDS = (
    "symptom",
    "onset",
    "severity",
    "seriousness",
    "relatedness",
    "outcome",
    "resolved_on",
    "session",
    "region",
    "site_codes",
    "description",
    "actions",
    "avoid_sites",
    "relevant_tests",
    "relevant_history",
)


def _validate_event(event: AdverseEvent) -> None:
    errors: dict[str, list[str]] = {}

    def add(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    if event.symptom not in Symptom._value2member_map_:
        add("symptom", f"unknown symptom {event.symptom!r}")
    codes = list(event.seriousness or [])
    for code in codes:
        if code not in Seriousness.values:
            add("seriousness", f"unknown code {code!r}")
    if len(set(codes)) != len(codes):
        add("seriousness", "a code appears twice")
    if event.outcome == Outcome.FATAL and Seriousness.DEATH not in codes:
        add("seriousness", "a fatal outcome must be marked death")
    if Seriousness.DEATH in codes and event.outcome != Outcome.FATAL:
        add("outcome", "must be fatal when the seriousness includes death")
    if event.relatedness and event.relatedness not in Relatedness.values:
        add("relatedness", f"unknown value {event.relatedness!r}")
    if (
        event.outcome in (Outcome.RECOVERED, Outcome.RECOVERED_WITH_SEQUELAE)
        and event.resolved_on is None
    ):
        add("resolved_on", "give the date it resolved")
    if event.resolved_on and event.resolved_on < event.onset:
        add("resolved_on", "cannot be before the onset")
    if event.session_id is not None:
        session = event.session
        if session is None or session.patient_id != event.patient_id:
            add("session", "not this patient's session")
        elif session.date > event.onset:
            add("session", "the session must be on or before the onset")
    for field in ("site_codes", "avoid_sites"):
        for code in getattr(event, field) or []:
            if dosing.get_site(str(code)) is None:
                add(field, f"unknown site code {code!r}")
    if errors:
        raise ValidationError(errors)


def _apply(event: AdverseEvent, fields: dict[str, Any]) -> None:
    unknown = set(fields) - set(EVENT_FIELDS)
    if unknown:
        raise ValidationError({"__all__": f"unknown fields: {', '.join(sorted(unknown))}"})
    for name, value in fields.items():
        if name in ("seriousness", "site_codes", "avoid_sites"):
            value = list(dict.fromkeys(str(v) for v in (value or [])))
        elif isinstance(value, str):
            value = value.strip()
        setattr(event, name, value)
    event.serious = bool(event.seriousness)
    event.red_flag = (
        classify([event.symptom]).has_red_flags
        if event.symptom in Symptom._value2member_map_
        else False
    )
    if not event.region and event.site_codes:
        muscles = {s.muscle for s in (dosing.get_site(c) for c in event.site_codes) if s}
        if len(muscles) == 1:
            event.region = muscles.pop().value


@transaction.atomic
def record_adverse_event(
    *, patient: Patient, user: User, now: dt.datetime | None = None, **fields: Any
) -> AdverseEvent:
    """A clinician's entry in the register. A red-flag symptom raises an alert as well,
    so a clinician still signs it off with the action taken."""
    fields.setdefault("outcome", Outcome.UNKNOWN)
    event = AdverseEvent(patient=patient, source=Source.CLINIC, recorded_by=user)
    _apply(event, fields)
    _validate_event(event)
    event.full_clean()
    event.save()
    record(
        action="create",
        category="adverse_event",
        patient=patient,
        object_ref=f"adverse_event:{event.pk}",
        detail={"red_flag": event.red_flag, "serious": event.serious},
    )
    if event.red_flag:
        _raise_alert(
            event=event, checkin=None, triage=classify([event.symptom]), now=now or timezone.now()
        )
    return event


@transaction.atomic
def update_adverse_event(
    *, event: AdverseEvent, user: User, now: dt.datetime | None = None, **fields: Any
) -> AdverseEvent:
    """Change a register entry (any source). Turning it into a red flag raises an alert."""
    was_red = event.red_flag
    before = {name: getattr(event, name) for name in fields}
    _apply(event, fields)
    _validate_event(event)
    event.full_clean()
    event.save()
    changed = sorted(name for name in fields if getattr(event, name) != before[name])
    record(
        action="update",
        category="adverse_event",
        patient=event.patient,
        object_ref=f"adverse_event:{event.pk}",
        detail={"fields": changed},
        user=user,
    )
    if event.red_flag and not was_red and not event.alerts.exists():
        _raise_alert(
            event=event, checkin=None, triage=classify([event.symptom]), now=now or timezone.now()
        )
    return event


# --- the clinic's safety settings (the Safety settings page, clinic admins) ---------------------

#: The settings a clinic admin changes on the Safety settings page.
SAFETY_SETTINGS = (
    "urgent_phone",
    "out_of_hours_number",
    "emergency_number",
    "escalation_minutes",
    "max_escalations",
    "physicians_only_acknowledge",
)
PHONE_FIELDS = ("urgent_phone", "out_of_hours_number", "emergency_number")
#: Bounds of the alert settings: at least a minute, at most a day between escalations.
ESCALATION_MINUTES = range(1, 24 * 60 + 1)
MAX_ESCALATIONS = range(0, 51)
_PHONE_CHARS = frozenset("0123456789 +-().")
#: The longest each number may be (the model's column lengths).
_PHONE_LIMITS = {"urgent_phone": 40, "out_of_hours_number": 20, "emergency_number": 20}


def phone_problem(value: str, *, limit: int) -> str | None:
    """Why `value` is not a number a patient can dial, in plain words; None when it is.

    Digits with spaces, brackets, dots or dashes between them; a `+` only in front
    (international form). From 3 digits (999, 111, 112) to 15 (the longest number).
    The patient's page dials the digits alone (`tel:`), so nothing else may be in it.
    """
    if len(value) > limit:
        return f"Use at most {limit} characters."
    if not set(value) <= _PHONE_CHARS:
        return (
            "Use digits only, with spaces, brackets or dashes if you like "
            "(for example 0113 496 0000, or +44 113 496 0000)."
        )
    if "+" in value[1:]:
        return "A + may only come first, as in +44 113 496 0000."
    digits = sum(c.isdigit() for c in value)
    if digits < 3:
        return "This is too short to be a phone number: give at least 3 digits."
    if digits > 15:
        return "This is too long to be a phone number: give at most 15 digits."
    return None


@transaction.atomic
def update_safety_settings(*, clinic: Clinic, by: User, **fields: Any) -> list[str]:
    """Change the clinic's safety settings (clinic admins): the numbers shown to patients in
    the urgent guidance, and the red-flag alert settings. Every problem is refused with the
    field it concerns, and nothing is stored unless all are right. Audited with before and
    after; returns the names of the settings changed."""
    require_role(by, clinic, (Role.CLINIC_ADMIN,), "change the clinic's safety settings")
    unknown = set(fields) - set(SAFETY_SETTINGS)
    if unknown:
        raise ValueError(f"update_safety_settings: not settings: {sorted(unknown)}")
    row = SafetySettings.objects.select_for_update().filter(clinic=clinic).first()
    creating = row is None
    if row is None:
        row = SafetySettings(clinic=clinic)
    wanted = dict(fields)
    problems: dict[str, str] = {}
    for name in PHONE_FIELDS:
        if name in wanted:
            value = " ".join(str(wanted[name] or "").split())
            wanted[name] = value
            limit = _PHONE_LIMITS[name]
            if not value:
                if name == "emergency_number":
                    problems[name] = (
                        "Give the emergency number patients should call (999 in the UK)."
                    )
                continue
            problem = phone_problem(value, limit=limit)
            if problem:
                problems[name] = problem
    for name, bounds, words in (
        ("escalation_minutes", ESCALATION_MINUTES, "between 1 and 1440 minutes (a day)"),
        ("max_escalations", MAX_ESCALATIONS, "between 0 and 50"),
    ):
        if name in wanted:
            value = wanted[name]
            if not isinstance(value, int) or isinstance(value, bool) or value not in bounds:
                problems[name] = f"Give a whole number {words}."
    if "physicians_only_acknowledge" in wanted:
        wanted["physicians_only_acknowledge"] = bool(wanted["physicians_only_acknowledge"])
    if problems:
        raise ValidationError(problems)
    before = {name: getattr(row, name) for name in wanted}
    for name, value in wanted.items():
        setattr(row, name, value)
    row.full_clean()
    changed = [name for name in wanted if getattr(row, name) != before[name]]
    if changed or creating:
        row.save()
    if changed:
        record(
            action="update",
            category="safety_settings",
            clinic_id=clinic.pk,
            user=by,
            object_ref=f"safety_settings:{row.pk}",
            detail={
                "changed": changed,
                "before": {name: before[name] for name in changed},
                "after": {name: getattr(row, name) for name in changed},
            },
        )
    return changed
