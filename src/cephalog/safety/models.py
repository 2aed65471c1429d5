"""Safety monitoring: adverse events, post-session check-ins, red-flag alerts, the email outbox.

Which symptom is a red flag, an expected local effect or something else is
decided by `cephalog.domain.safety.classify` (clinical-reference §2.3, §11.6),
never here. These models store what was reported and what the clinic did.
All writes go through cephalog.safety.actions (reports, register, alerts)
and cephalog.safety.outbox (email delivery).
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from cephalog.accounts.models import Clinic
from cephalog.domain import dosing
from cephalog.domain.safety import SYMPTOMS
from cephalog.patients.models import Patient
from cephalog.treatment.models import Session


class Severity(models.TextChoices):
    MILD = "mild", "Mild"
    MODERATE = "moderate", "Moderate"
    SEVERE = "severe", "Severe"
    # A red-flag report is never refused for a missing detail (see actions.submit_report).
    NOT_STATED = "not_stated", "Not stated"


SYMPTOM_CHOICES = [(s.value, info.clinician_label) for s, info in SYMPTOMS.items()]


class Seriousness(models.TextChoices):
    """FDA 3500 block B2, "Outcome attributed to adverse event" (check all that apply)."""

    DEATH = "death", "Death"
    LIFE_THREATENING = "life_threatening", "Life-threatening"
    HOSPITALISATION = "hospitalisation", "Hospitalisation (initial or prolonged)"
    DISABILITY = "disability", "Disability or permanent damage"
    CONGENITAL_ANOMALY = "congenital_anomaly", "Congenital anomaly / birth defect"
    REQUIRED_INTERVENTION = (
        "required_intervention",
        "Required intervention to prevent permanent impairment or damage",
    )
    OTHER_SERIOUS = "other_serious", "Other serious (important medical event)"


class Relatedness(models.TextChoices):
    RELATED = "related", "Related"
    POSSIBLY = "possibly", "Possibly related"
    UNLIKELY = "unlikely", "Unlikely to be related"
    UNRELATED = "unrelated", "Not related"


class Outcome(models.TextChoices):
    RECOVERED = "recovered", "Recovered"
    RECOVERING = "recovering", "Recovering"
    NOT_RECOVERED = "not_recovered", "Not recovered"
    RECOVERED_WITH_SEQUELAE = "recovered_with_sequelae", "Recovered with lasting effects"
    FATAL = "fatal", "Fatal"
    UNKNOWN = "unknown", "Unknown"


class Source(models.TextChoices):
    PATIENT = "patient", "Patient report"
    CLINIC = "clinic", "Clinic record"
    IMPORTED = "imported", "Imported"


MUSCLE_CHOICES = [(m.value, m.value.replace("_", " ").capitalize()) for m in dosing.Muscle]


class CheckInKind(models.TextChoices):
    DAY3 = "day3", "Day-3 check-in"
    DAY14 = "day14", "Day-14 check-in"
    ADHOC = "adhoc", "Side-effect report"


class CheckIn(models.Model):
    """One patient submission: a scheduled check-in (day 3, day 14) or an ad-hoc report.

    `answers` keeps what the patient sent, as sent; `triage_level` and
    `guidance` keep what the domain told them, so the record shows the
    advice the patient saw. `submission_key` comes from the form, so a
    resubmitted page stores nothing twice.
    """

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="checkins")
    session = models.ForeignKey(
        Session, null=True, blank=True, on_delete=models.SET_NULL, related_name="checkins"
    )
    kind = models.CharField(max_length=10, choices=CheckInKind.choices)
    submitted_at = models.DateTimeField()
    no_problems = models.BooleanField(default=False)
    answers = models.JSONField(default=dict, blank=True)
    triage_level = models.CharField(max_length=20, blank=True)
    guidance = models.JSONField(default=list, blank=True)
    submission_key = models.UUIDField(unique=True, default=uuid.uuid4, editable=False)

    class Meta:
        ordering = ["-submitted_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "kind"],
                condition=models.Q(kind__in=["day3", "day14"]),
                name="one_scheduled_checkin_per_session",
            ),
            models.CheckConstraint(
                condition=models.Q(kind__in=["day3", "day14", "adhoc"]), name="checkin_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.submitted_at:%Y-%m-%d}"


class AdverseEvent(models.Model):
    """One symptom in one patient, linked to the session it followed.

    The fields up to `reported_at` are those of migration 0001 (the demo
    generator fills them): `serious` is True when any `seriousness` code
    applies, `red_flag` is the domain's classification of `symptom`, and a
    null `resolved_on` means the symptom is still present.
    """

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="adverse_events")
    session = models.ForeignKey(
        Session, null=True, blank=True, on_delete=models.SET_NULL, related_name="adverse_events"
    )
    symptom = models.CharField(max_length=40, choices=SYMPTOM_CHOICES)
    onset = models.DateField()
    severity = models.CharField(max_length=10, choices=Severity.choices)
    serious = models.BooleanField(default=False)
    red_flag = models.BooleanField(default=False)
    resolved_on = models.DateField(null=True, blank=True)
    reported_at = models.DateTimeField(auto_now_add=True)

    checkin = models.ForeignKey(
        CheckIn, null=True, blank=True, on_delete=models.SET_NULL, related_name="events"
    )
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.IMPORTED)
    description = models.TextField(blank=True, help_text="What happened (FDA 3500 B5).")
    seriousness = models.JSONField(
        default=list, blank=True, help_text="FDA 3500 B2 outcome codes; empty when not serious."
    )
    relatedness = models.CharField(max_length=10, choices=Relatedness.choices, blank=True)
    outcome = models.CharField(max_length=30, choices=Outcome.choices, default=Outcome.UNKNOWN)
    region = models.CharField(
        max_length=30, choices=MUSCLE_CHOICES, blank=True, help_text="Muscle area injected."
    )
    site_codes = models.JSONField(default=list, blank=True, help_text="dosing site codes")
    actions = models.TextField(blank=True, help_text="What the clinic did or will do.")
    avoid_sites = models.JSONField(
        default=list, blank=True, help_text="Site codes to avoid at the next session."
    )
    relevant_tests = models.TextField(blank=True, help_text="FDA 3500 B6.")
    relevant_history = models.TextField(blank=True, help_text="FDA 3500 B7.")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-onset"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(resolved_on__isnull=True)
                | models.Q(resolved_on__gte=models.F("onset")),
                name="adverse_event_resolved_after_onset",
            ),
        ]
        indexes = [
            # The per-session rate report counts events by session.
            models.Index(fields=["session", "symptom"], name="adverse_event_session_symptom"),
        ]

    def __str__(self) -> str:
        return f"{self.symptom} from {self.onset}"

    @property
    def still_present(self) -> bool:
        return self.resolved_on is None

    @property
    def symptom_label(self) -> str:
        return dict(SYMPTOM_CHOICES).get(self.symptom, self.symptom)

    def seriousness_labels(self) -> list[str]:
        labels = dict(Seriousness.choices)
        return [str(labels.get(code, code)) for code in self.seriousness]


class SafetySettings(models.Model):
    """A clinic's safety-alert settings; a clinic without a row uses the defaults."""

    clinic = models.OneToOneField(Clinic, on_delete=models.CASCADE, related_name="safety_settings")
    escalation_minutes = models.PositiveSmallIntegerField(
        default=30, help_text="An unacknowledged red flag escalates after this many minutes."
    )
    max_escalations = models.PositiveSmallIntegerField(
        default=6, help_text="Escalation emails stop after this many (the alert stays on screen)."
    )
    emergency_number = models.CharField(
        max_length=20, default="999", help_text="Shown to patients with a red flag."
    )
    urgent_phone = models.CharField(
        max_length=40,
        blank=True,
        help_text="The clinic's urgent line, shown to patients told to get medical help the "
        "same day (signs of spread of toxin effect); the clinic's phone when empty.",
    )
    out_of_hours_number = models.CharField(
        max_length=20,
        blank=True,
        help_text="Out-of-hours medical help (for example 111 in England), shown with the "
        "clinic's urgent line.",
    )
    physicians_only_acknowledge = models.BooleanField(
        default=False, help_text="Only physicians (not nurses) may acknowledge red-flag alerts."
    )

    class Meta:
        verbose_name_plural = "safety settings"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(escalation_minutes__gte=1), name="escalation_minutes_at_least_1"
            ),
        ]

    def __str__(self) -> str:
        return f"safety settings for {self.clinic}"


