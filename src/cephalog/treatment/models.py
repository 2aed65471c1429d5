"""Treatment sessions recorded site by site, with vials, waste, billing and addenda.

The rules (sites, units, vials, billing, interval, cumulative dose) are the
domain's, in cephalog.domain.dosing; these models store what happened and
hold the invariants the database can enforce. All writes go through
cephalog.treatment.actions.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from cephalog.accounts.models import Clinic, Membership, Role
from cephalog.domain import dosing
from cephalog.domain.safety import DEFAULT_AFTERCARE, Evidence
from cephalog.domain.vocab import ToxinProduct
from cephalog.patients.models import Patient


class SessionStatus(models.TextChoices):
    PLANNED = "planned", "Planned"
    IN_PROGRESS = "in_progress", "In progress"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"


class TopicalAnaesthetic(models.TextChoices):
    NONE = "none", "None"
    ICE = "ice", "Ice or cold pack"
    VAPOCOOLANT = "vapocoolant", "Vapocoolant spray"
    ANAESTHETIC_CREAM = "anaesthetic_cream", "Anaesthetic cream (e.g. lidocaine/prilocaine)"
    OTHER = "other", "Other (see notes)"


class Session(models.Model):
    """One injection session (a treatment cycle starts on its date).

    `total_units` and `sites_injected` are what the patient received (set
    on completion from the site rows; the demo generator sets them
    directly). A completed session is read-only: corrections are addenda.
    """

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="sessions")
    date = models.DateField()
    status = models.CharField(
        max_length=20, choices=SessionStatus.choices, default=SessionStatus.PLANNED
    )
    protocol = models.CharField(max_length=40, default="preempt-155")
    # The protocol as it was when the session started, so later template edits
    # never change what a past session was checked against.
    protocol_definition = models.JSONField(default=dict, blank=True)
    total_units = models.PositiveIntegerField(default=0)
    sites_injected = models.PositiveSmallIntegerField(default=0)
    injector = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # A physician supervising an injector with no recorded training or no previous sessions.
    supervisor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The toxin given (spec 11.5); chronic-migraine sessions give onabotulinumtoxinA.
    product = models.CharField(
        max_length=30,
        choices=[(p.value, p.value) for p in ToxinProduct],
        default=ToxinProduct.ONABOTULINUMTOXINA.value,
    )
    # The safety check answered before this session started (flags and their sign-offs).
    safety_check = models.ForeignKey(
        "PreSessionCheck", null=True, blank=True, on_delete=models.PROTECT, related_name="sessions"
    )
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    topical_anaesthetic = models.CharField(
        max_length=20, choices=TopicalAnaesthetic.choices, blank=True
    )
    immediate_reactions = models.TextField(blank=True)
    units_opened = models.PositiveIntegerField(default=0)
    units_discarded = models.PositiveIntegerField(default=0)
    # Point-of-care answers given before the first injection (see actions.start_session).
    prechecks = models.JSONField(default=dict, blank=True)
    # The structured reason for a session before the earliest day (point_of_care.check_interval).
    override_reason = models.TextField(blank=True)
    # Each rule's outcome with its source, as dosing.RuleResult dicts.
    rule_results = models.JSONField(default=list, blank=True)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    signed_at = models.DateTimeField(null=True, blank=True)
    locked = models.BooleanField(default=False)

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
            models.CheckConstraint(
                condition=models.Q(locked=False)
                | models.Q(status="completed", signed_by__isnull=False, signed_at__isnull=False),
                name="locked_session_is_signed_and_completed",
            ),
            models.CheckConstraint(
                condition=models.Q(ended_at__isnull=True)
                | models.Q(started_at__isnull=True)
                | models.Q(ended_at__gte=models.F("started_at")),
                name="session_ends_after_it_starts",
            ),
        ]

    def __str__(self) -> str:
        return f"session {self.date}"

    @property
    def is_locked(self) -> bool:
        """Completed sessions (also imported ones never signed here) are never edited."""
        return self.locked or self.status == SessionStatus.COMPLETED


class PreSessionCheck(models.Model):
    """The safety check before a session, on the session's date (issues 14.3, 17.3).

    `answers` holds the injector's answers (infection at the sites, red flags
    since the last treatment, pregnancy, "any new medicines or illnesses
    since your last treatment?" and what). The flags computed from the record
    and these answers are each signed off by a physician (FlagSignOff) before
    the first site. Answering again replaces the answers; sign-offs stay and
    count only while the flag still reads the same.
    """

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="session_checks")
    date = models.DateField()
    answers = models.JSONField(default=dict)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    answered_at = models.DateTimeField()

    class Meta:
        ordering = ["patient", "-date", "-id"]

    def __str__(self) -> str:
        return f"pre-session check {self.date}"


class FlagSignOff(models.Model):
    """A physician's sign-off of one flag of one pre-session check: who, when, note.

    `detail` is the flag's text when it was signed: a flag whose text has
    changed since (another interacting medicine, a new exposure) needs a new
    sign-off.
    """

    safety_check = models.ForeignKey(
        PreSessionCheck, on_delete=models.CASCADE, related_name="sign_offs"
    )
    flag = models.CharField(max_length=80)
    detail = models.TextField()
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    signed_at = models.DateTimeField()
    note = models.TextField()

    class Meta:
        ordering = ["safety_check", "flag", "-signed_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=~models.Q(note=""), name="flag_sign_off_has_note")
        ]

    def __str__(self) -> str:
        return f"{self.flag} signed {self.signed_at:%Y-%m-%d %H:%M}"


class SiteStatus(models.TextChoices):
    DONE = dosing.SiteStatus.DONE.value, "Done"
    SKIPPED = dosing.SiteStatus.SKIPPED.value, "Skipped"
    ADDED = dosing.SiteStatus.ADDED.value, "Added (follow-the-pain)"


MUSCLE_CHOICES = [(m.value, m.value.replace("_", " ").capitalize()) for m in dosing.Muscle]
SIDE_CHOICES = [("L", "Left"), ("R", "Right"), ("M", "Midline")]


class SessionSite(models.Model):
    """One injection site of a session: done, skipped (with a reason) or added."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="sites")
    code = models.CharField(max_length=40, help_text="dosing site code, e.g. temporalis-L-2")
    muscle = models.CharField(max_length=30, choices=MUSCLE_CHOICES)
    side = models.CharField(max_length=1, choices=SIDE_CHOICES)
    status = models.CharField(max_length=10, choices=SiteStatus.choices)
    units = models.PositiveSmallIntegerField()
    skip_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["session", "id"]
        constraints = [
            models.UniqueConstraint(fields=["session", "code"], name="site_once_per_session"),
            models.CheckConstraint(
                condition=models.Q(status__in=SiteStatus.values), name="site_status_valid"
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(status="skipped", units=0) & ~models.Q(skip_reason="")
                    | models.Q(status__in=["done", "added"], units__gt=0)
                ),
                name="site_skipped_has_reason_and_no_units",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.status}"


