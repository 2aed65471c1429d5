"""Reminders sent by the server: upcoming sessions, check-ins, questionnaires, the evening diary.

Calendar apps ignore alarms in subscribed feeds, so the server emails.

Once only
---------
A reminder is identified by a key: "appt:<uid>:<sequence>:<offset>" or
"diary:<patient>:<local date>". `ReminderSent.key` is unique, so a key can be
claimed once, ever, whatever runs the sweep and however often.

1. The sweep (`send_due_reminders`, run every few minutes by `cephalog
   send-reminders`) finds what is due and claims each new key by inserting a
   `pending` row. An IntegrityError means another sweep claimed it first:
   nothing more happens. After the insert commits, a `deliver_reminder` task
   is enqueued (Django tasks; the database worker, `cephalog worker`, runs it).
2. The task claims the row with one conditional UPDATE (pending/failed →
   sending, attempts + 1). Only one caller can win it; a duplicate task, or
   the same task run twice, finds nothing to claim and stops. The email is
   sent outside any transaction, then the row becomes `sent`, or `failed`
   with the error class (never the message: it can hold the address).
3. Each sweep also re-enqueues: `failed` rows (fewer than MAX_ATTEMPTS
   attempts: "retried on the next sweep"), `pending` rows whose task was lost
   (enqueued more than LEASE ago: the process died between commit and
   enqueue, or the worker's queue was lost), and `sending` rows claimed more
   than LEASE ago (the worker died while sending). Rows past `expires_at`
   (a diary reminder after midnight, a session reminder after the session)
   become `skipped` instead.

The one window that can still produce a second email: the worker dies after
the mail server accepted the message and before the row is marked `sent`.
After LEASE the row is retried, because "maybe sent" is more often "not
sent" (the SMTP conversation is where the time goes) and a duplicate
reminder does less harm than a missing one. No exactly-once delivery exists
over SMTP; everything short of a crash in that window sends once.

Emails carry no clinical detail: "treatment session", never the drug or the
diagnosis; the patient's first name, the date, the clinic, a link.
"""

from __future__ import annotations

import datetime as dt
import logging
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.core.mail import EmailMessage
from django.db.models import F, Q
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from cephalog.diary.models import DiaryEntry
from cephalog.domain.schedule import format_date
from cephalog.patients.models import Patient
from cephalog.scheduling import reminder_actions
from cephalog.scheduling.models import (
    Appointment,
    AppointmentKind,
    AppointmentStatus,
    ReminderKind,
    ReminderSent,
    ReminderStatus,
)

logger = logging.getLogger(__name__)

# The claim rows' writes live in reminder_actions (every write in an actions module).
LEASE = reminder_actions.LEASE
MAX_ATTEMPTS = reminder_actions.MAX_ATTEMPTS
claim = reminder_actions.claim
_enqueue = reminder_actions.enqueue

#: Appointment reminders go out in the patient's daytime, never at night.
SEND_FROM = dt.time(9, 0)
SEND_UNTIL = dt.time(20, 0)
#: Days before a session for the "next week" and "tomorrow" reminders.
SESSION_WEEK_DAYS = range(2, 8)
SESSION_DAY_DAYS = range(0, 2)
#: Kinds whose reminder is sent once while their answer window is open.
_WINDOW_KINDS = {
    AppointmentKind.CHECKIN_DAY3: ReminderKind.CHECKIN,
    AppointmentKind.CHECKIN_DAY14: ReminderKind.CHECKIN,
    AppointmentKind.QUESTIONNAIRE: ReminderKind.QUESTIONNAIRE,
}
_LOOKAHEAD = dt.timedelta(days=max(SESSION_WEEK_DAYS) + 1)
_LOOKBACK = dt.timedelta(days=8)  # answer windows close at most 7 days after their date


@dataclass
class SweepResult:
    claimed: list[int] = field(default_factory=list)
    retried: list[int] = field(default_factory=list)
    expired: int = 0

    def as_dict(self) -> dict[str, int]:
        return {
            "claimed": len(self.claimed),
            "retried": len(self.retried),
            "expired": self.expired,
        }


@dataclass(frozen=True)
class Candidate:
    key: str
    kind: str
    patient: Patient
    for_date: dt.date
    expires_at: dt.datetime
    appointment: Appointment | None = None


def _zone(patient: Patient) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(patient.time_zone)


def _end_of_local_day(day: dt.date, tz: zoneinfo.ZoneInfo) -> dt.datetime:
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=tz)


def appointment_key(appt: Appointment, offset: str) -> str:
    return f"appt:{appt.uid}:{appt.sequence}:{offset}"


