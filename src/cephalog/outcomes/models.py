"""What the clinic records about outcomes: continuation decisions, bridging treatments,
questionnaire responses and the licensed wording of the questionnaires (content packs).

The rules (cycles, continuation per policy, scoring) are the domain's; these
models keep what was decided, given or answered. All writes go through
cephalog.outcomes.actions.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from cephalog.accounts.models import Clinic
from cephalog.domain import intervals
from cephalog.domain.decisions import DecisionKind
from cephalog.domain.rulesets import RULESET_NAMES
from cephalog.patients.models import Patient

#: Bounds of a changed interval between sessions, in days (8 to 26 weeks).
MIN_INTERVAL_DAYS = intervals.MIN_INTERVAL_DAYS
MAX_INTERVAL_DAYS = intervals.MAX_INTERVAL_DAYS


class Decision(models.TextChoices):
    CONTINUE = DecisionKind.CONTINUE.value, "Continue as before"
    CHANGE_DOSE_195 = (
        DecisionKind.CHANGE_DOSE_195.value,
        "Change the dose to 195 U (follow-the-pain)",
    )
    CHANGE_INTERVAL = DecisionKind.CHANGE_INTERVAL.value, "Change the interval between sessions"
    PAUSE = DecisionKind.PAUSE.value, "Pause treatment"
    STOP = DecisionKind.STOP.value, "Stop treatment"


class ContinuationDecision(models.Model):
    """A physician's decision at a review, with the recommendation they were shown.

    `recommendation` is a snapshot taken when the decision was recorded:
    the policy's recommendation, reasons and detail (spec section 8) and the
    numbers behind it (each cycle's reduction), so the record shows what the
    decision was based on even after more diary data arrives.
    """

    patient = models.ForeignKey(
        Patient, on_delete=models.CASCADE, related_name="continuation_decisions"
    )
    decided_on = models.DateField()
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    policy = models.CharField(max_length=40)
    #: The ruleset of the recommendation shown (spec section 11), to reproduce it later.
    ruleset = models.CharField(max_length=20, choices=[(n, n) for n in RULESET_NAMES])
    recommendation = models.JSONField(default=dict)
    decision = models.CharField(max_length=20, choices=Decision.choices)
    new_interval_days = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Days between sessions from now on (change of interval)."
    )
    reason = models.TextField(max_length=2000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["patient", "decided_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(decision__in=Decision.values), name="decision_valid"
            ),
            models.CheckConstraint(condition=~models.Q(reason=""), name="decision_has_reason"),
            models.CheckConstraint(
                condition=(
                    models.Q(
                        decision="change_interval",
                        new_interval_days__gte=MIN_INTERVAL_DAYS,
                        new_interval_days__lte=MAX_INTERVAL_DAYS,
                    )
                    | (~models.Q(decision="change_interval") & models.Q(new_interval_days=None))
                ),
                name="decision_interval_only_for_change_interval",
            ),
        ]
        indexes = [
            # The dashboard's "needs review": the latest decision per patient of a clinic.
            models.Index(fields=["patient", "-decided_on"], name="decision_patient_latest"),
        ]

    def __str__(self) -> str:
        return f"{self.get_decision_display()} on {self.decided_on}"


class BridgingKind(models.TextChoices):
    NERVE_BLOCK = "nerve_block", "Nerve block"
    KETOROLAC = "ketorolac", "Ketorolac injection"
    EMERGENCY_VISIT = "emergency_visit", "Emergency visit"
    OTHER = "other", "Other"


class BridgingQuerySet(models.QuerySet["BridgingTreatment"]):
    def current(self) -> BridgingQuerySet:
        """Not withdrawn: what is counted, shown on the timeline and summaries, exported."""
        return self.filter(withdrawn_at__isnull=True)


class BridgingTreatment(models.Model):
    """A treatment given to bridge the weeks before the next session (clinical reference 7).

    A mistaken entry is withdrawn with a reason, never deleted: it stays on the outcomes
    page marked withdrawn and drops out of everything else (`current()`)."""

    patient = models.ForeignKey(
        Patient, on_delete=models.CASCADE, related_name="bridging_treatments"
    )
    date = models.DateField()
    kind = models.CharField(max_length=20, choices=BridgingKind.choices)
    notes = models.TextField(blank=True, max_length=2000)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    withdrawal_reason = models.TextField(blank=True, max_length=2000)

    objects = BridgingQuerySet.as_manager()

    class Meta:
        ordering = ["patient", "date", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=BridgingKind.values), name="bridging_kind_valid"
            ),
            models.CheckConstraint(
                condition=~models.Q(kind="other") | ~models.Q(notes=""),
                name="bridging_other_has_notes",
            ),
            # Withdrawn means when, by whom and why, all three; current means none.
            models.CheckConstraint(
                condition=models.Q(
                    withdrawn_at__isnull=True, withdrawn_by__isnull=True, withdrawal_reason=""
                )
                | (
                    models.Q(withdrawn_at__isnull=False, withdrawn_by__isnull=False)
                    & ~models.Q(withdrawal_reason="")
                ),
                name="bridging_withdrawal_complete",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.date}"


class Instrument(models.TextChoices):
    HIT6 = "hit6", "HIT-6"
    MIDAS = "midas", "MIDAS"


class ResponseSource(models.TextChoices):
    PATIENT = "patient", "Patient"
    STAFF = "staff", "Staff (from the licensed form)"


class QuestionnaireResponse(models.Model):
    """One completed HIT-6 or MIDAS: item values by key, scored by the domain.

    `items` maps item keys (`hit6_1` ... or `midas_1` ..., `midas_a`,
    `midas_b`) to the values given; `total` and `band` (HIT-6 impact band
    or MIDAS grade) are the domain's score of them. No wording is stored.
    """

    patient = models.ForeignKey(
        Patient, on_delete=models.CASCADE, related_name="questionnaire_responses"
    )
    instrument = models.CharField(max_length=10, choices=Instrument.choices)
    completed_on = models.DateField()
    items = models.JSONField()
    total = models.PositiveSmallIntegerField()
    band = models.CharField(max_length=30)
    source = models.CharField(max_length=10, choices=ResponseSource.choices)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    content_pack = models.ForeignKey(
        "ContentPack",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The wording shown, when the clinic had loaded one.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["patient", "instrument", "completed_on"]
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "instrument", "completed_on"],
                name="one_questionnaire_per_instrument_per_day",
            ),
            models.CheckConstraint(
                condition=models.Q(instrument__in=Instrument.values),
                name="questionnaire_instrument_valid",
            ),
            models.CheckConstraint(
                condition=~models.Q(instrument="hit6") | models.Q(total__gte=36, total__lte=78),
                name="hit6_total_36_to_78",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_instrument_display()} {self.total} on {self.completed_on}"


class ContentPack(models.Model):
    """A clinic's licensed wording of a questionnaire (docs/content-packs.md).

    cephalog ships no wording: HIT-6 and MIDAS are copyrighted. A clinic
    holding a licence loads its wording as a JSON file; `wording` keeps the
    validated file. The newest active pack of an instrument is the one shown.
    """

    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="content_packs")
    instrument = models.CharField(max_length=10, choices=Instrument.choices)
    version = models.CharField(max_length=60)
    language = models.CharField(max_length=20, blank=True)
    licence_note = models.TextField(max_length=2000)
    wording = models.JSONField()
    active = models.BooleanField(default=True)
    loaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    loaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["clinic", "instrument", "-loaded_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["clinic", "instrument", "version"], name="content_pack_version_unique"
            ),
            models.CheckConstraint(
                condition=~models.Q(licence_note=""), name="content_pack_has_licence_note"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_instrument_display()} wording {self.version}"


class DiaryYearCodes(models.Model):
    """One patient's diary for one calendar year as day codes, for the cohort analytics.

    A derived copy, never edited by hand: `codes` holds 366 little-endian
    uint16 day codes (`cephalog.analytics.dense.encode`; 0 = nothing recorded,
    day-of-year order), kept in step with the diary by
    `cephalog.outcomes.daycodes.refresh` and rebuilt from it by
    `cephalog analytics-refresh --full`. Reading these (about 0.7 kB per
    patient-year) instead of the diary rows is what lets the registry cohort
    table be read from PostgreSQL in under a second (docs/performance.md).
    """

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField()
    codes = models.BinaryField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["patient", "year"], name="one_code_row_per_year")
        ]

    def __str__(self) -> str:
        return f"day codes {self.year}"


class DayCodesState(models.Model):
    """The one row that says up to when `DiaryYearCodes` has taken in diary changes."""

    refreshed_at = models.DateTimeField(null=True)

    def __str__(self) -> str:
        return f"day codes refreshed at {self.refreshed_at}"


ITEM_KEY_CHOICES = [
    *((f"hit6_{i}", f"HIT-6 item {i}") for i in range(1, 7)),
    *((f"midas_{i}", f"MIDAS item {i}") for i in range(1, 6)),
    ("midas_a", "MIDAS item A (headache days)"),
    ("midas_b", "MIDAS item B (pain, 0 to 10)"),
]


class ItemLabel(models.Model):
    """A clinic's own short, plain label for one questionnaire item (issue 16.5).

    Without a licensed content pack, patients type the value printed on the paper
    form; the label (the clinic's words, e.g. "Days missed at work or school")
    tells them which question it is. It is never the licensed wording.
    """

    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="item_labels")
    item_key = models.CharField(max_length=10, choices=ITEM_KEY_CHOICES)
    label = models.CharField(
        max_length=80, help_text="Your clinic's own words, not the questionnaire's wording."
    )

    class Meta:
        ordering = ["clinic", "item_key"]
        constraints = [
            models.UniqueConstraint(fields=["clinic", "item_key"], name="one_label_per_item"),
        ]

    def __str__(self) -> str:
        return f"{self.item_key}: {self.label}"
