"""Forms for the session pages. They only parse input: the rules are in the actions/domain."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from django import forms

from cephalog.accounts.models import User
from cephalog.domain import dosing
from cephalog.domain.point_of_care import ANTIBODY_ACKNOWLEDGEMENT, EarlyInjection, EarlyReason
from cephalog.eligibility.models import ConditionCode, MedicationClass
from cephalog.treatment.models import TopicalAnaesthetic

YES_NO = [("no", "No"), ("yes", "Yes")]
DATETIME_LOCAL = "%Y-%m-%dT%H:%M"


def _yes_no(label: str, help_text: str = "") -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        label=label,
        choices=YES_NO,
        coerce=lambda v: v == "yes",
        widget=forms.RadioSelect,
        help_text=help_text,
    )


def _optional_note(label: str, max_length: int = 500, help_text: str = "") -> forms.CharField:
    """A few optional lines of free text."""
    return forms.CharField(
        label=label,
        required=False,
        max_length=max_length,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=help_text,
    )


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format=DATETIME_LOCAL)


class InjectorField(forms.ModelChoiceField):  # type: ignore[type-arg]
    """Injectors by name and role ("Dr Alex Morgan, physician"), not by login."""

    labels: Mapping[int, str] = {}

    def label_from_instance(self, obj: Any) -> str:
        return self.labels.get(obj.pk, obj.get_full_name() or obj.username)


def _optional_yes_no() -> forms.TypedChoiceField:
    """A yes/no accepted but not shown on the start form (the answers are today's check)."""
    return forms.TypedChoiceField(
        choices=YES_NO, coerce=lambda v: v == "yes", required=False, empty_value=None
    )


class SafetyCheckForm(forms.Form):
    """The safety questions before a session (issues 14.3, 17.3)."""

    infection_at_sites = _yes_no("Any infection at the injection sites today?")
    red_flags_since_last = _yes_no(
        "Any warning signs since the last treatment?",
        "Trouble swallowing, speaking or breathing, weakness all over, double or blurred "
        "vision, drooping eyelids, voice changes or loss of bladder control.",
    )
    pregnant = _yes_no("Is the patient pregnant, or could she be?")
    new_since_last = forms.TypedChoiceField(
        label="Any new medicines or illnesses since the last treatment?",
        choices=YES_NO,
        coerce=lambda v: v == "yes",
        widget=forms.RadioSelect,
        required=False,
        empty_value=None,
        help_text="Ask the patient; add each new medicine or illness to the record below.",
    )
    new_since_last_note = _optional_note("What is new?")


class SignOffForm(forms.Form):
    flag = forms.CharField(max_length=80, widget=forms.HiddenInput)
    note = forms.CharField(
        label="What you considered",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class NewItemForm(forms.Form):
    """A medicine or illness the patient reports at the check, added to the record."""

    prefix = "item"
    kind = forms.ChoiceField(choices=[("medicine", "Medicine"), ("condition", "Illness")])
    name = forms.CharField(label="Medicine", max_length=100, required=False)
    drug_class = forms.ChoiceField(
        label="Class",
        choices=[("", "From the catalogue"), *MedicationClass.choices],
        required=False,
    )
    start = forms.DateField(
        label="Started", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    condition = forms.ChoiceField(
        label="Illness",
        choices=[("", "Choose"), *ConditionCode.choices],
        required=False,
    )


class StartSessionForm(forms.Form):
    protocol = forms.ChoiceField()
    injector = InjectorField(queryset=User.objects.none(), empty_label=None)
    supervisor = InjectorField(
        queryset=User.objects.none(),
        required=False,
        empty_label="No supervisor",
        label="Supervising physician",
        help_text="Needed when the injector has no recorded training or no previous sessions.",
    )
    precheck_reason = _optional_note(
        "Reason to go ahead without a decision to start",
        help_text="Only when no recorded decision to start covers today, or treatment was "
        "paused or stopped. It never stands for a flag: each flag has its own sign-off.",
    )
    early_reason = forms.TypedChoiceField(
        label="Why before the earliest day?",
        choices=[("", "Not early")] + [(r.value, r.label) for r in EarlyReason],
        coerce=EarlyReason,
        required=False,
        empty_value=None,
    )
    antibody_risk_acknowledged = forms.BooleanField(label=ANTIBODY_ACKNOWLEDGEMENT, required=False)
    early_note = _optional_note("Why it cannot wait")
    # Accepted for API clients and older forms; the page asks them in the safety check.
    infection_at_sites = _optional_yes_no()
    red_flags_since_last = _optional_yes_no()
    pregnant = _optional_yes_no()
    new_since_last = _optional_yes_no()
    new_since_last_note = forms.CharField(required=False, max_length=500)

    def __init__(
        self,
        *args: Any,
        protocols: Sequence[tuple[str, str]],
        injectors: Any,
        injector_labels: Mapping[int, str],
        supervisors: Any = None,
        supervisor_labels: Mapping[int, str] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["protocol"].choices = protocols  # type: ignore[attr-defined]
        field = self.fields["injector"]
        assert isinstance(field, InjectorField)
        field.queryset = injectors
        field.labels = injector_labels
        sup = self.fields["supervisor"]
        assert isinstance(sup, InjectorField)
        sup.queryset = supervisors if supervisors is not None else User.objects.none()
        sup.labels = supervisor_labels or injector_labels

    def early(self) -> EarlyInjection | None:
        data = self.cleaned_data
        if not data.get("early_reason") and not (data.get("early_note") or "").strip():
            return None
        return EarlyInjection(
            reason=data.get("early_reason"),
            antibody_risk_acknowledged=bool(data.get("antibody_risk_acknowledged")),
            note=data.get("early_note") or "",
        )


class VialForm(forms.Form):
    #: Rendered once per value (treatment_tags.field_group); never a field with patient data.
    kept_fields = ("product", "lot", "expiry", "size_units", "diluent_ml", "reconstituted_at")

    product = forms.ChoiceField(
        choices=[(dosing.PRODUCT, "onabotulinumtoxinA (BOTOX)")], initial=dosing.PRODUCT
    )
    lot = forms.CharField(label="Lot number", max_length=40)
    expiry = forms.DateField(label="Expiry date", widget=forms.DateInput(attrs={"type": "date"}))
    size_units = forms.TypedChoiceField(
        label="Vial size",
        choices=[(s, f"{s} U") for s in dosing.VIAL_SIZES_UNITS],
        coerce=int,
        initial=200,
    )
    diluent_ml = forms.DecimalField(
        label="Diluent (mL of 0.9% saline)",
        max_digits=4,
        decimal_places=2,
        min_value=Decimal("0.1"),
        initial=Decimal("4.0"),
        widget=forms.NumberInput(attrs={"step": "0.1", "inputmode": "decimal"}),
    )
    reconstituted_at = forms.DateTimeField(
        label="Reconstituted at",
        input_formats=[DATETIME_LOCAL, "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"],
        widget=DateTimeLocalInput(),
    )


class CompleteForm(forms.Form):
    #: Rendered once per value (treatment_tags.field_group); never a field with patient data.
    kept_fields = ("ended_at", "topical_anaesthetic", "immediate_reactions")  # not the notes

    ended_at = forms.DateTimeField(
        label="Last injection at",
        input_formats=[DATETIME_LOCAL, "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"],
        widget=DateTimeLocalInput(),
        required=False,
        help_text="Leave empty to use the time you complete the session.",
    )
    topical_anaesthetic = forms.ChoiceField(
        label="Topical anaesthetic", choices=TopicalAnaesthetic.choices, initial="none"
    )
    immediate_reactions = _optional_note(
        "Immediate reactions",
        max_length=2000,
        help_text="E.g. bleeding at a site, vasovagal episode. Leave empty if none.",
    )
    notes = forms.CharField(
        required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )
    confirm_sign = forms.BooleanField(
        label="I have checked the record: complete, sign and lock it",
        required=False,
        help_text="Signing locks the session; corrections are then addenda.",
    )


class AddendumForm(forms.Form):
    #: Rendered once per value (treatment_tags.field_group); never a field with patient data.
    kept_fields = ("text",)

    text = forms.CharField(
        label="Addendum", max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )


class CancelForm(forms.Form):
    #: Rendered once per value (treatment_tags.field_group); never a field with patient data.
    kept_fields = ("reason", "confirm")

    reason = forms.CharField(
        label="Reason for cancelling",
        max_length=500,
        error_messages={"required": "Give a reason for cancelling."},
    )
    confirm = forms.BooleanField(
        label="Yes, cancel this session (the ticked sites will no longer count)",
        error_messages={"required": "Tick to confirm you want to cancel this session."},
    )


def parse_sites(data: Mapping[str, Any], protocol: dosing.Protocol) -> list[dosing.RecordedSite]:
    """The site checkboxes: `site-<code>` ticked = injected (done, or added for a
    follow-the-pain slot); a fixed site unticked with `reason-<code>` = skipped;
    unticked without a reason = not recorded yet. Unknown ticked codes are passed
    on as added so the domain names the problem."""
    fixed = {s.code for s in protocol.fixed_sites}
    sites: list[dosing.RecordedSite] = []
    ticked = [k[5:] for k in data if k.startswith("site-") and data.get(k)]
    seen: set[str] = set()
    for code in [*(s.code for s in protocol.fixed_sites), *ticked]:
        if code in seen:
            continue
        seen.add(code)
        if code in ticked:
            status = dosing.SiteStatus.DONE if code in fixed else dosing.SiteStatus.ADDED
            sites.append(dosing.RecordedSite(code, status, dosing.UNITS_PER_SITE))
        elif code in fixed:
            reason = str(data.get(f"reason-{code}", "")).strip()[:200]
            if reason:
                sites.append(dosing.RecordedSite(code, dosing.SiteStatus.SKIPPED, 0, reason))
    return sites
