"""The treatment calendar as stored rows.

The plan itself is computed by cephalog.domain.schedule.treatment_plan; an
Appointment is one event of that plan, materialised so that it has a stable
identity (the iCalendar UID), a revision number (SEQUENCE), a status, and a
history of every move (AppointmentChange). All writes go through
cephalog.scheduling.actions.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from cephalog.accounts.models import Clinic
from cephalog.domain.schedule import EventKind
from cephalog.patients.models import Patient


def new_uid() -> str:
    return f"{uuid.uuid4().hex}@cephalog"


class AppointmentKind(models.TextChoices):
    # Values are the domain's EventKind values, so a plan event maps to a kind 1:1.
    CONSULTATION = EventKind.CONSULTATION.value, "Consultation"
    BASELINE_DIARY = EventKind.BASELINE_DIARY.value, "Baseline diary starts"
    QUESTIONNAIRE = EventKind.QUESTIONNAIRE.value, "Questionnaires"
    SESSION = EventKind.SESSION.value, "Treatment session"
    CHECKIN_DAY3 = EventKind.CHECKIN_DAY3.value, "Day-3 check-in"
    CHECKIN_DAY14 = EventKind.CHECKIN_DAY14.value, "Day-14 check-in"
    REVIEW = EventKind.REVIEW.value, "Progress review"
    REASSESSMENT = EventKind.REASSESSMENT.value, "Reassessment"
    AUTHORISATION_EXPIRY = EventKind.AUTHORISATION_EXPIRY.value, "Authorisation ends"


class AppointmentStatus(models.TextChoices):
    PLANNED = "planned", "Planned"
    DONE = "done", "Done"
    CANCELLED = "cancelled", "Cancelled"


class Appointment(models.Model):
    """One event of a patient's treatment plan.

    `plan_key` names the plan slot the row stands for ("session:2",
    "checkin_day3:2", "consultation", ...), so re-running the plan moves the
    row instead of adding a second one. `uid` never changes; `sequence` goes
    up on every move or cancellation (RFC 5545 SEQUENCE). `pinned` means a
    person chose the date: the plan no longer moves it.
    """

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="appointments")
    kind = models.CharField(max_length=30, choices=AppointmentKind.choices)
    plan_key = models.CharField(max_length=40)
    cycle = models.PositiveSmallIntegerField(default=0)
    date = models.DateField()
    earliest = models.DateField()
    latest = models.DateField(null=True, blank=True)
    time = models.TimeField(null=True, blank=True, help_text="Clinic local time, if booked.")
    status = models.CharField(
        max_length=10, choices=AppointmentStatus.choices, default=AppointmentStatus.PLANNED
    )
    pinned = models.BooleanField(default=False)
    uid = models.CharField(max_length=80, unique=True, default=new_uid, editable=False)
    sequence = models.PositiveIntegerField(default=0)
    title_patient = models.CharField(max_length=200)
    title_clinic = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["date", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "plan_key"], name="one_appointment_per_slot"
            ),
            models.CheckConstraint(
                condition=models.Q(earliest__lte=models.F("date")),
                name="appointment_earliest_not_after_date",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=AppointmentStatus.values),
                name="appointment_status_valid",
            ),
        ]
        indexes = [
            # The clinic schedule and the reminder sweep: planned appointments by date.
            models.Index(
                fields=["date"],
                condition=models.Q(status="planned"),
                name="appointment_planned_by_date",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.date}"

    @property
    def is_session(self) -> bool:
        return self.kind == AppointmentKind.SESSION


class ChangeKind(models.TextChoices):
    MOVED = "moved", "Moved"
    CANCELLED = "cancelled", "Cancelled"
    DONE = "done", "Done"


class AppointmentChange(models.Model):
    """One move or cancellation, kept for ever ("rescheduling that keeps history").

    `by` is empty when the plan itself moved the appointment (a session was
    recorded, the consultation moved, ...).
    """

    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE, related_name="changes")
    change = models.CharField(max_length=10, choices=ChangeKind.choices)
    old_date = models.DateField()
    new_date = models.DateField()
    old_time = models.TimeField(null=True, blank=True)
    new_time = models.TimeField(null=True, blank=True)
    sequence = models.PositiveIntegerField(help_text="The appointment's SEQUENCE after the change.")
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.CharField(max_length=300)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["appointment", "at", "id"]

    def __str__(self) -> str:
        return f"{self.change} {self.old_date} → {self.new_date}"


class CalendarFeedToken(models.Model):
    """A secret, revocable calendar subscription address, for one patient or one clinic.

    Only `seed` is stored; the address token is HMAC(SECRET_KEY, seed), so a copy
    of the database alone does not give access to anyone's feed, while the page
    can still show the patient their address again. Lookups go through
    `token_hash` (SHA-256 of the token).
    """

    patient = models.ForeignKey(
        Patient, null=True, blank=True, on_delete=models.CASCADE, related_name="feed_tokens"
    )
    clinic = models.ForeignKey(
        Clinic, null=True, blank=True, on_delete=models.CASCADE, related_name="feed_tokens"
    )
    seed = models.CharField(max_length=64, editable=False)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    #: A clinic feed belongs to one member of staff (issue 18.6): it stops working when
    #: they lose their role in the clinic or their account is disabled.
    holder = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="clinic_feed_tokens",
    )
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(patient__isnull=True, clinic__isnull=False)
                | models.Q(patient__isnull=False, clinic__isnull=True),
                name="feed_token_for_patient_or_clinic",
            ),
            models.UniqueConstraint(
                fields=["patient"],
                condition=models.Q(revoked_at__isnull=True, patient__isnull=False),
                name="one_live_feed_per_patient",
            ),
            models.UniqueConstraint(
                fields=["clinic", "holder"],
                condition=models.Q(revoked_at__isnull=True, clinic__isnull=False),
                name="one_live_clinic_feed_per_holder",
            ),
        ]

    def __str__(self) -> str:
        owner = f"patient {self.patient_id}" if self.patient_id else f"clinic {self.clinic_id}"
        return f"calendar feed for {owner}"


class ReminderKind(models.TextChoices):
    SESSION_WEEK = "session_week", "Session in a week"
    SESSION_DAY = "session_day", "Session tomorrow"
    CHECKIN = "checkin", "Check-in due"
    QUESTIONNAIRE = "questionnaire", "Questionnaires due"
    DIARY = "diary", "Evening diary"


class ReminderStatus(models.TextChoices):
    PENDING = "pending", "Waiting for the worker"
    SENDING = "sending", "Being sent"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed, will retry"
    SKIPPED = "skipped", "Not needed any more"


class ReminderSent(models.Model):
    """The claim on one reminder. `key` is unique, so a reminder is claimed once, ever.

    Keys: "diary:<patient>:<local date>" and "appt:<uid>:<sequence>:<offset>"
    (a moved appointment has a new sequence, hence a new reminder for the new
    date). The life cycle and the once-only argument are in
    cephalog.scheduling.reminders.
    """

    key = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=20, choices=ReminderKind.choices)
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="reminders")
    appointment = models.ForeignKey(
        Appointment, null=True, blank=True, on_delete=models.SET_NULL, related_name="reminders"
    )
    for_date = models.DateField(help_text="The appointment's date, or the diary date.")
    status = models.CharField(
        max_length=10, choices=ReminderStatus.choices, default=ReminderStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    expires_at = models.DateTimeField(help_text="Not worth sending after this.")
    created_at = models.DateTimeField()
    enqueued_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=ReminderStatus.values),
                name="reminder_status_valid",
            ),
        ]
        indexes = [
            # The sweep's retry query: unfinished reminders (pending, sending, failed).
            models.Index(
                fields=["status", "created_at"],
                condition=models.Q(status__in=["pending", "sending", "failed"]),
                name="reminder_unfinished",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} reminder {self.for_date} ({self.status})"
