"""Forms for safety monitoring: the patient's symptom report and the clinic's register."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from dataclasses import dataclass
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from cephalog.domain import dosing
from cephalog.domain.safety import (
    REPORTABLE,
    SYMPTOMS,
    Symptom,
    SymptomClass,
    SymptomInfo,
    classify,
)
from cephalog.patients.models import Patient
from cephalog.safety.actions import ReportedSymptom
from cephalog.safety.models import (
    MUSCLE_CHOICES,
    SYMPTOM_CHOICES,
    Outcome,
    Relatedness,
    Seriousness,
    Severity,
)
from cephalog.treatment.models import Session

PATIENT_SEVERITY_CHOICES = [
    (Severity.MILD.value, "Mild: it does not stop me doing things"),
    (Severity.MODERATE.value, "Moderate: it gets in the way"),
    (Severity.SEVERE.value, "Severe: I cannot do my usual things"),
]
STATUS_CHOICES = [("present", "Yes, it is still there"), ("gone", "No, it has gone")]


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


@dataclass(frozen=True)
class SymptomRow:
    """One symptom of the patient form with its bound detail fields."""

    code: str
    info: SymptomInfo
    tick: forms.BoundField
    onset: forms.BoundField
    severity: forms.BoundField
    status: forms.BoundField
    resolved: forms.BoundField

    @property
    def red_flag(self) -> bool:
        return self.info.red_flag

    @property
    def group(self) -> str:
        """The form's section: emergency now, medical help today, or other effects."""
        if self.info.classification is SymptomClass.EMERGENCY:
            return "1-emergency"
        if self.info.classification is SymptomClass.SAME_DAY:
            return "2-same-day"
        return "3-other"

    @property
    def has_errors(self) -> bool:
        return any(f.errors for f in (self.onset, self.severity, self.status, self.resolved))

    @property
    def error_messages(self) -> list[str]:
        return [
            str(e)
            for f in (self.onset, self.severity, self.status, self.resolved)
            for e in f.errors
        ]


