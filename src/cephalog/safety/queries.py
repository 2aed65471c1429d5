"""Reads for safety monitoring, always scoped to what the user may see."""

from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404

from cephalog.accounts.access import CLINICAL_ROLES, staff_clinic_ids
from cephalog.accounts.models import Clinic, Membership, Role
from cephalog.domain import schedule
from cephalog.domain.safety import SYMPTOMS, Symptom
from cephalog.patients.models import Patient
from cephalog.safety.models import (
    AdverseEvent,
    CheckIn,
    CheckInKind,
    EmailStatus,
    OutboundEmail,
    SafetyAlert,
    SafetySettings,
)
from cephalog.treatment.models import Session, SessionStatus

# The session page reads it too: it lives in treatment.queries (below safety).
from cephalog.treatment.queries import avoid_sites_for as avoid_sites_for

logger = logging.getLogger("cephalog.safety.queries")

# --- settings and dates ------------------------------------------------------------------


def settings_for(clinic: Clinic | int) -> SafetySettings:
    """The clinic's safety settings, or the defaults (unsaved) when it has none."""
    clinic_id = clinic if isinstance(clinic, int) else clinic.pk
    found = SafetySettings.objects.filter(clinic_id=clinic_id).first()
    return found or SafetySettings(clinic_id=clinic_id)


@dataclass(frozen=True)
class CallNumbers:
    """The numbers a patient told to get help is given, beside the words that tell her.

    `urgent` is the clinic's urgent line, or the clinic's general number when it has set
    none (`urgent_is_set` then False: the pages call it "the clinic's number", not urgent).
    """

    clinic_name: str
    emergency: str
    urgent: str
    urgent_is_set: bool
    out_of_hours: str

    @property
    def emergency_tel(self) -> str:
        return tel(self.emergency)

    @property
    def urgent_tel(self) -> str:
        return tel(self.urgent)

    @property
    def out_of_hours_tel(self) -> str:
        return tel(self.out_of_hours)


def tel(number: str) -> str:
    """A phone number as a tel: link target (digits and a leading +)."""
    return re.sub(r"[^0-9+]", "", number)


def call_numbers(patient: Patient) -> CallNumbers:
    """The emergency, urgent and out-of-hours numbers of the patient's clinic.

    Never fails: when the settings cannot be read the patient still gets the clinic's
    number and 999, so nothing stands between a warning sign and a number to call.
    """
    clinic = patient.clinic
    try:
        found = settings_for(patient.clinic_id)
    except Exception:  # the guidance must show even when the database does not answer
        logger.exception("safety settings unavailable; using the default emergency number")
        return CallNumbers(clinic.name, "999", clinic.phone, False, "")
    return CallNumbers(
        clinic_name=clinic.name,
        emergency=found.emergency_number or "999",
        urgent=found.urgent_phone or clinic.phone,
        urgent_is_set=bool(found.urgent_phone),
        out_of_hours=found.out_of_hours_number,
    )


# --- check-ins ---------------------------------------------------------------------------

_KIND_BY_EVENT = {
    schedule.EventKind.CHECKIN_DAY3: CheckInKind.DAY3,
    schedule.EventKind.CHECKIN_DAY14: CheckInKind.DAY14,
}


@dataclass(frozen=True)
class DueCheckIn:
    """A scheduled check-in whose answer window is open and that is not yet answered."""

    session: Session
    kind: CheckInKind
    date: dt.date
    latest: dt.date | None


def completed_sessions(patient: Patient, on_or_before: dt.date) -> list[Session]:
    return list(
        Session.objects.filter(
            patient=patient, status=SessionStatus.COMPLETED, date__lte=on_or_before
        ).order_by("date")
    )