def diary_key(patient: Patient, day: dt.date) -> str:
    return f"diary:{patient.pk}:{day.isoformat()}"


def appointment_candidates(now: dt.datetime) -> list[Candidate]:
    """Planned sessions 2-7 days and 0-1 day ahead; check-ins and questionnaires whose
    answer window is open; only in the patient's daytime."""
    utc_today = now.astimezone(dt.UTC).date()
    rows = (
        Appointment.objects.filter(
            status=AppointmentStatus.PLANNED,
            kind__in=[AppointmentKind.SESSION, *_WINDOW_KINDS],
            date__gte=utc_today - _LOOKBACK,
            date__lte=utc_today + _LOOKAHEAD,
        )
        .exclude(patient__email="")
        .select_related("patient__clinic")
    )
    found: list[Candidate] = []
    for appt in rows:
        tz = _zone(appt.patient)
        local = now.astimezone(tz)
        if not SEND_FROM <= local.time() < SEND_UNTIL:
            continue
        today = local.date()
        if appt.kind == AppointmentKind.SESSION:
            days = (appt.date - today).days
            if days in SESSION_WEEK_DAYS:
                kind, offset = ReminderKind.SESSION_WEEK, "week"
            elif days in SESSION_DAY_DAYS:
                kind, offset = ReminderKind.SESSION_DAY, "day"
            else:
                continue
            closes = appt.date
        else:
            closes = appt.latest or appt.date
            if not appt.date <= today <= closes:
                continue
            kind, offset = _WINDOW_KINDS[AppointmentKind(appt.kind)], "due"
        found.append(
            Candidate(
                key=appointment_key(appt, offset),
                kind=kind,
                patient=appt.patient,
                for_date=appt.date,
                expires_at=_end_of_local_day(closes, tz),
                appointment=appt,
            )
        )
    return found


def diary_candidates(now: dt.datetime) -> list[Candidate]:
    """Patients past their evening reminder time (their local clock) with no diary entry
    for their local today."""
    patients = (
        Patient.objects.filter(
            diary_reminder_time__isnull=False, user__isnull=False, user__is_active=True
        )
        .exclude(email="")
        .select_related("clinic")
    )
    due: list[tuple[Patient, dt.date, dt.datetime]] = []
    for patient in patients:
        tz = _zone(patient)
        local = now.astimezone(tz)
        assert patient.diary_reminder_time is not None
        if local.time() >= patient.diary_reminder_time:
            due.append((patient, local.date(), _end_of_local_day(local.date(), tz)))
    if not due:
        return []
    filled = set(
        DiaryEntry.objects.filter(
            patient_id__in={p.pk for p, _, _ in due}, date__in={d for _, d, _ in due}
        ).values_list("patient_id", "date")
    )
    return [
        Candidate(diary_key(p, d), ReminderKind.DIARY, p, d, expires)
        for p, d, expires in due
        if (p.pk, d) not in filled
    ]


def send_due_reminders(
    now: dt.datetime | None = None, *, then: Callable[[int], object] | None = None
) -> SweepResult:
    """The periodic sweep: claim what is due, retry what failed, give up on what expired.

    `then(reminder_id)` runs after each claim commits: by default it enqueues the
    `deliver_reminder` task; `cephalog send-reminders --deliver` passes `deliver`.
    """
    now = now or timezone.now()
    then = then or _enqueue
    result = SweepResult()
    stale = now - LEASE

    result.expired = reminder_actions.expire(now)

    # Claimable rows (failed and not given up, or abandoned past the lease) whose task is
    # not on its way: enqueued before the lease, or a failure not enqueued since.
    retry = reminder_actions.JOB.due_rows(now).filter(
        Q(expires_at__gt=now),
        Q(status=ReminderStatus.SENDING)
        | Q(enqueued_at__lt=stale)
        | Q(status=ReminderStatus.FAILED, enqueued_at__lte=F("last_attempt_at")),
    )
    for reminder_id in list(retry.values_list("pk", flat=True)):
        if reminder_actions.requeue(retry, reminder_id, now, then):
            result.retried.append(reminder_id)

    candidates = appointment_candidates(now) + diary_candidates(now)
    known = set(
        ReminderSent.objects.filter(key__in=[c.key for c in candidates]).values_list(
            "key", flat=True
        )
    )
    for candidate in candidates:
        if candidate.key in known:
            continue
        reminder = claim(candidate, now, then)
        if reminder is not None:
            result.claimed.append(reminder.pk)
    return result


# --- delivery ---------------------------------------------------------------------------