class SafetyAlert(models.Model):
    """A red flag the clinic must see: on every staff screen until a clinician acknowledges it.

    `escalate_at` is when the sweep escalates it next if still open;
    `escalation_level` counts escalations done.
    """

    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="safety_alerts")
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="safety_alerts")
    event = models.ForeignKey(AdverseEvent, on_delete=models.PROTECT, related_name="alerts")
    checkin = models.ForeignKey(
        CheckIn, null=True, blank=True, on_delete=models.SET_NULL, related_name="alerts"
    )
    summary = models.CharField(max_length=500)
    created_at = models.DateTimeField()
    escalate_at = models.DateTimeField()
    escalated_at = models.DateTimeField(null=True, blank=True)
    escalation_level = models.PositiveSmallIntegerField(default=0)
    # Further red-flag reports of the same patient merged into this open alert
    # (actions.MERGE_MINUTES): how many reports it covers, and the latest one.
    reports = models.PositiveSmallIntegerField(default=1)
    last_report_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    action_taken = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(
                    acknowledged_at__isnull=True, acknowledged_by__isnull=True, action_taken=""
                )
                | (
                    models.Q(acknowledged_at__isnull=False, acknowledged_by__isnull=False)
                    & ~models.Q(action_taken="")
                ),
                name="alert_acknowledged_with_action",
            ),
        ]
        indexes = [
            # The banner on every staff page and the escalation sweep: open alerts.
            models.Index(
                fields=["clinic", "created_at"],
                condition=models.Q(acknowledged_at__isnull=True),
                name="safety_alert_open",
            ),
        ]

    def __str__(self) -> str:
        return f"red-flag alert {self.pk}"

    @property
    def is_open(self) -> bool:
        return self.acknowledged_at is None


