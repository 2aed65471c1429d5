"""Clinics, users and the roles that scope every permission check, and the clinic's rules:
its own eligibility policies and the ruleset it assesses with (read by the diary, the
screening and the plan alike, so they sit here, below all of them)."""

from __future__ import annotations

import functools
import zoneinfo
from typing import Any

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower

from cephalog.domain import intervals
from cephalog.domain.paperwork import Paperwork, paperwork_for
from cephalog.domain.policies import POLICIES, Policy, PolicyError
from cephalog.domain.rulesets import DEFAULT_RULESET, RULESET_NAMES


@functools.cache
def known_time_zones() -> frozenset[str]:
    # available_timezones() scans the tz database on disk (~5 ms): read it once.
    return frozenset(zoneinfo.available_timezones())


def validate_time_zone(value: str) -> None:
    if value not in known_time_zones():
        raise ValidationError(f"unknown time zone {value!r}")


class Country(models.TextChoices):
    """Where the clinic works: chooses its paper size, letters and adverse-event form
    (cephalog.domain.paperwork)."""

    UNITED_KINGDOM = "GB", "United Kingdom"
    UNITED_STATES = "US", "United States"


class Clinic(models.Model):
    """A headache centre. Everything patient-related belongs to exactly one clinic."""

    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=200)
    time_zone = models.CharField(
        max_length=64, default="Europe/London", validators=[validate_time_zone]
    )
    country = models.CharField(
        max_length=2,
        choices=Country.choices,
        default=Country.UNITED_KINGDOM,
        help_text="Chooses the paper size, the letters and the adverse-event report form.",
    )
    address = models.TextField(max_length=500, blank=True, help_text="Printed on letters.")
    phone = models.CharField(max_length=40, blank=True)
    safety_email = models.EmailField(blank=True, help_text="Receives red-flag safety alerts.")
    default_policy = models.CharField(max_length=40, default="nice-ta260")
    backfill_days = models.PositiveSmallIntegerField(
        default=7, help_text="How many past days a patient may still fill in."
    )
    minimum_interval_days = models.PositiveSmallIntegerField(
        default=intervals.DEFAULT_CLINIC_MINIMUM_DAYS,
        help_text="Sessions earlier than this after the last one are refused.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def paperwork(self) -> Paperwork:
        return paperwork_for(self.country)


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
    def invitation_pending(self) -> bool:
        """Invited and never signed in: no password chosen yet (the invitation's link sets it)."""
        return self.last_login is None and not self.has_usable_password()

    @property
    def is_patient(self) -> bool:
        return hasattr(self, "patient")

    def clinic_roles(self) -> dict[int, str]:
        return {m.clinic_id: m.role for m in self.memberships.all()}


class EmailRequest(models.Model):
    """A new sign-in address the user asked for, waiting for them to open the link emailed
    to it (accounts.actions.emails). Until then the login keeps `old_email`: a typo in the
    new one never locks anyone out of signing in or of resetting a password.

    The link is a token of accounts.tokens.EmailChangeTokenGenerator (the set-password
    links' mechanism) bound to this row; the row says whether the link was used, cancelled
    or replaced by a newer request, so the page opened from it can say which.
    """

    class Closed(models.TextChoices):
        CANCELLED = "cancelled", "cancelled"
        SUPERSEDED = "superseded", "replaced by a newer request"

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="email_requests")
    new_email = models.EmailField()
    #: The sign-in address when asked: a link stops working once the address has changed.
    old_email = models.EmailField(blank=True)
    created_at = models.DateTimeField()
    confirmed_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_why = models.CharField(max_length=16, choices=Closed.choices, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user"],
                condition=models.Q(confirmed_at__isnull=True, closed_at__isnull=True),
                name="one_open_email_request_per_user",
            ),
        ]

    def __str__(self) -> str:
        return f"email request {self.pk} of user {self.user_id}"


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


class RoleChangeStatus(models.TextChoices):
    PENDING = "pending", "Waiting for a second clinic admin"
    APPLIED = "applied", "Applied"
    REJECTED = "rejected", "Turned down"
    WITHDRAWN = "withdrawn", "Withdrawn"


