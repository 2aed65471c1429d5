"""Treatment sessions. Issue 5 adds site-by-site records, vials and billing."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from cephalog.patients.models import Patient


class SessionStatus(models.TextChoices):
    PLANNED = "planned", "Planned"
    IN_PROGRESS = "in_progress", "In progress"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"


class Session(models.Model):
    """One injection session (a treatment cycle starts on its date)."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="sessions")
    date = models.DateField()
    status = models.CharField(
        max_length=20, choices=SessionStatus.choices, default=SessionStatus.PLANNED
    )
    protocol = models.CharField(max_length=40, default="preempt-155")
    total_units = models.PositiveIntegerField(default=0)
    sites_injected = models.PositiveSmallIntegerField(default=0)
    injector = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["patient", "date"]
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "date"],
                condition=~models.Q(status="cancelled"),
                name="one_session_per_patient_day",
            ),
            models.CheckConstraint(
                condition=models.Q(total_units__lte=400), name="session_units_at_most_400"
            ),
        ]

    def __str__(self) -> str:
        return f"session {self.date}"
