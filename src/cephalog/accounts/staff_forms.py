"""Forms of the clinic admin's Staff and Clinic settings pages."""

from __future__ import annotations

from typing import Any

from django import forms

from cephalog.accounts.actions import CLINIC_SETTINGS
from cephalog.accounts.models import Clinic, Role
from cephalog.accounts.time_zones import choices_for_clinics


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
    # choices: the clinic's zone first, then its country's common zones, then all
    time_zone = forms.ChoiceField()

    class Meta:
        model = Clinic
        fields = list(CLINIC_SETTINGS)  # the settings the action may change
        # The country's help text says what it chooses; the label said it again.
        labels = {"minimum_interval_days": "Minimum days between sessions"}
        help_texts = {
            "minimum_interval_days": "A session sooner than this after the last one is refused. "
            "From this day until the policy's earliest day (day 77; day 84 under the US payer "
            "rule) a session needs a reason."
        }
        widgets = {"address": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["time_zone"].choices = choices_for_clinics(  # type: ignore[attr-defined]
            [self.instance]
        )
