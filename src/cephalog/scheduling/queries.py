"""Reads for the calendar pages and feeds. Query counts are fixed (no per-row queries)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import OuterRef, Prefetch, QuerySet, Subquery

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
from cephalog.treatment.models import Session, SessionStatus

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


#: The windows a user can choose on the schedule page, in weeks.
SCHEDULE_WINDOWS = (1, 2, 4, 8, 12)


@dataclass(frozen=True)
class ScheduleRow:
    """One appointment on the clinic schedule, with the patient's last session given."""

    appt: Appointment
    last_session: dt.date | None
    today: dt.date

    @property
    def days_overdue(self) -> int:
        return max(0, (self.today - self.appt.date).days)

    @property
    def past_window(self) -> bool:
        """Later than the scheduling window after the due date (due + 7 days)."""
        return self.appt.latest is not None and self.appt.latest < self.today

    @property
    def booked(self) -> bool:
        return self.appt.time is not None


@dataclass(frozen=True)
class ClinicSchedule:
    overdue: list[ScheduleRow]
    upcoming: list[ScheduleRow]
    weeks: int

    def __len__(self) -> int:
        return len(self.overdue) + len(self.upcoming)


def clinic_schedule(
    clinic_ids: Iterable[int], today: dt.date, weeks: int = SCHEDULE_WEEKS
) -> ClinicSchedule:
    """The clinic's work from the stored treatment plans (the rows the patients' calendars show).

    Overdue: planned sessions whose due date has passed (a first session too). In the
    window: planned sessions, consultations, reviews, reassessments and authorisation
    ends from `today` for `weeks` weeks, booked (with a time) or not. Each row carries
    the patient's last session given. Two queries, whatever the number of rows.
    """
    last_given = (
        Session.objects.filter(patient=OuterRef("patient_id"), status=SessionStatus.COMPLETED)
        .order_by("-date")
        .values("date")[:1]
    )
    planned = (
        Appointment.objects.filter(
            patient__clinic_id__in=list(clinic_ids), status=AppointmentStatus.PLANNED
        )
        .select_related("patient__clinic")
        .annotate(last_session=Subquery(last_given))
    )
    overdue = planned.filter(kind=AppointmentKind.SESSION, date__lt=today).order_by(
        "date", "patient__family_name", "id"
    )
    upcoming = planned.filter(
        kind__in=CLINIC_KINDS, date__gte=today, date__lt=today + dt.timedelta(weeks=weeks)
    ).order_by("date", "time", "patient__family_name", "id")
    return ClinicSchedule(
        overdue=[ScheduleRow(a, a.last_session, today) for a in overdue],
        upcoming=[ScheduleRow(a, a.last_session, today) for a in upcoming],
        weeks=weeks,
    )


def clinic_feed_appointments(clinic: Clinic, today: dt.date) -> QuerySet[Appointment]:
    return (
        Appointment.objects.filter(
            patient__clinic=clinic, kind__in=CLINIC_KINDS, date__gte=today - CLINIC_FEED_HISTORY
        )
        .select_related("patient")
        .order_by("date", "id")
    )
