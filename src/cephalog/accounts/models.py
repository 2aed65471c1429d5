"""Clinics, users and the roles that scope every permission check."""

from __future__ import annotations

import functools
import zoneinfo

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower


@functools.cache
def known_time_zones() -> frozenset[str]:
    # available_timezones() scans the tz database on disk (~5 ms): read it once.
    return frozenset(zoneinfo.available_timezones())


def validate_time_zone(value: str) -> None:
    if value not in known_time_zones():
        raise ValidationError(f"unknown time zone {value!r}")


class Clinic(models.Model):
    """A headache centre. Everything patient-related belongs to exactly one clinic."""

    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=200)
    time_zone = models.CharField(
        max_length=64, default="Europe/London", validators=[validate_time_zone]
    )
    phone = models.CharField(max_length=40, blank=True)
    safety_email = models.EmailField(blank=True, help_text="Receives red-flag safety alerts.")
    default_policy = models.CharField(max_length=40, default="nice-ta260")
    backfill_days = models.PositiveSmallIntegerField(
        default=7, help_text="How many past days a patient may still fill in."
    )
    minimum_interval_days = models.PositiveSmallIntegerField(
        default=70, help_text="Sessions earlier than this after the last one are refused."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):  # type: ignore[django-manager-missing]  # passkeys.Passkey (via django-otp)
    """A login: staff (through memberships) or a patient (through Patient.user).

    The email address signs in as well as the username (accounts.backends), so it is
    unique whatever its letter case: Ann@Example.org and ann@example.org are one address.
    """

    email = models.EmailField(null=True, blank=True)  # type: ignore[assignment]  # noqa: DJ001

    class Meta(AbstractUser.Meta):
        constraints = [
            models.UniqueConstraint(
                Lower("email"),
                name="user_email_unique_any_case",
                condition=models.Q(email__isnull=False) & ~models.Q(email=""),
                violation_error_message="Another account already uses this email address.",
            ),
        ]

    @property
    def is_patient(self) -> bool:
        return hasattr(self, "patient")

    def clinic_roles(self) -> dict[int, str]:
        return {m.clinic_id: m.role for m in self.memberships.all()}


class Role(models.TextChoices):
    PHYSICIAN = "physician", "Physician (injector)"
    NURSE = "nurse", "Nurse"
    CLINIC_ADMIN = "clinic_admin", "Clinic admin"


class Membership(models.Model):
    """A staff user's role in one clinic. Staff see only their clinics' patients."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "clinic"], name="one_role_per_clinic"),
            models.CheckConstraint(
                condition=models.Q(role__in=Role.values), name="membership_role_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} – {self.get_role_display()} at {self.clinic}"
