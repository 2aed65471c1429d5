"""Forms of the consultation, screening and policy pages. They parse; the actions decide.

Each form has a prefix, so several can share one page without clashing ids.
`attach_problems` puts an action's "field: message" problems next to the field.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from django import forms

from cephalog.domain.point_of_care import PRODUCT_LABELS
from cephalog.domain.policies import POLICIES
from cephalog.domain.vocab import ToxinProduct
from cephalog.eligibility.models import (
    ConditionCode,
    MedicationClass,
    PreventiveClass,
    PreventiveOutcome,
)

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
FROM_CATALOGUE = ("", "From the catalogue")

#: Action field names (domain spelling) → form field names.
FIELD_ALIASES = {"class": "drug_class", "conditions": "conditions"}


class Form(forms.Form):
    """Labels without Django's trailing colon, as elsewhere in cephalog."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


def attach_problems(form: forms.Form, problems: Sequence[str]) -> None:
    """Show each "field: message" problem on its field, or on the form when unknown."""
    for problem in problems:
        name, _, message = problem.partition(": ")
        name = FIELD_ALIASES.get(name, name)
        if name in form.fields and message:
            form.add_error(name, message)
        else:
            form.add_error(None, problem)


class HistoryForm(Form):
    prefix = "hist"
    migraine_onset_year = forms.IntegerField(
        label="Year migraine started", required=False, min_value=1900, max_value=2100
    )
    migraine_with_aura = forms.BooleanField(label="Migraine with aura", required=False)
    chronic_headache_since = forms.DateField(
        label="Headache on 15 or more days a month since",
        required=False,
        widget=DATE,
        help_text="Chronic migraine needs more than 3 months (ICHD-3 1.3).",
    )
    intractable = forms.BooleanField(
        label="Intractable",
        required=False,
        help_text="Pharmacoresistant, treatment-resistant, refractory or poorly controlled "
        "(ICD-10-CM G43 note).",
    )
    status_migrainosus = forms.BooleanField(
        label="Status migrainosus",
        required=False,
        help_text="A debilitating attack lasting more than 72 hours.",
    )


def _drug_name(label: str, datalist: str) -> forms.CharField:
    """A drug's name, typed or picked from the page's `datalist` of suggestions."""
    return forms.CharField(
        label=label,
        max_length=100,
        widget=forms.TextInput(attrs={"list": datalist, "autocomplete": "off"}),
    )


def _drug_class(choices: Sequence[tuple[str, str]]) -> forms.ChoiceField:
    """A drug's class; left blank, the catalogue names it."""
    return forms.ChoiceField(label="Class", choices=[FROM_CATALOGUE, *choices], required=False)


class PreventiveForm(Form):
    prefix = "prev"
    name = _drug_name("Drug", "preventive-names")
    drug_class = _drug_class(PreventiveClass.choices)
    dose = forms.CharField(label="Dose", max_length=60, required=False)
    start = forms.DateField(label="Started", required=False, widget=DATE)
    stop = forms.DateField(label="Stopped", required=False, widget=DATE)
    outcome = forms.ChoiceField(label="Outcome", choices=PreventiveOutcome.choices)


class MedicationForm(Form):
    prefix = "med"
    name = _drug_name("Medicine", "medicine-names")
    drug_class = _drug_class(MedicationClass.choices)
    start = forms.DateField(label="Started", required=False, widget=DATE)
    stop = forms.DateField(label="Stopped", required=False, widget=DATE)


class CautionsForm(Form):
    prefix = "caut"
    conditions = forms.MultipleChoiceField(
        label="Current conditions",
        choices=ConditionCode.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    toxin_allergy = forms.BooleanField(
        label="Allergy or hypersensitivity to botulinum toxin", required=False
    )
    allergy_reaction = forms.CharField(label="Reaction", max_length=200, required=False)


class ExposureForm(Form):
    prefix = "exp"
    product = forms.ChoiceField(
        label="Product",
        choices=[(p.value, PRODUCT_LABELS[p]) for p in ToxinProduct],
        initial=ToxinProduct.ONABOTULINUMTOXINA.value,
        required=False,
        help_text="Units of different products are not interchangeable: only "
        "onabotulinumtoxinA counts toward the 400 U cap; any product in the last 90 days "
        "is a flag at the next session.",
    )
    units = forms.IntegerField(label="Units", min_value=0, max_value=1000)
    date = forms.DateField(label="Date", widget=DATE)
    indication = forms.CharField(label="Indication", max_length=60)


class SignOffForm(Form):
    flag = forms.CharField(widget=forms.HiddenInput, max_length=80)
    reason = forms.CharField(
        label="Reason",
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class DecisionForm(Form):
    override_reason = forms.CharField(
        label="Override reason",
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ClinicPolicyForm(Form):
    name = forms.SlugField(label="Name", max_length=40, help_text="Short code, no spaces.")
    title = forms.CharField(label="Title", max_length=200)
    definition = forms.CharField(
        label="Definition (JSON)",
        widget=forms.Textarea(attrs={"rows": 18, "spellcheck": "false"}),
        help_text="The keys of a built-in policy; omitted keys take the defaults.",
    )

    def clean_definition(self) -> Any:
        text = self.cleaned_data["definition"]
        try:
            return json.loads(text)
        except json.JSONDecodeError as error:
            raise forms.ValidationError(f"not valid JSON: {error}") from None


def starting_definition(name: str) -> str:
    """A built-in policy's definition without name and title, as the starting point."""
    policy = POLICIES.get(name) or POLICIES["us-payer"]
    data = {k: v for k, v in policy.to_dict().items() if k not in ("name", "title")}
    return json.dumps(data, indent=2)
