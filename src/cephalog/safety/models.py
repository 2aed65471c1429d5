"""Adverse events. Issue 7 adds check-ins, red-flag alerts and reports."""

from __future__ import annotations

from django.db import models

from cephalog.patients.models import Patient
from cephalog.treatment.models import Session


class Severity(models.TextChoices):
    MILD = "mild", "Mild"
    MODERATE = "moderate", "Moderate"
    SEVERE = "severe", "Severe"


class AdverseEvent(models.Model):
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="adverse_events")
    session = models.ForeignKey(
        Session, null=True, blank=True, on_delete=models.SET_NULL, related_name="adverse_events"
    )
    symptom = models.CharField(max_length=40)
    onset = models.DateField()
    severity = models.CharField(max_length=10, choices=Severity.choices)
    serious = models.BooleanField(default=False)
    red_flag = models.BooleanField(default=False)
    resolved_on = models.DateField(null=True, blank=True)
    reported_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-onset"]

    def __str__(self) -> str:
        return f"{self.symptom} from {self.onset}"