class SymptomReportForm(forms.Form):
    """Tick symptoms; for each one, when it started, how bad it is, and whether it is still there.

    The symptom list is the domain's vocabulary in its display order. With a
    red flag ticked the form never fails: the action stores the report with
    stated assumptions for anything missing (see actions.submit_report).
    """

    key = forms.UUIDField(widget=forms.HiddenInput, required=False)
    note = forms.CharField(
        label="Anything else you want to tell us (optional)",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, today: dt.date, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {}).setdefault("key", uuid.uuid4())
        super().__init__(*args, **kwargs)
        self.today = today
        date_attrs = {"max": today.isoformat()}
        for symptom in REPORTABLE:
            info = SYMPTOMS[symptom]
            code = symptom.value
            self.fields[f"sym_{code}"] = forms.BooleanField(
                label=info.patient_label, required=False
            )
            self.fields[f"onset_{code}"] = forms.DateField(
                label="When did it start?",
                required=False,
                initial=today,
                widget=DateInput(attrs=date_attrs),
            )
            self.fields[f"severity_{code}"] = forms.ChoiceField(
                label="How bad is it?",
                required=False,
                choices=PATIENT_SEVERITY_CHOICES,
                widget=forms.RadioSelect,
            )
            self.fields[f"status_{code}"] = forms.ChoiceField(
                label="Is it still there?",
                required=False,
                choices=STATUS_CHOICES,
                initial="present",
                widget=forms.RadioSelect,
            )
            self.fields[f"resolved_{code}"] = forms.DateField(
                label="If it has gone: when did it stop? (optional)",
                required=False,
                widget=DateInput(attrs=date_attrs),
            )

    def symptom_rows(self) -> list[SymptomRow]:
        return [
            SymptomRow(
                code=s.value,
                info=info,
                tick=self[f"sym_{s.value}"],
                onset=self[f"onset_{s.value}"],
                severity=self[f"severity_{s.value}"],
                status=self[f"status_{s.value}"],
                resolved=self[f"resolved_{s.value}"],
            )
            for s in REPORTABLE
            for info in (SYMPTOMS[s],)
        ]

    def ticked(self) -> list[Symptom]:
        """The ticked symptoms, read from the raw data so it works before validation."""
        return [s for s in REPORTABLE if self.data.get(f"sym_{s.value}") in ("on", "true", "1")]

    def has_red_flag(self) -> bool:
        return classify(self.ticked()).has_red_flags

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        ticked = [s for s in REPORTABLE if data.get(f"sym_{s.value}")]
        if not ticked:
            raise forms.ValidationError("Tick at least one thing you have noticed.")
        if classify(ticked).has_red_flags:
            return data  # never turn a red flag away; the action states its assumptions
        for s in ticked:
            code = s.value
            onset = data.get(f"onset_{code}")
            if onset is None:
                self.add_error(f"onset_{code}", "Say when it started.")
            elif onset > self.today:
                # Named, as the page's summary reads "Neck pain: <this>" with two dates.
                self.add_error(f"onset_{code}", "The day it started cannot be in the future.")
            elif onset < self.today - dt.timedelta(days=365):
                self.add_error(f"onset_{code}", "Give a date within the last year.")
            if not data.get(f"severity_{code}"):
                self.add_error(f"severity_{code}", "Choose how bad it is.")
            if not data.get(f"status_{code}"):
                self.add_error(f"status_{code}", "Say whether it is still there.")
            resolved = data.get(f"resolved_{code}")
            if data.get(f"status_{code}") == "gone" and resolved is not None:
                if resolved > self.today:
                    self.add_error(
                        f"resolved_{code}", "The day it stopped cannot be in the future."
                    )
                elif onset is not None and resolved < onset:
                    self.add_error(f"resolved_{code}", "This is before it started.")
        return data

    def reported(self) -> list[ReportedSymptom]:
        """What was ticked, with whatever details could be read (valid or not).

        Used for a red-flag report even when some detail did not validate.
        """
        cleaned: dict[str, Any] = getattr(self, "cleaned_data", {})
        out = []
        for s in self.ticked():
            code = s.value
            status = cleaned.get(f"status_{code}") or self.data.get(f"status_{code}")
            out.append(
                ReportedSymptom(
                    symptom=s,
                    onset=cleaned.get(f"onset_{code}") or _date(self.data.get(f"onset_{code}")),
                    severity=cleaned.get(f"severity_{code}") or self.data.get(f"severity_{code}"),
                    still_present=None
                    if status not in ("present", "gone")
                    else status == "present",
                    resolved_on=cleaned.get(f"resolved_{code}")
                    or _date(self.data.get(f"resolved_{code}")),
                )
            )
        return out

    def show_refusal(self, error: ValidationError) -> None:
        """Show a refusal of the report action in plain words beside the detail it concerns.

        The action names each problem by symptom code and detail
        (`"neck_pain: onset: say when it started"`, stable words for the API); a patient
        sees the form's own sentence next to that symptom's question, never the code.
        """
        known = {s.value for s in REPORTABLE}
        shown = False
        for message in error.messages:
            match = _ACTION_PROBLEM.match(message)
            if match and match["code"] in known and match["detail"] in _DETAIL_WORDS:
                field, words = _DETAIL_WORDS[match["detail"]]
                name = f"{field}_{match['code']}"
                if not self.has_error(name):
                    self.add_error(name, words)
                shown = True
        if not shown:
            self.add_error(
                None,
                "We could not send your report. Check your answers and send it again, or call "
                "the clinic.",
            )
        elif not self.non_field_errors():
            self.add_error(None, "Please check the answers marked below.")

    def submission_key(self) -> uuid.UUID | None:
        try:
            return uuid.UUID(str(self.data.get("key", "")))
        except ValueError:
            return None

    def note_text(self) -> str:
        return str(self.data.get("note", ""))[:2000]


#: A problem of the report action about one symptom's detail: `code: detail: words`.
_ACTION_PROBLEM = re.compile(r"^(?P<code>[a-z0-9_]+): (?P<detail>[a-z_]+)\b")
#: detail -> (the form's field prefix, the words the patient reads beside it).
_DETAIL_WORDS = {
    "onset": ("onset", "Give the day it started (today, or a day in the last year)."),
    "severity": ("severity", "Choose how bad it is."),
    "still_present": ("status", "Say whether it is still there."),
    "resolved_on": ("resolved", "Give a date between when it started and today."),
}


def _date(raw: Any) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(raw)) if raw else None
    except ValueError:
        return None