class Vial(models.Model):
    """A vial opened for a session (clinical-reference §1.4)."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="vials")
    product = models.CharField(max_length=60, default=dosing.PRODUCT)
    lot = models.CharField(max_length=40)
    expiry = models.DateField()
    size_units = models.PositiveSmallIntegerField(
        choices=[(s, f"{s} U") for s in dosing.VIAL_SIZES_UNITS], default=200
    )
    diluent_ml = models.DecimalField(max_digits=4, decimal_places=2)
    reconstituted_at = models.DateTimeField()
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["session", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(size_units__in=dosing.VIAL_SIZES_UNITS),
                name="vial_size_known",
            ),
            models.CheckConstraint(condition=models.Q(diluent_ml__gt=0), name="vial_diluent_gt_0"),
        ]

    def __str__(self) -> str:
        return f"{self.size_units} U lot {self.lot}"

    def to_domain(self) -> dosing.Vial:
        return dosing.Vial(
            product=self.product,
            lot=self.lot,
            expiry=self.expiry,
            size_units=self.size_units,
            diluent_ml=self.diluent_ml,
            reconstituted_at=self.reconstituted_at,
        )


class BillingLine(models.Model):
    """A claim line generated from the session record on completion (clinical-reference §9.3)."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="billing_lines")
    code = models.CharField(max_length=10)
    modifier = models.CharField(max_length=10, blank=True)
    units = models.PositiveIntegerField()
    description = models.CharField(max_length=200)

    class Meta:
        ordering = ["session", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "code", "modifier"], name="billing_line_once_per_session"
            ),
            models.CheckConstraint(condition=models.Q(units__gt=0), name="billing_units_gt_0"),
        ]

    def __str__(self) -> str:
        return f"{self.code}{'-' + self.modifier if self.modifier else ''} x {self.units}"


