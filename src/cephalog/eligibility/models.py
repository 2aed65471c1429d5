"""Eligibility screening records: the consultation record, flag sign-offs, decisions to
start.

The rules are the domain's (`cephalog.domain.policies`, spec section 6). These
tables hold what the domain cannot know: the history recorded at the consultation
and read for screening (preventives tried, other medicines, conditions, allergies,
botulinum toxin given for other reasons), and a physician's judgement on the flags and
on starting treatment. The policies and the ruleset a clinic screens with are the
clinic's settings (`cephalog.accounts.models`: the diary counts days by them too).

Vocabularies come from cephalog.domain.vocab (spec section 1) so the forms, the API
and `cephalog assess` accept exactly the same values. The consultation record's
tables keep the names the patients app gave them (`patients_preventive`, ...): the
models moved here without their rows being copied (docs/adr/0012-layers.md).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from cephalog.accounts.models import RULESET_CHOICES
from cephalog.domain import vocab
from cephalog.domain.policies import STATUSES
from cephalog.patients.models import Patient

# --- The consultation record (spec section 6's history) ---------------------------------


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
        db_table = "patients_preventive"  # made by the patients app: moved, not copied
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
        db_table = "patients_medication"  # made by the patients app: moved, not copied
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
        db_table = "patients_condition"  # made by the patients app: moved, not copied
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
        db_table = "patients_allergy"  # made by the patients app: moved, not copied
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
        db_table = "patients_toxinexposure"  # made by the patients app: moved, not copied
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.units} U on {self.date}"


# --- The physician's decisions on the screening -----------------------------------------


class FlagSignOff(models.Model):
    """A physician's sign-off of one eligibility flag (spec section 6: flags need sign-off).

    One row per sign-off; the latest counts. Rows are never edited: a later
    sign-off with another reason is a new row, so the history stays.
    """

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="flag_sign_offs")
    policy = models.CharField(max_length=40)
    #: The ruleset of the screening the flag was signed off on (spec section 11).
    ruleset = models.CharField(max_length=20, choices=RULESET_CHOICES)
    flag = models.CharField(max_length=80)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.TextField(max_length=1000)
    signed_at = models.DateTimeField()

    class Meta:
        ordering = ["-signed_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(reason=""), name="flag_sign_off_reason_required"
            )
        ]
        # The screening page and start_gate read a patient's sign-offs under one policy.
        indexes = [models.Index(fields=["patient", "policy"], name="sign_off_patient_policy")]

    def __str__(self) -> str:
        return f"{self.flag} signed off {self.signed_at:%Y-%m-%d}"


class StartDecision(models.Model):
    """A physician's decision to start treatment, with the screening it was made on.

    `snapshot` keeps the eligibility (spec section 6) as it stood, the flags
    signed off and the `problems` the decision accepted (flags not signed off,
    criteria not met or unknown). Accepting any problem needs an
    `override_reason`; a hard stop can never be accepted.
    """

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="start_decisions")
    policy = models.CharField(max_length=40)
    #: The ruleset of the screening the decision was made on (spec section 11).
    ruleset = models.CharField(max_length=20, choices=RULESET_CHOICES)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField()
    assessed_on = models.DateField()
    status = models.CharField(max_length=20, choices=[(s, s) for s in STATUSES])
    snapshot = models.JSONField()
    override_reason = models.TextField(max_length=1000, blank=True)

    class Meta:
        ordering = ["-decided_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=STATUSES), name="start_decision_status_valid"
            ),
            # Starting a patient who is not eligible always carries the override reason.
            models.CheckConstraint(
                condition=~models.Q(status="not_eligible") | ~models.Q(override_reason=""),
                name="start_decision_not_eligible_needs_override",
            ),
        ]
        indexes = [models.Index(fields=["patient", "policy"], name="decision_patient_policy")]

    def __str__(self) -> str:
        return f"start decided {self.decided_at:%Y-%m-%d} ({self.status})"

    @property
    def problems(self) -> list[str]:
        return list(self.snapshot.get("problems", []))
