from __future__ import annotations

from django import forms

from cephalog.audit.models import AuditAction
from cephalog.web.audit.queries import SORTABLE, AuditFilter
from cephalog.web.audit.wording import CATEGORY_WORDS

#: The categories the code records (tests/audit/test_report_words.py keeps CATEGORY_WORDS
#: complete), by their words: "A bridging treatment", "The diary", ...
CATEGORY_CHOICES = [
    ("", "any"),
    *sorted(
        ((key, words[:1].upper() + words[1:]) for key, words in CATEGORY_WORDS.items()),
        key=lambda choice: choice[1].removeprefix("A ").removeprefix("An ").removeprefix("The "),
    ),
]

SORT_CHOICES = [(f"-{f}", f"{f} (newest/last first)") for f in SORTABLE] + [
    (f, f"{f} (oldest/first first)") for f in SORTABLE
]


class AuditFilterForm(forms.Form):
    user = forms.CharField(required=False, max_length=150, label="User")
    # The patient is found by MRN or name with the POSTed search (PatientSearchForm): only her
    # opaque id is carried in the address.
    patient = forms.UUIDField(required=False, widget=forms.HiddenInput)
    action = forms.ChoiceField(required=False, choices=[("", "any"), *AuditAction.choices])
    category = forms.ChoiceField(required=False, choices=CATEGORY_CHOICES, label="Data category")
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


class PatientSearchForm(forms.Form):
    """POSTed, so that an MRN or a name never appears in an address or an access log."""

    find = forms.CharField(
        max_length=100,
        label="Patient: MRN or name",
        error_messages={"required": "Type the patient's MRN or name."},
    )