def _not_needed(reminder: ReminderSent) -> str:
    patient = reminder.patient
    if not patient.email:
        return "No email address"
    if reminder.kind == ReminderKind.DIARY:
        if DiaryEntry.objects.filter(patient=patient, date=reminder.for_date).exists():
            return "Diary already filled in"
        return ""
    appt = reminder.appointment
    sequence = reminder.key.rsplit(":", 2)[1]
    if appt is None or appt.status != AppointmentStatus.PLANNED or str(appt.sequence) != sequence:
        return "Appointment changed since"
    return ""


#: Where a check-in reminder points: the safety app's check-in page where it is
#: installed, else the calendar.
CHECKIN_PAGES = ("safety-checkin", "patient-calendar")


def _link(*names: str) -> str:
    """The first of the named pages that exists, as an absolute link."""
    for name in names[:-1]:
        try:
            return settings.SITE_URL.rstrip("/") + reverse(name)
        except NoReverseMatch:
            continue
    return settings.SITE_URL.rstrip("/") + reverse(names[-1])


def _long_date(day: dt.date) -> str:
    return f"{day:%A} {format_date(day)}"


def compose(reminder: ReminderSent, today: dt.date) -> EmailMessage:
    """The email: plain words, no clinical detail, a link to the app."""
    patient = reminder.patient
    clinic = patient.clinic
    hello = f"Hello {patient.given_name},\n\n"
    phone = f" on {clinic.phone}" if clinic.phone else ""
    calendar = _link("patient-calendar")
    appt = reminder.appointment
    if reminder.kind in (ReminderKind.SESSION_WEEK, ReminderKind.SESSION_DAY):
        assert appt is not None
        when = _long_date(appt.date)
        if appt.time is not None:
            line = (
                f"Your next treatment session at {clinic.name} is on {when} at {appt.time:%H:%M}."
            )
        else:
            line = f"Your next treatment session at {clinic.name} is due on {when}."
            if appt.earliest < appt.date:
                line += f" It can be from {format_date(appt.earliest)}."
            line += f" If it is not booked yet, please contact the clinic{phone}."
        soon = {0: " today", 1: " tomorrow"}.get((appt.date - today).days, "")
        subject = f"Reminder: your treatment session{soon}"
        body = f"{line}\n\nYour calendar: {calendar}\n"
    elif reminder.kind == ReminderKind.CHECKIN:
        subject = "How have you been since your treatment?"
        body = (
            "It is time for your check-in: please tell the clinic how you have been feeling "
            f"since your treatment. It takes a few minutes.\n\n{_link(*CHECKIN_PAGES)}\n"
        )
    elif reminder.kind == ReminderKind.QUESTIONNAIRE:
        assert appt is not None
        closes = appt.latest or appt.date
        subject = "Two short questionnaires before your next treatment"
        body = (
            "Please fill in two short questionnaires about how headaches affect your days, "
            f"by {_long_date(closes)}. Your answers help the clinic see how the treatment is "
            f"working.\n\n{calendar}\n"
        )
    else:
        subject = "Your headache diary for today"
        body = (
            "You have not filled in today's diary yet. It takes a minute, and a day without "
            f"headache counts too.\n\n{_link('patient-home')}\n"
        )
    footer = f"\nThis reminder comes from {clinic.name}. To stop reminders, tell the clinic{phone}"
    footer += (
        " or change your reminder time in the app.\n"
        if reminder.kind == ReminderKind.DIARY
        else ".\n"
    )
    return EmailMessage(subject=subject, body=hello + body + footer, to=[patient.email])


def _error_text(error: BaseException) -> str:
    code = getattr(error, "smtp_code", None)
    return f"{type(error).__name__}{f' {code}' if code else ''}"[:200]


def deliver(reminder_id: int, now: dt.datetime | None = None) -> str:
    """Claim one reminder and send it; never inside a transaction (the claim must commit first)."""
    now = now or timezone.now()
    if not reminder_actions.claim_for_sending(reminder_id, now):
        return "not claimed"
    reminder = ReminderSent.objects.select_related("patient__clinic", "appointment").get(
        pk=reminder_id
    )
    why_not = _not_needed(reminder)
    if why_not:
        reminder_actions.JOB.finish(
            reminder_id, now, status=ReminderStatus.SKIPPED, last_error=why_not
        )
        return "skipped"
    try:
        compose(reminder, now.astimezone(_zone(reminder.patient)).date()).send()
    except Exception as error:  # any failure is recorded and retried by the next sweep
        reminder_actions.JOB.fail(reminder, now, _error_text(error))
        logger.warning("reminder %s not sent: %s", reminder_id, _error_text(error))
        return "failed"
    reminder_actions.mark_sent(reminder, now)
    return "sent"
