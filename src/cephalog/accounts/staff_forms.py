"""Forms of the clinic admin's Staff and Clinic settings pages."""

from __future__ import annotations

import zoneinfo

from django import forms

from cephalog.accounts.actions import CLINIC_SETTINGS
from cephalog.accounts.models import Clinic, Role

TIME_ZONES = sorted(zoneinfo.available_timezones())


class InviteColleagueForm(forms.Form):
    first_name = forms.CharField(max_length=150)
    last_name = forms.CharField(max_length=150)
    email = forms.EmailField(max_length=254)
    role = forms.ChoiceField(choices=Role.choices)


class RoleForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices, label="New role")


class TrainingForm(forms.Form):
    course = forms.CharField(max_length=200, label="Course")
    provider = forms.CharField(max_length=200, required=False, label="Given by")
    completed_on = forms.DateField(
        label="Completed on", widget=forms.DateInput(attrs={"type": "date"})
    )


class ClinicSettingsForm(forms.ModelForm):  # type: ignore[type-arg]
    time_zone = forms.ChoiceField(choices=[(z, z) for z in TIME_ZONES])

    class Meta:
        model = Clinic
        fields = list(CLINIC_SETTINGS)  # the settings the action may change
        labels = {"country": "Country (chooses paper size, letters and adverse-event form)"}
        widgets = {"address": forms.Textarea(attrs={"rows": 3})}
