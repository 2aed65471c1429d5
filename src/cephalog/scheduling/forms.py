from __future__ import annotations

from django import forms

from cephalog.scheduling.actions import REASON_MAX


class RescheduleForm(forms.Form):
    new_date = forms.DateField(label="New date", widget=forms.DateInput(attrs={"type": "date"}))
    new_time = forms.TimeField(
        label="Time (optional)",
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}),
    )
    reason = forms.CharField(label="Reason", max_length=REASON_MAX)


class CancelForm(forms.Form):
    reason = forms.CharField(label="Reason", max_length=REASON_MAX)


class AuthorisationForm(forms.Form):
    end = forms.DateField(
        label="Authorisation ends on", widget=forms.DateInput(attrs={"type": "date"})
    )
