"""The patient: who they are, how to reach them, their migraine history, and an email
change waiting for confirmation.

The consultation record read for eligibility screening (preventives, medicines,
conditions, allergies, botulinum toxin given for other reasons) is the eligibility
app's (`cephalog.eligibility.models`).
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from cephalog.accounts.models import Clinic, validate_time_zone


class Sex(models.TextChoices):
    FEMALE = "female", "Female"
    MALE = "male", "Male"
    OTHER = "other", "Other"
    UNKNOWN = "unknown", "Not stated"


class PreferredContact(models.TextChoices):
    EMAIL = "email", "Email"
    PHONE = "phone", "Phone call"
    SMS = "sms", "Text message"
    POST = "post", "Letter by post"


class Patient(models.Model):
    """A person in a clinic's Botox programme. The id is opaque (UUID) and is all URLs carry."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="patients")
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="patient",
    )
    mrn = models.CharField("MRN", max_length=40)
    given_name = models.CharField(max_length=100)
    family_name = models.CharField(max_length=100)
    birth_date = models.DateField()
    sex = models.CharField(max_length=10, choices=Sex.choices, default=Sex.UNKNOWN)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    address = models.TextField(max_length=500, blank=True, help_text="Postal address.")
    preferred_contact = models.CharField(
        max_length=10, choices=PreferredContact.choices, default=PreferredContact.EMAIL
    )
    gp_practice = models.TextField(
        "GP practice",
        max_length=500,
        blank=True,
        help_text="The patient's general practitioner: name and practice address (UK letters).",
    )
    time_zone = models.CharField(
        max_length=64,
        default="Europe/London",
        validators=[validate_time_zone],
        help_text="The diary date is the patient's local date in this zone.",
    )
    consent_date = models.DateField(null=True, blank=True)
    consent_version = models.CharField(max_length=20, blank=True)
    diary_reminder_time = models.TimeField(null=True, blank=True)
    chronic_headache_since = models.DateField(
        null=True, blank=True, help_text="Headache on 15 or more days a month since this date."
    )
    migraine_onset_year = models.PositiveSmallIntegerField(null=True, blank=True)
    migraine_with_aura = models.BooleanField(default=False)
    # The two remaining axes of the ICD-10-CM chronic migraine code (clinical reference 9.1).
    intractable = models.BooleanField(
        default=False,
        help_text="Pharmacoresistant, treatment-resistant, refractory or poorly controlled.",
    )
    status_migrainosus = models.BooleanField(
        default=False, help_text="A debilitating attack lasting more than 72 hours."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["family_name", "given_name"]
        constraints = [
            models.UniqueConstraint(fields=["clinic", "mrn"], name="mrn_unique_per_clinic"),
        ]

    def __str__(self) -> str:
        return f"{self.given_name} {self.family_name}"

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}"


class EmailChange(models.Model):
    """A new email address for a patient who has a login, waiting for the patient to confirm it.

    Staff may type a patient's new address, but a login is never handed to an address
    its owner has not confirmed: the patient opens the link sent to the new address
    while signed in to their own account. Until then the record and the login keep the
    old address (reminders and password resets go there). Only a hash of the link's
    secret is stored.
    """

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="email_changes")
    new_email = models.EmailField()
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    confirmed_at = models.DateTimeField(null=True, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["patient"],
                condition=models.Q(confirmed_at__isnull=True, withdrawn_at__isnull=True),
                name="one_open_email_change_per_patient",
            ),
        ]

    def __str__(self) -> str:
        return f"email change for patient {self.patient_id}"