def due_checkin(patient: Patient, today: dt.date) -> DueCheckIn | None:
    """The open day-3 or day-14 check-in, from the domain's treatment calendar (domain.schedule).

    Windows: day 3 until day 7, day 14 until day 21 after each completed
    session (docs/domain-decisions.md, Schedule). None when nothing is due.
    """
    sessions = completed_sessions(patient, today)
    if not sessions:
        return None
    plan = schedule.treatment_plan(
        consultation_date=sessions[0].date,
        session_dates=[s.date for s in sessions],
        sessions_ahead=0,
    )
    answered = set(
        CheckIn.objects.filter(
            session__in=sessions, kind__in=[CheckInKind.DAY3, CheckInKind.DAY14]
        ).values_list("session_id", "kind")
    )
    for event in plan:
        kind = _KIND_BY_EVENT.get(event.kind)
        if kind is None or not 1 <= event.cycle <= len(sessions):
            continue
        if not event.earliest <= today <= (event.latest or event.earliest):
            continue
        session = sessions[event.cycle - 1]
        if (session.pk, kind.value) not in answered:
            return DueCheckIn(session, kind, event.date, event.latest)
    return None


def patient_checkin(patient: Patient, checkin_id: int) -> CheckIn:
    """One of the patient's own submissions; anyone else's is a 404."""
    found = CheckIn.objects.filter(patient=patient, pk=checkin_id).first()
    if found is None:
        raise Http404("No such report")
    return found


# --- alerts ------------------------------------------------------------------------------


def _alerts_for(user: Any) -> QuerySet[SafetyAlert]:
    if not getattr(user, "is_authenticated", False):
        return SafetyAlert.objects.none()
    return SafetyAlert.objects.filter(clinic_id__in=staff_clinic_ids(user))


def open_alerts_for(user: Any) -> list[SafetyAlert]:
    """Unacknowledged red flags of the user's clinics, oldest first (one query).

    Used by the banner on every staff page, so it joins the membership in
    the same query instead of looking the clinics up first.
    """
    if not getattr(user, "is_authenticated", False):
        return []
    return list(
        SafetyAlert.objects.filter(acknowledged_at__isnull=True, clinic__memberships__user=user)
        .select_related("patient", "event", "clinic")
        .order_by("created_at", "id")
        .distinct()
    )


def recent_alerts_for(user: Any, *, since: dt.datetime) -> list[SafetyAlert]:
    return list(
        _alerts_for(user)
        .filter(Q(acknowledged_at__isnull=True) | Q(created_at__gte=since))
        .select_related("patient", "event", "clinic", "acknowledged_by")
        .order_by("-created_at", "-id")
    )


def alert_for(user: Any, alert_id: int) -> SafetyAlert:
    found = (
        _alerts_for(user)
        .select_related("patient", "event", "clinic", "checkin", "acknowledged_by")
        .filter(pk=alert_id)
        .first()
    )
    if found is None:
        raise Http404("No such alert")
    return found


def can_acknowledge(user: Any, clinic_id: int) -> bool:
    """Clinicians acknowledge red flags: physicians always, nurses unless the clinic says not.

    Clinic admins see the alert but are not clinicians (docs/production.md, section 6).
    """
    if not getattr(user, "is_authenticated", False):
        return False
    roles = [Role.PHYSICIAN.value]
    if not settings_for(clinic_id).physicians_only_acknowledge:
        roles.append(Role.NURSE.value)
    return Membership.objects.filter(user=user, clinic_id=clinic_id, role__in=roles).exists()


def undelivered_emails_for(user: Any) -> list[OutboundEmail]:
    """Safety emails of the user's clinics that are not (yet) sent: failures stay visible."""
    return list(
        OutboundEmail.objects.filter(clinic_id__in=staff_clinic_ids(user))
        .exclude(status=EmailStatus.SENT)
        .select_related("alert")
        .order_by("created_at", "id")
    )


# --- the register ------------------------------------------------------------------------


def events_for_staff(user: Any) -> QuerySet[AdverseEvent]:
    """Adverse events of the patients of the user's clinics."""
    return AdverseEvent.objects.filter(patient__clinic_id__in=staff_clinic_ids(user))