class RoleChange(models.Model):
    """A change of a colleague's role, asked by one clinic admin.

    When the clinic has another active clinic admin (not the one asking, not the one
    changed), that admin confirms it before it applies; otherwise it applies at once.
    Either way it is audited with the role before and after and both people are told.
    """

    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="role_changes")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="role_changes")
    old_role = models.CharField(max_length=20, choices=Role.choices)
    new_role = models.CharField(max_length=20, choices=Role.choices)
    status = models.CharField(
        max_length=10, choices=RoleChangeStatus.choices, default=RoleChangeStatus.PENDING
    )
    requested_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    requested_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["clinic", "user"],
                condition=models.Q(status="pending"),
                name="one_pending_role_change_per_member",
            ),
            models.CheckConstraint(
                condition=~models.Q(old_role=models.F("new_role")),
                name="role_change_changes_the_role",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.old_role} → {self.new_role} ({self.status})"


# --- The clinic's rules: its own policies and the ruleset it screens and counts days by ---

#: Keys of a policy that come from the ClinicPolicy's own fields, not its definition.
OWN_FIELDS = ("name", "title")
#: Names the policy pages use in their URLs.
RESERVED_NAMES = frozenset({"new", "default"})


class ClinicPolicy(models.Model):
    """A clinic's own eligibility and continuation policy: other thresholds, same rules.

    `definition` holds the keys of `cephalog.domain.policies.Policy` except
    `name` and `title` (taken from the fields), validated by `Policy.from_dict`
    so a misspelt or mistyped threshold is refused with the domain's message.
    """

    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="policies")
    name = models.SlugField(
        max_length=40, help_text="Short code, e.g. 'payer-4-preventives'. Not a built-in name."
    )
    title = models.CharField(max_length=200)
    definition = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "eligibility_clinicpolicy"  # made by the eligibility app: moved, not copied
        ordering = ["name"]
        verbose_name = "clinic policy"
        verbose_name_plural = "clinic policies"
        constraints = [
            models.UniqueConstraint(fields=["clinic", "name"], name="clinic_policy_name_unique")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.title})"

    def policy_data(self) -> dict[str, Any]:
        definition = self.definition if isinstance(self.definition, dict) else {}
        return {**definition, "name": self.name, "title": self.title}

    def to_policy(self) -> Policy:
        """The domain policy; raises PolicyError when the stored definition is bad."""
        return Policy.from_dict(self.policy_data())

    def clean(self) -> None:
        errors: dict[str, list[str]] = {}
        if self.name in POLICIES:
            errors["name"] = [f"{self.name!r} is a built-in policy; choose another name"]
        elif self.name in RESERVED_NAMES:
            errors["name"] = [f"{self.name!r} is reserved; choose another name"]
        if self.pk is not None:
            before = ClinicPolicy.objects.filter(pk=self.pk).values_list("name", flat=True).first()
            if before and before != self.name and self.clinic.default_policy == before:
                errors["name"] = [
                    f"{before!r} is the clinic's default policy; choose another default first"
                ]
        if not isinstance(self.definition, dict):
            errors["definition"] = ["must be a JSON object"]
        else:
            problems = [
                f"{key}: set in the {key} field, not in the definition"
                for key in OWN_FIELDS
                if key in self.definition
            ]
            try:
                self.to_policy()
            except PolicyError as error:
                # Name and title problems are reported on their own fields by Django.
                problems += [p for p in error.problems if not p.startswith(OWN_FIELDS)]
            if problems:
                errors["definition"] = problems
        if errors:
            raise ValidationError(errors)


#: The rulesets a clinic may choose (spec section 11), as model choices.
RULESET_CHOICES = [(name, name) for name in RULESET_NAMES]


class ClinicRuleset(models.Model):
    """The version of the clinical rules a clinic assesses with (spec section 11).

    One row per clinic, beside its policies; a clinic without a row uses the
    default (`standard-2`). Every assessment, sign-off, decision and letter
    records the ruleset it used, so changing it never changes an old record.
    """

    clinic = models.OneToOneField(Clinic, on_delete=models.CASCADE, related_name="ruleset_setting")
    ruleset = models.CharField(max_length=20, choices=RULESET_CHOICES, default=DEFAULT_RULESET)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "eligibility_clinicruleset"  # made by the eligibility app: moved, not copied
        verbose_name = "clinic ruleset"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ruleset__in=RULESET_NAMES), name="clinic_ruleset_known"
            )
        ]

    def __str__(self) -> str:
        return f"{self.clinic} uses {self.ruleset}"
