"""Diary storage: raw facts as the patient entered them.

Derived flags (headache day, migraine day, ...) are never stored in place of
the facts: they are computed by cephalog.domain.diary.classify_day.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from cephalog.domain import vocab
from cephalog.patients.models import Patient


class Intensity(models.TextChoices):
    MILD = vocab.Intensity.MILD.value, "Mild"
    MODERATE = vocab.Intensity.MODERATE.value, "Moderate"
    SEVERE = vocab.Intensity.SEVERE.value, "Severe"


class AcuteClass(models.TextChoices):
    SIMPLE_ANALGESIC = vocab.AcuteClass.SIMPLE_ANALGESIC.value, "Simple analgesic"
    TRIPTAN = vocab.AcuteClass.TRIPTAN.value, "Triptan"
    ERGOT = vocab.AcuteClass.ERGOT.value, "Ergot"
    OPIOID = vocab.AcuteClass.OPIOID.value, "Opioid"
    COMBINATION_ANALGESIC = vocab.AcuteClass.COMBINATION_ANALGESIC.value, "Combination analgesic"
    GEPANT = vocab.AcuteClass.GEPANT.value, "Gepant"
    DITAN = vocab.AcuteClass.DITAN.value, "Ditan"
    OTHER = vocab.AcuteClass.OTHER.value, "Other"


class PainLocation(models.TextChoices):
    """Where the pain was (issue 16.3): facts for the clinic, not used by the day rules."""

    FOREHEAD = "forehead", "Forehead"
    TEMPLES = "temples", "Temples"
    EYES = "eyes", "Behind or around the eyes"
    TOP = "top", "Top of the head"
    BACK = "back", "Back of the head"
    NECK = "neck", "Neck or shoulders"
    FACE = "face", "Face or jaw"
    WHOLE = "whole", "All over the head"


class Trigger(models.TextChoices):
    """What may have set the headache off, as the patient sees it (issue 16.3)."""

    STRESS = "stress", "Stress"
    SLEEP = "sleep", "Too little or too much sleep"
    MEAL = "meal", "A missed or late meal"
    DRINK = "drink", "Not drinking enough"
    ALCOHOL = "alcohol", "Alcohol"
    CAFFEINE = "caffeine", "Caffeine, or less than usual"
    PERIOD = "period", "My period"
    WEATHER = "weather", "Weather"
    LIGHT = "light", "Bright or flickering light, screens"
    SMELL = "smell", "Strong smell"
    EXERCISE = "exercise", "Exercise"
    TRAVEL = "travel", "Travel"


class EntrySource(models.TextChoices):
    PATIENT = "patient", "Patient"
    STAFF = "staff", "Staff"
    IMPORT = "import", "Import"
    DEMO = "demo", "Demo"


class DiaryEntry(models.Model):
    """One evening report: a patient's day, on the patient's local date."""

    # No index of its own: the unique (patient, date) index serves every lookup by patient.
    patient = models.ForeignKey(
        Patient, on_delete=models.CASCADE, related_name="diary_entries", db_index=False
    )
    date = models.DateField()
    headache_hours = models.DecimalField(max_digits=4, decimal_places=2)
    peak_intensity = models.CharField(max_length=10, choices=Intensity.choices, blank=True)
    unilateral = models.BooleanField(default=False)
    pulsating = models.BooleanField(default=False)
    aggravated_by_activity = models.BooleanField(default=False)
    nausea = models.BooleanField(default=False)
    vomiting = models.BooleanField(default=False)
    photophobia = models.BooleanField(default=False)
    phonophobia = models.BooleanField(default=False)
    aura_minutes = models.PositiveSmallIntegerField(default=0)
    notes = models.TextField(blank=True, max_length=2000)
    # db_default: the bulk import inserts rows with SQL of its own (diary.bulk_import).
    pain_locations = models.JSONField(
        default=list,
        db_default=[],
        blank=True,
        help_text="Codes of PainLocation, in the order of the choices.",
    )
    # db_default: the bulk import inserts rows with SQL of its own (diary.bulk_import).
    triggers = models.JSONField(
        default=list,
        db_default=[],
        blank=True,
        help_text="Codes of Trigger, in the order of the choices.",
    )
    late = models.BooleanField(
        default=False, help_text="Entered after the evening of the day it describes."
    )
    source = models.CharField(max_length=10, choices=EntrySource.choices, default="patient")
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["patient", "date"]
        verbose_name_plural = "diary entries"
        indexes = [
            # cephalog.outcomes.daycodes.refresh finds changed days by time
            models.Index(fields=["updated_at"], name="diary_entry_updated_at"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["patient", "date"], name="one_diary_entry_per_day"),
            models.CheckConstraint(
                condition=models.Q(headache_hours__gte=0, headache_hours__lte=24),
                name="headache_hours_0_to_24",
            ),
            models.CheckConstraint(
                condition=models.Q(headache_hours=0) | ~models.Q(peak_intensity=""),
                name="intensity_required_with_headache",
            ),
        ]

    def __str__(self) -> str:
        return f"diary {self.date}"

    @property
    def pain_location_words(self) -> str:
        return ", ".join(str(PainLocation(c).label) for c in self.pain_locations).lower()

    @property
    def trigger_words(self) -> str:
        return ", ".join(str(Trigger(c).label) for c in self.triggers).lower()


class AcuteMedicationTaken(models.Model):
    """An acute medicine taken on a diary day; more than one per day is normal."""

    entry = models.ForeignKey(DiaryEntry, on_delete=models.CASCADE, related_name="medications")
    name = models.CharField(max_length=100)
    drug_class = models.CharField(max_length=30, choices=AcuteClass.choices)
    effective = models.BooleanField(
        null=True, help_text="Did it work within 2 hours? Unknown when left empty."
    )

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class DiaryEntryRevision(models.Model):
    """The previous version of an entry, kept whenever it is edited or deleted."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="+")
    date = models.DateField()
    version = models.PositiveIntegerField()
    snapshot = models.JSONField()
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    change = models.CharField(max_length=10, choices=[("edit", "Edit"), ("delete", "Delete")])
    reason = models.CharField(max_length=300, blank=True)
    changed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["patient", "date", "version"]
        indexes = [
            models.Index(fields=["patient", "date"], name="revision_patient_date"),
            models.Index(fields=["changed_at"], name="revision_changed_at"),
        ]

    def __str__(self) -> str:
        return f"revision {self.version} of {self.date}"