# --- staff -------------------------------------------------------------------------------


def _site_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    side_names = {dosing.Side.LEFT: "left", dosing.Side.RIGHT: "right", dosing.Side.MIDLINE: ""}
    groups: dict[str, list[tuple[str, str]]] = {}
    for site in (*dosing.FIXED_SITES, *dosing.FTP_SITES):
        muscle = site.muscle.value.replace("_", " ").capitalize()
        side = side_names[site.side]
        extra = " (follow-the-pain)" if site.follow_the_pain else ""
        label = f"{muscle} {side} {site.index}{extra}".replace("  ", " ")
        groups.setdefault(muscle, []).append((site.code, f"{label} – {site.code}"))
    return list(groups.items())


class SessionChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.date.day} {obj.date:%b %Y} ({obj.get_status_display()})"


def _free_text(label: str, rows: int = 2) -> forms.CharField:
    """An optional box of free text on the adverse-event form."""
    return forms.CharField(label=label, required=False, widget=forms.Textarea(attrs={"rows": rows}))


class AdverseEventForm(forms.Form):
    """A register entry: the clinician's record of an adverse event (FDA 3500 fields)."""

    # No symptom is preselected: the first in the list is a red flag (dysphagia), and a
    # form sent without choosing would record it and raise an alert.
    symptom = forms.ChoiceField(
        choices=[("", "Choose the symptom")]
        + [(s.value, SYMPTOMS[s].clinician_label) for s in REPORTABLE]
    )
    onset = forms.DateField(widget=DateInput())
    severity = forms.ChoiceField(choices=Severity.choices)
    session = SessionChoiceField(
        queryset=Session.objects.none(),
        required=False,
        empty_label="Not linked to a session",
        help_text="The session the event followed.",
    )
    region = forms.ChoiceField(
        label="Region injected",
        choices=[("", "Not known")] + MUSCLE_CHOICES,
        required=False,
    )
    site_codes = forms.MultipleChoiceField(
        label="Sites involved",
        choices=_site_choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    seriousness = forms.MultipleChoiceField(
        label="Seriousness (FDA 3500 B2: leave empty if not serious)",
        choices=Seriousness.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    relatedness = forms.ChoiceField(
        label="Related to the treatment?",
        choices=[("", "Not assessed yet")] + list(Relatedness.choices),
        required=False,
    )
    outcome = forms.ChoiceField(choices=Outcome.choices, initial=Outcome.UNKNOWN)
    resolved_on = forms.DateField(label="Resolved on", required=False, widget=DateInput())
    description = _free_text("Description (FDA 3500 B5)", rows=3)
    relevant_tests = _free_text("Relevant tests and laboratory data (B6)")
    relevant_history = _free_text("Other relevant history (B7)")
    actions = _free_text("Actions (e.g. avoid lower frontalis sites next time)")
    avoid_sites = forms.MultipleChoiceField(
        label="Sites to avoid at the next session (shown on the site map)",
        choices=_site_choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, patient: Patient, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["session"]
        assert isinstance(field, SessionChoiceField)
        field.queryset = Session.objects.filter(patient=patient).order_by("-date")


class AcknowledgeForm(forms.Form):
    action_taken = forms.CharField(
        label="Action taken",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="For example: phoned the patient, advised the emergency department.",
    )


YES_NO = [("", "Any"), ("yes", "Yes"), ("no", "No")]


class RegisterFilterForm(forms.Form):
    symptom = forms.ChoiceField(choices=[("", "Any")] + SYMPTOM_CHOICES, required=False)
    red_flag = forms.ChoiceField(label="Red flag", choices=YES_NO, required=False)
    serious = forms.ChoiceField(choices=YES_NO, required=False)
    outcome = forms.ChoiceField(choices=[("", "Any")] + list(Outcome.choices), required=False)
    relatedness = forms.ChoiceField(
        choices=[("", "Any")] + list(Relatedness.choices), required=False
    )
    start = forms.DateField(label="Onset from", required=False, widget=DateInput())
    end = forms.DateField(label="Onset to", required=False, widget=DateInput())


class PeriodForm(forms.Form):
    start = forms.DateField(label="Sessions from", required=False, widget=DateInput())
    end = forms.DateField(label="Sessions to", required=False, widget=DateInput())
