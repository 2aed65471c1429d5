"""Forms for the session pages. They only parse input: the rules are in the actions/domain."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from django import forms

from cephalog.accounts.models import User
from cephalog.domain import dosing
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


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format=DATETIME_LOCAL)


class InjectorField(forms.ModelChoiceField):  # type: ignore[type-arg]
    """Injectors by name and role ("Dr Alex Morgan, physician"), not by login."""

    labels: Mapping[int, str] = {}

    def label_from_instance(self, obj: Any) -> str:
        return self.labels.get(obj.pk, obj.get_full_name() or obj.username)


class StartSessionForm(forms.Form):
    protocol = forms.ChoiceField()
    injector = InjectorField(queryset=User.objects.none(), empty_label=None)
    infection_at_sites = _yes_no("Any infection at the injection sites today?")
    red_flags_since_last = _yes_no(
        "Any new red-flag symptoms since the last session?",
        "Trouble swallowing, speaking or breathing, generalised weakness, double or blurred vision.",
    )
    pregnant = _yes_no("Is the patient pregnant, or could she be?")
    precheck_reason = forms.CharField(
        label="Reason to proceed (pre-checks)",
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Needed when eligibility is not confirmed, or for pregnancy or new red flags.",
    )
    override_reason = forms.CharField(
        label="Reason for an early session (interval)",
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Needed under 77 days since the last session; it must address the antibody risk.",
    )

    def __init__(
        self,
        *args: Any,
        protocols: Sequence[tuple[str, str]],
        injectors: Any,
        injector_labels: Mapping[int, str],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["protocol"].choices = protocols  # type: ignore[attr-defined]
        field = self.fields["injector"]
        assert isinstance(field, InjectorField)
        field.queryset = injectors
        field.labels = injector_labels


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
    immediate_reactions = forms.CharField(
        label="Immediate reactions",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="E.g. bleeding at a site, vasovagal episode. Leave empty if none.",
    )
    notes = forms.CharField(
        required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )


class AddendumForm(forms.Form):
    #: Rendered once per value (treatment_tags.field_group); never a field with patient data.
    kept_fields = ("text",)

    text = forms.CharField(
        label="Addendum", max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )


class CancelForm(forms.Form):
    #: Rendered once per value (treatment_tags.field_group); never a field with patient data.
    kept_fields = ("reason",)

    reason = forms.CharField(label="Reason for cancelling", max_length=500)


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
