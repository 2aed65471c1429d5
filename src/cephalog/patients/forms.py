from __future__ import annotations

import zoneinfo
from typing import Any

from django import forms

from cephalog.accounts.models import Clinic
from cephalog.patients.models import Patient

TIME_ZONES = sorted(zoneinfo.available_timezones())


class PatientForm(forms.ModelForm):  # type: ignore[type-arg]
    clinic = forms.ModelChoiceField(queryset=Clinic.objects.none(), empty_label=None)
    time_zone = forms.ChoiceField(choices=[(z, z) for z in TIME_ZONES], initial="Europe/London")

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
        if clinics.count() == 1:
            self.fields["clinic"].initial = clinics.first()
            self.fields["clinic"].widget = forms.HiddenInput()


class ContactForm(forms.ModelForm):  # type: ignore[type-arg]
    """Contact details, editable by the clinic's staff (patients.actions.update_contact_details)."""

    time_zone = forms.ChoiceField(choices=[(z, z) for z in TIME_ZONES])

    class Meta:
        model = Patient
        fields = ["email", "phone", "address", "time_zone", "preferred_contact", "gp_practice"]
        labels = {"preferred_contact": "Preferred contact", "address": "Postal address"}
        widgets = {
            "email": forms.EmailInput(attrs={"autocomplete": "off"}),
            "phone": forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
            "address": forms.Textarea(attrs={"rows": 3}),
            "gp_practice": forms.Textarea(attrs={"rows": 3}),
        }


class InviteEmailForm(forms.Form):
    """The invitation asks for a missing email address in place."""

    email = forms.EmailField(label="Patient's email address", max_length=254)
