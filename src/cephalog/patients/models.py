"""The patient record and the history the clinic keeps about it.

Vocabularies come from cephalog.domain.vocab (spec section 1) so the forms,
the API and `cephalog assess` accept exactly the same values.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from cephalog.accounts.models import Clinic, validate_time_zone
from cephalog.domain import vocab


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


class PreventiveOutcome(models.TextChoices):
    INADEQUATE_RESPONSE = vocab.PreventiveOutcome.INADEQUATE_RESPONSE.value, "Inadequate response"
    INTOLERANCE = vocab.PreventiveOutcome.INTOLERANCE.value, "Intolerance"
    CONTRAINDICATED = vocab.PreventiveOutcome.CONTRAINDICATED.value, "Contraindicated"
    EFFECTIVE = vocab.PreventiveOutcome.EFFECTIVE.value, "Effective"
    ONGOING = vocab.PreventiveOutcome.ONGOING.value, "Ongoing"


class PreventiveClass(models.TextChoices):
    ANTIEPILEPTIC = vocab.PreventiveClass.ANTIEPILEPTIC.value, "Antiepileptic"
    BETA_BLOCKER = vocab.PreventiveClass.BETA_BLOCKER.value, "Beta blocker"
    ANTIDEPRESSANT = vocab.PreventiveClass.ANTIDEPRESSANT.value, "Antidepressant"
    ARB_ACE = vocab.PreventiveClass.ARB_ACE.value, "ARB / ACE inhibitor"
    CALCIUM_CHANNEL_BLOCKER = (
        vocab.PreventiveClass.CALCIUM_CHANNEL_BLOCKER.value,
        "Calcium-channel blocker",
    )
    CGRP_MAB = vocab.PreventiveClass.CGRP_MAB.value, "CGRP monoclonal antibody"
    GEPANT = vocab.PreventiveClass.GEPANT.value, "Gepant"
    BOTULINUM_TOXIN = vocab.PreventiveClass.BOTULINUM_TOXIN.value, "Botulinum toxin"
    OTHER = vocab.PreventiveClass.OTHER.value, "Other"


class Preventive(models.Model):
    """An earlier or current preventive treatment (spec section 6: failed preventives)."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="preventives")
    name = models.CharField(max_length=100)
    drug_class = models.CharField(max_length=30, choices=PreventiveClass.choices)
    dose = models.CharField(max_length=60, blank=True)
    start = models.DateField(null=True, blank=True)
    stop = models.DateField(null=True, blank=True)
    outcome = models.CharField(max_length=30, choices=PreventiveOutcome.choices)

    class Meta:
        ordering = ["start", "name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(stop__isnull=True)
                | models.Q(start__isnull=True)
                | models.Q(stop__gte=models.F("start")),
                name="preventive_stop_after_start",
            )
        ]

    def __str__(self) -> str:
        return self.name


class MedicationClass(models.TextChoices):
    AMINOGLYCOSIDE = vocab.MedicationClass.AMINOGLYCOSIDE.value, "Aminoglycoside"
    NEUROMUSCULAR_BLOCKER = (
        vocab.MedicationClass.NEUROMUSCULAR_BLOCKER.value,
        "Neuromuscular blocker",
    )
    ANTICHOLINERGIC = vocab.MedicationClass.ANTICHOLINERGIC.value, "Anticholinergic"
    MUSCLE_RELAXANT = vocab.MedicationClass.MUSCLE_RELAXANT.value, "Muscle relaxant"
    OTHER = vocab.MedicationClass.OTHER.value, "Other"


class Medication(models.Model):
    """A current or recent non-preventive medicine (interactions, spec section 6 flags)."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="medications")
    name = models.CharField(max_length=100)
    drug_class = models.CharField(max_length=30, choices=MedicationClass.choices)
    start = models.DateField(null=True, blank=True)
    stop = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ConditionCode(models.TextChoices):
    MYASTHENIA_GRAVIS = vocab.Condition.MYASTHENIA_GRAVIS.value, "Myasthenia gravis"
    LAMBERT_EATON = vocab.Condition.LAMBERT_EATON.value, "Lambert–Eaton syndrome"
    ALS = vocab.Condition.ALS.value, "Amyotrophic lateral sclerosis"
    MOTOR_NEUROPATHY = vocab.Condition.MOTOR_NEUROPATHY.value, "Motor neuropathy"
    DYSPHAGIA = vocab.Condition.DYSPHAGIA.value, "Dysphagia"
    RESPIRATORY_COMPROMISE = vocab.Condition.RESPIRATORY_COMPROMISE.value, "Respiratory compromise"
    PREGNANCY = vocab.Condition.PREGNANCY.value, "Pregnancy"
    BREASTFEEDING = vocab.Condition.BREASTFEEDING.value, "Breastfeeding"
    IMMUNOCOMPROMISED = vocab.Condition.IMMUNOCOMPROMISED.value, "Weakened immune system"
    MULTIPLE_SCLEROSIS = vocab.Condition.MULTIPLE_SCLEROSIS.value, "Multiple sclerosis"
    CEREBRAL_PALSY = vocab.Condition.CEREBRAL_PALSY.value, "Cerebral palsy"
    INJECTION_SITE_INFECTION = (
        vocab.Condition.INJECTION_SITE_INFECTION.value,
        "Infection at the injection sites",
    )


class Condition(models.Model):
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="conditions")
    code = models.CharField(max_length=40, choices=ConditionCode.choices)
    noted_on = models.DateField(null=True, blank=True)
    resolved_on = models.DateField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["patient", "code"], name="condition_once_per_patient")
        ]

    def __str__(self) -> str:
        return self.get_code_display()


class AllergyCode(models.TextChoices):
    BOTULINUM_TOXIN = vocab.Allergy.BOTULINUM_TOXIN.value, "Botulinum toxin"


class Allergy(models.Model):
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="allergies")
    code = models.CharField(
        max_length=40, choices=AllergyCode.choices, default=AllergyCode.BOTULINUM_TOXIN
    )
    reaction = models.CharField(max_length=200, blank=True)

    class Meta:
        verbose_name_plural = "allergies"

    def __str__(self) -> str:
        return self.get_code_display()


class ToxinExposure(models.Model):
    """Botulinum toxin given for other indications (cumulative-dose rule)."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="toxin_exposures")
    date = models.DateField()
    product = models.CharField(max_length=60, blank=True)
    units = models.PositiveIntegerField()
    indication = models.CharField(max_length=60)

    class Meta:
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.units} U on {self.date}"


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
