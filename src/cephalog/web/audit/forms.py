from __future__ import annotations

from django import forms

from cephalog.audit.models import AuditAction
from cephalog.web.audit.queries import SORTABLE, AuditFilter

SORT_CHOICES = [(f"-{f}", f"{f} (newest/last first)") for f in SORTABLE] + [
    (f, f"{f} (oldest/first first)") for f in SORTABLE
]


class AuditFilterForm(forms.Form):
    user = forms.CharField(required=False, max_length=150, label="User")
    patient = forms.UUIDField(required=False, label="Patient id")
    action = forms.ChoiceField(required=False, choices=[("", "any"), *AuditAction.choices])
    category = forms.CharField(required=False, max_length=40, label="Data category")
    source_ip = forms.GenericIPAddressField(required=False, label="Source address")
    since = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    sort = forms.ChoiceField(required=False, choices=SORT_CHOICES, initial="-at")

    def to_filter(self) -> AuditFilter:
        d = self.cleaned_data
        return AuditFilter(
            user=d.get("user") or "",
            patient=str(d["patient"]) if d.get("patient") else "",
            action=d.get("action") or "",
            category=d.get("category") or "",
            source_ip=d.get("source_ip") or "",
            since=d.get("since"),
            until=d.get("until"),
            sort=d.get("sort") or "-at",
        )
