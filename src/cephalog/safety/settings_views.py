"""The clinic admin's Safety settings page: the numbers patients see in the urgent guidance
("Get medical help today", "Get emergency help now") and the red-flag alert settings.

Clinic admins only; the write is `actions.update_safety_settings` (validated, audited).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from cephalog.accounts.access import in_clinic, staff_view, working_clinic, working_clinics
from cephalog.accounts.models import Clinic, Role, User
from cephalog.audit.actions import record
from cephalog.core.errors import AppError
from cephalog.core.http import add_to_form
from cephalog.safety import actions, queries

ADMIN = (Role.CLINIC_ADMIN,)


class TelInput(forms.TextInput):
    input_type = "tel"


def _phone_field(label: str, help_text: str = "") -> forms.CharField:
    """A phone number the clinic may leave blank (typed as a number on phones)."""
    return forms.CharField(
        label=label,
        required=False,
        max_length=60,
        help_text=help_text,
        widget=TelInput(attrs={"autocomplete": "off"}),
    )


class SafetySettingsForm(forms.Form):
    urgent_phone = _phone_field("The clinic's urgent number")
    out_of_hours_number = _phone_field(
        "Out-of-hours number (optional)",
        "Medical help when the clinic is closed, for example 111 in England.",
    )
    emergency_number = _phone_field(
        "Emergency number",
        "Shown to every patient with a warning sign, for example 999 in the UK.",
    )
    escalation_minutes = forms.IntegerField(
        label="Minutes before an unread red-flag alert is emailed again",
        min_value=1,
        max_value=1440,
    )
    max_escalations = forms.IntegerField(
        label="Reminder emails per alert, at most",
        min_value=0,
        max_value=50,
        help_text="The alert stays on every staff screen after the last one.",
    )
    physicians_only_acknowledge = forms.BooleanField(
        label="Only physicians may acknowledge red-flag alerts (not nurses)", required=False
    )

    def __init__(self, *args: Any, clinic: Clinic, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["urgent_phone"].help_text = (
            "Shown to patients told to get medical help today (signs the medicine has spread). "
            + (
                f"Leave empty to use the clinic's phone, {clinic.phone}."
                if clinic.phone
                else "The clinic has no phone number yet: give one here or in the clinic settings."
            )
        )


def _initial(clinic: Clinic) -> dict[str, Any]:
    current = queries.settings_for(clinic)
    return {name: getattr(current, name) for name in actions.SAFETY_SETTINGS}


@staff_view(roles=ADMIN)
def safety_settings(request: HttpRequest) -> HttpResponse:
    clinic = working_clinic(request, ADMIN)
    form = SafetySettingsForm(request.POST or None, initial=_initial(clinic), clinic=clinic)
    if request.method == "POST" and form.is_valid():
        assert isinstance(request.user, User)
        try:
            changed = actions.update_safety_settings(
                clinic=clinic, by=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            add_to_form(form, AppError.from_validation(error))
        else:
            messages.success(
                request,
                "Safety settings saved. Patients see the new numbers straight away."
                if changed
                else "Nothing was changed.",
            )
            return redirect(in_clinic(clinic, "safety-settings"))
    elif request.method != "POST":
        record(action="read", category="safety_settings", clinic_id=clinic.pk)
    current = queries.settings_for(clinic)
    return render(
        request,
        "safety/settings.html",
        {
            "form": form,
            "clinic": clinic,
            "clinics": working_clinics(request, ADMIN),
            "shown_urgent": current.urgent_phone or clinic.phone,
            "shown_out_of_hours": current.out_of_hours_number,
            "shown_emergency": current.emergency_number or "999",
        },
        status=400 if request.method == "POST" else 200,
    )