class EmailKind(models.TextChoices):
    RED_FLAG = "red_flag", "Red-flag alert"
    ESCALATION = "escalation", "Red-flag escalation"


class EmailStatus(models.TextChoices):
    PENDING = "pending", "Waiting to be sent"
    SENDING = "sending", "Being sent"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed, will retry"


class OutboundEmail(models.Model):
    """An email written in the same transaction as what it reports, sent afterwards.

    A failure leaves the row `failed` with the error and the next attempt
    time; the sweep retries it until it is sent. Bodies carry no patient
    names or identifiers, only a link to the alert.
    """

    clinic = models.ForeignKey(
        Clinic, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    alert = models.ForeignKey(
        SafetyAlert, null=True, blank=True, on_delete=models.SET_NULL, related_name="emails"
    )
    kind = models.CharField(max_length=20, choices=EmailKind.choices)
    to = models.JSONField(default=list)
    subject = models.CharField(max_length=200)
    body = models.TextField()
    status = models.CharField(
        max_length=10, choices=EmailStatus.choices, default=EmailStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField()
    next_attempt_at = models.DateTimeField()
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=EmailStatus.values), name="outbound_email_status"
            ),
        ]
        indexes = [
            # The sweep's delivery query: unsent emails whose next attempt is due.
            models.Index(
                fields=["next_attempt_at"],
                condition=~models.Q(status="sent"),
                name="outbound_email_unsent",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} email {self.pk} ({self.status})"