class SessionAddendum(models.Model):
    """A correction or late note on a completed session; the session itself never changes."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="addenda")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["session", "created_at", "id"]
        verbose_name_plural = "session addenda"
        constraints = [
            models.CheckConstraint(condition=~models.Q(text=""), name="addendum_text_not_blank")
        ]

    def __str__(self) -> str:
        return f"addendum {self.created_at:%Y-%m-%d %H:%M}"


class ProtocolTemplate(models.Model):
    """A clinic's own protocol: PREEMPT narrowed, never widened (dosing.validate_protocol).

    `definition` holds `{"ftp_caps": {"temporalis": 2, ...}, "max_units": 195,
    "max_sites": 39}`; the 31 fixed sites at 5 U are always part of it.
    """

    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="protocol_templates")
    name = models.SlugField(max_length=30, help_text="Short key, e.g. temporal-ftp.")
    title = models.CharField(max_length=200)
    definition = models.JSONField(default=dict)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["clinic", "name"]
        constraints = [
            models.UniqueConstraint(fields=["clinic", "name"], name="protocol_name_per_clinic")
        ]

    def __str__(self) -> str:
        return self.title or self.name

    @property
    def key(self) -> str:
        """The value stored in Session.protocol."""
        return f"clinic:{self.name}"

    def to_protocol(self) -> dosing.Protocol:
        """The domain protocol; raises ValidationError naming the field when malformed."""
        d: Any = self.definition
        if not isinstance(d, dict):
            raise ValidationError({"definition": "must be an object"})
        caps: dict[dosing.Muscle, int] = {}
        raw_caps = d.get("ftp_caps", {})
        if not isinstance(raw_caps, dict):
            raise ValidationError({"definition": "ftp_caps: must be an object"})
        for muscle, cap in raw_caps.items():
            try:
                m = dosing.Muscle(muscle)
            except ValueError:
                raise ValidationError(
                    {"definition": f"ftp_caps: unknown muscle {muscle!r}"}
                ) from None
            if not isinstance(cap, int) or isinstance(cap, bool):
                raise ValidationError({"definition": f"ftp_caps[{muscle}]: must be a whole number"})
            caps[m] = cap
        for key in ("max_units", "max_sites"):
            value = d.get(key)
            if not isinstance(value, int) or isinstance(value, bool):
                raise ValidationError({"definition": f"{key}: must be a whole number"})
        return dosing.Protocol(
            name=self.key,
            fixed_sites=dosing.FIXED_SITES,
            ftp_caps=caps,
            max_units=d["max_units"],
            max_sites=d["max_sites"],
            title=self.title,
        )

    def clean(self) -> None:
        problems = dosing.validate_protocol(self.to_protocol())
        if problems:
            raise ValidationError({"definition": problems})


class InjectorTraining(models.Model):
    """A training course an injector completed, shown on the session page and to patients."""

    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="injector_trainings"
    )
    course = models.CharField(max_length=200)
    provider = models.CharField(max_length=200, blank=True)
    completed_on = models.DateField()

    class Meta:
        ordering = ["user", "completed_on"]

    def __str__(self) -> str:
        return f"{self.course} ({self.completed_on:%Y})"

    def clean(self) -> None:
        if (
            self.user_id
            and self.clinic_id
            and not Membership.objects.filter(
                user_id=self.user_id,
                clinic_id=self.clinic_id,
                role__in=[Role.PHYSICIAN, Role.NURSE],
            ).exists()
        ):
            raise ValidationError({"user": "must be a physician or nurse of this clinic"})


#: Aftercare items no clinic may reword, by key, with the domain's words: the Medication
#: Guide's list of the signs of spread of toxin effect (clinical-reference §10, 2026-12
#: correction). A clinic's text shows these words whatever it stored (queries.aftercare).
LOCKED_AFTERCARE: dict[str, str] = {
    i.key: i.text for i in DEFAULT_AFTERCARE if i.key == "spread_signs"
}


class AftercareText(models.Model):
    """A clinic's aftercare advice; without one, the domain's evidence-labelled default.

    `items` is a list of `{"key", "text", "evidence", "source"}` with
    evidence `label_guidance` or `optional_precaution`. The default's
    label-guidance items must stay (the clinic may reword them, except the
    list of the signs of spread of toxin effect, `LOCKED_AFTERCARE`), so no
    clinic can drop the label's warning signs; only the label's own items
    are label guidance.
    """

    clinic = models.OneToOneField(Clinic, on_delete=models.CASCADE, related_name="aftercare")
    items = models.JSONField(default=list)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "aftercare texts"

    def __str__(self) -> str:
        return f"aftercare for {self.clinic}"

    def clean(self) -> None:
        problems: list[str] = []
        if not isinstance(self.items, list):
            raise ValidationError({"items": "must be a list"})
        keys: dict[str, str] = {}
        for i, item in enumerate(self.items):
            if not isinstance(item, dict):
                problems.append(f"items[{i}]: must be an object")
                continue
            if not str(item.get("text", "")).strip():
                problems.append(f"items[{i}].text: required")
            evidence = item.get("evidence")
            if evidence not in {e.value for e in Evidence}:
                problems.append(
                    f"items[{i}].evidence: must be label_guidance or optional_precaution, "
                    f"got {evidence!r}"
                )
            keys[str(item.get("key", ""))] = str(evidence)
        label_keys = {d.key for d in DEFAULT_AFTERCARE if d.evidence is Evidence.LABEL_GUIDANCE}
        for default in DEFAULT_AFTERCARE:
            if default.evidence is Evidence.LABEL_GUIDANCE and (
                keys.get(default.key) != Evidence.LABEL_GUIDANCE.value
            ):
                problems.append(
                    f"items: the label guidance item {default.key!r} must stay, "
                    "marked label_guidance"
                )
        for i, item in enumerate(self.items):
            if not isinstance(item, dict):
                continue
            key = str(item.get("key", ""))
            if item.get("evidence") == Evidence.LABEL_GUIDANCE.value and key not in label_keys:
                problems.append(
                    f"items[{i}].evidence: only the medicine label's own advice is "
                    "label_guidance; the clinic's own advice is optional_precaution"
                )
            if (
                key in LOCKED_AFTERCARE
                and str(item.get("text", "")).strip() != LOCKED_AFTERCARE[key]
            ):
                problems.append(
                    f"items[{i}].text: the label guidance item {key!r} lists the signs of spread "
                    "of toxin effect in the label's words and cannot be reworded"
                )
        if problems:
            raise ValidationError({"items": problems})