def event_for(user: Any, event_id: int, *, roles: tuple[str, ...] = CLINICAL_ROLES) -> AdverseEvent:
    found = (
        AdverseEvent.objects.filter(patient__clinic_id__in=staff_clinic_ids(user, roles))
        .select_related("patient", "patient__clinic", "session", "recorded_by")
        .filter(pk=event_id)
        .first()
    )
    if found is None:
        raise Http404("No such event")
    return found


def patient_events(patient: Patient) -> list[AdverseEvent]:
    return list(
        AdverseEvent.objects.filter(patient=patient)
        .select_related("session")
        .order_by("-onset", "-id")
    )


# --- for other areas: the site map and the cycle summary ---------------------------------


@dataclass(frozen=True)
class AdverseEventSummary:
    """An adverse event as the one-page cycle summary shows it."""

    event_id: int
    onset: dt.date
    symptom: str
    label: str
    severity: str
    serious: bool
    red_flag: bool
    outcome: str
    resolved_on: dt.date | None
    session_date: dt.date | None


def events_between(patient: Patient, start: dt.date, end: dt.date) -> list[AdverseEventSummary]:
    """The patient's adverse events with onset in [start, end] (both inclusive), oldest first."""
    rows = (
        AdverseEvent.objects.filter(patient=patient, onset__gte=start, onset__lte=end)
        .select_related("session")
        .order_by("onset", "id")
    )
    return [
        AdverseEventSummary(
            event_id=e.pk,
            onset=e.onset,
            symptom=e.symptom,
            label=e.symptom_label,
            severity=e.severity,
            serious=e.serious,
            red_flag=e.red_flag,
            outcome=e.outcome,
            resolved_on=e.resolved_on,
            session_date=e.session.date if e.session else None,
        )
        for e in rows
    ]


# --- the patient's own reports, with what the clinic did (issue 16.6) -----------------------


@dataclass(frozen=True)
class ReportStatus:
    """One of the patient's reports as they see it: what they reported, and whether a
    clinician has read it (a red flag is acknowledged with what was done)."""

    checkin: CheckIn
    symptoms: list[str]
    urgent: bool  # a red flag: the clinic was alerted
    read_by: str  # who acknowledged it, in words ("" while nobody has)
    read_at: dt.datetime | None
    action_taken: str


def _clinician(user: Any, clinic: Clinic) -> str:
    name = user.get_full_name().strip() if user is not None else ""
    return name or f"a clinician at {clinic.name}"


def patient_reports(patient: Patient, *, only: int | None = None) -> list[ReportStatus]:
    """The patient's side-effect reports and check-ins with symptoms, newest first, each
    with its acknowledgement (three queries whatever the number of reports)."""
    found = CheckIn.objects.filter(patient=patient, no_problems=False).order_by(
        "-submitted_at", "-id"
    )
    if only is not None:
        found = found.filter(pk=only)
    checkins = list(found.prefetch_related("events")[:50])
    events = {e.pk: c for c in checkins for e in c.events.all()}
    alerts = list(
        SafetyAlert.objects.filter(patient=patient)
        .filter(Q(checkin__in=checkins) | Q(event_id__in=list(events)))
        .select_related("acknowledged_by")
        .order_by("created_at")
    )
    out = []
    for checkin in checkins:
        mine = [
            a for a in alerts if a.checkin_id == checkin.pk or events.get(a.event_id) is checkin
        ]
        done = [a for a in mine if a.acknowledged_at is not None]
        first = done[0] if done else None
        out.append(
            ReportStatus(
                checkin=checkin,
                symptoms=[SYMPTOMS[Symptom(e.symptom)].patient_label for e in checkin.events.all()],
                urgent=bool(mine) or any(e.red_flag for e in checkin.events.all()),
                read_by=_clinician(first.acknowledged_by, patient.clinic) if first else "",
                read_at=first.acknowledged_at if first else None,
                action_taken=first.action_taken if first else "",
            )
        )
    return out