class DiarySubmission(models.Model):
    """A day sent with an idempotency key (the offline diary, issue 16.2): the same key
    sent again stores nothing new, and is answered with the day it stored."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="+")
    key = models.UUIDField()
    date = models.DateField()
    version = models.PositiveIntegerField(help_text="The entry's version this key stored.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["patient", "key"], name="one_submission_per_key"),
        ]

    def __str__(self) -> str:
        return f"submission {self.key}"


class Attack(models.Model):
    """An optional attack with start and end (imports, detailed logging).

    An attack that crosses midnight counts on each local date it covers with
    that date's hours; the diary entry for each date is kept in step by
    cephalog.diary.actions.save_attack.
    """

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="attacks")
    start = models.DateTimeField()
    end = models.DateTimeField()
    peak_intensity = models.CharField(max_length=10, choices=Intensity.choices)
    source = models.CharField(max_length=10, choices=EntrySource.choices, default="patient")
    external_id = models.CharField(
        max_length=100,
        blank=True,
        help_text="Identity in the source file, so re-imports do not duplicate.",
    )
    notes = models.TextField(blank=True, max_length=2000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["patient", "start"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end__gt=models.F("start")), name="attack_ends_after_start"
            ),
            models.UniqueConstraint(
                fields=["patient", "start"], name="one_attack_per_patient_start"
            ),
        ]

    def __str__(self) -> str:
        return f"attack {self.start:%Y-%m-%d %H:%M}"
