"""Reads for the calendar pages and feeds. Query counts are fixed (no per-row queries)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Prefetch, QuerySet

from cephalog.accounts.models import Clinic, Membership
from cephalog.patients.models import Patient
from cephalog.scheduling.actions import feed_token_value, hash_token
from cephalog.scheduling.models import (
    Appointment,
    AppointmentChange,
    AppointmentKind,
    AppointmentStatus,
    CalendarFeedToken,
    ReminderSent,
    ReminderStatus,
)

#: What the clinic schedule and the clinic feed show: the clinic's own work, not the
#: patient's tasks (diary, questionnaires) nor patient-answered check-ins.
CLINIC_KINDS = (
    AppointmentKind.CONSULTATION,
    AppointmentKind.SESSION,
    AppointmentKind.REVIEW,
    AppointmentKind.REASSESSMENT,
    AppointmentKind.AUTHORISATION_EXPIRY,
)
SCHEDULE_WEEKS = 8
#: How far back the clinic feed reaches (old events drop out of staff calendars).
CLINIC_FEED_HISTORY = dt.timedelta(days=90)


@dataclass(frozen=True)
class PatientCalendar:
    upcoming: list[Appointment]
    past: list[Appointment]
    next_session: Appointment | None


def patient_calendar(patient: Patient, today: dt.date) -> PatientCalendar:
    rows = list(Appointment.objects.filter(patient=patient).order_by("date", "time", "id"))
    upcoming = [a for a in rows if a.date >= today and a.status != AppointmentStatus.DONE]
    past = [a for a in rows if a not in upcoming and a.status != AppointmentStatus.CANCELLED]
    past.reverse()
    next_session = next(
        (
            a
            for a in rows
            if a.kind == AppointmentKind.SESSION and a.status == AppointmentStatus.PLANNED
        ),
        None,
    )
    return PatientCalendar(upcoming, past, next_session)


def staff_appointments(patient: Patient) -> list[Appointment]:
    changes = AppointmentChange.objects.select_related("by").order_by("-at", "-id")
    return list(
        Appointment.objects.filter(patient=patient)
        .prefetch_related(Prefetch("changes", queryset=changes))
        .order_by("date", "time", "id")
    )


def recent_reminders(patient: Patient, limit: int = 30) -> list[ReminderSent]:
    return list(ReminderSent.objects.filter(patient=patient).order_by("-created_at", "-id")[:limit])


def unsent_reminders(patient: Patient) -> int:
    return ReminderSent.objects.filter(patient=patient, status=ReminderStatus.FAILED).count()


def live_token(*, patient: Patient | None = None, clinic: Clinic | None = None) -> str | None:
    """The live feed secret of a patient or clinic, or None."""
    owner = {"patient": patient} if patient is not None else {"clinic": clinic}
    token = CalendarFeedToken.objects.filter(revoked_at__isnull=True, **owner).first()
    return feed_token_value(token) if token else None


def live_clinic_tokens(clinics: Iterable[Clinic], holder: Any) -> dict[int, str]:
    """`holder`'s own live clinic feed addresses, by clinic."""
    tokens = CalendarFeedToken.objects.filter(
        revoked_at__isnull=True, clinic__in=list(clinics), holder=holder
    )
    return {t.clinic_id: feed_token_value(t) for t in tokens if t.clinic_id is not None}


def token_owner(value: str) -> CalendarFeedToken | None:
    """The live token with this secret, or None (unknown or revoked). A clinic feed is live
    only while its holder's account is active and they hold a role in that clinic."""
    token = (
        CalendarFeedToken.objects.select_related("patient__clinic", "clinic", "holder")
        .filter(token_hash=hash_token(value), revoked_at__isnull=True)
        .first()
    )
    if token is None or token.clinic_id is None:
        return token
    holder = token.holder
    if holder is None or not holder.is_active:
        return None
    if not Membership.objects.filter(user=holder, clinic_id=token.clinic_id).exists():
        return None
    return token


def clinic_schedule(
    clinic_ids: Iterable[int], today: dt.date, weeks: int = SCHEDULE_WEEKS
) -> QuerySet[Appointment]:
    return (
        Appointment.objects.filter(
            patient__clinic_id__in=list(clinic_ids),
            status=AppointmentStatus.PLANNED,
            kind__in=CLINIC_KINDS,
            date__gte=today,
            date__lt=today + dt.timedelta(weeks=weeks),
        )
        .select_related("patient__clinic")
        .order_by("date", "time", "patient__family_name", "id")
    )


def clinic_feed_appointments(clinic: Clinic, today: dt.date) -> QuerySet[Appointment]:
    return (
        Appointment.objects.filter(
            patient__clinic=clinic, kind__in=CLINIC_KINDS, date__gte=today - CLINIC_FEED_HISTORY
        )
        .select_related("patient")
        .order_by("date", "id")
    )
