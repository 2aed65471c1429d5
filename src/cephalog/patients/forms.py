from __future__ import annotations

from typing import Any

from django import forms

from cephalog.accounts.models import Clinic
from cephalog.accounts.time_zones import choices_for_clinics
from cephalog.patients.models import Patient

#: What the patient's zone decides, said where staff choose it.
TIME_ZONE_HELP = (
    "The patient's diary follows this time zone: it decides which day is today in the "
    "diary, which past days the patient can still fill in, and when the evening reminder "
    "is sent. Days already recorded keep their dates."
)


def _time_zone_field() -> forms.ChoiceField:
    # choices are set per form, from the clinic (accounts.time_zones)
    return forms.ChoiceField(label="Time zone", help_text=TIME_ZONE_HELP)


class PatientForm(forms.ModelForm):  # type: ignore[type-arg]
    clinic = forms.ModelChoiceField(queryset=Clinic.objects.none(), empty_label=None)
    time_zone = _time_zone_field()

    class Meta:
        model = Patient
        fields = [
            "clinic",
            "mrn",
            "given_name",
            "family_name",
            "birth_date",
            "sex",
            "email",
            "phone",
            "time_zone",
        ]
        widgets = {"birth_date": forms.DateInput(attrs={"type": "date"})}

    def __init__(self, *args: Any, clinics: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["clinic"].queryset = clinics  # type: ignore[attr-defined]
        # The clinic's zone first and chosen, then its country's common zones, then all.
        self.fields["time_zone"].choices = choices_for_clinics(clinics)  # type: ignore[attr-defined]
        first = clinics.first()
        if first is not None and not self.is_bound:
            self.fields["time_zone"].initial = first.time_zone
        if clinics.count() == 1:
            self.fields["clinic"].initial = clinics.first()
            self.fields["clinic"].widget = forms.HiddenInput()


class ContactForm(forms.ModelForm):  # type: ignore[type-arg]
    """Contact details, editable by the clinic's staff (patients.actions.update_contact_details)."""

    time_zone = _time_zone_field()

    class Meta:
        model = Patient
        fields = ["email", "phone", "address", "time_zone", "preferred_contact", "gp_practice"]
        labels = {"preferred_contact": "Preferred contact", "address": "Postal address"}
        help_texts = {"address": ""}  # the model's help ("Postal address.") is the label
        widgets = {
            "email": forms.EmailInput(attrs={"autocomplete": "off"}),
            "phone": forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
            "address": forms.Textarea(attrs={"rows": 3}),
            "gp_practice": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["time_zone"].choices = choices_for_clinics(  # type: ignore[attr-defined]
            [self.instance.clinic]
        )


class InviteEmailForm(forms.Form):
    """The invitation asks for a missing email address in place."""

    email = forms.EmailField(label="Patient's email address", max_length=254)
