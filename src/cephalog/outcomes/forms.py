"""Forms only read posted values; the rules are the domain's, applied by `actions`,
whose messages are attached back to the fields."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from cephalog.domain.instruments import (
    HIT6_ITEM_KEYS,
    HIT6_VALUES,
    MIDAS_ITEM_A_KEY,
    MIDAS_ITEM_B_KEY,
    MIDAS_ITEM_KEYS,
    MIDAS_MAX_DAYS,
    MIDAS_MAX_PAIN,
)
from cephalog.domain.policies import POLICIES
from cephalog.outcomes.models import ITEM_KEY_CHOICES, BridgingKind, Decision, Instrument

#: Fallback labels when the clinic has no licensed wording: the item values themselves.
HIT6_VALUE_LABELS = {6: "6", 8: "8", 10: "10", 11: "11", 13: "13"}


class DecisionForm(forms.Form):
    policy = forms.ChoiceField(choices=[(p, p) for p in POLICIES], widget=forms.HiddenInput)
    decision = forms.ChoiceField(
        choices=Decision.choices, widget=forms.RadioSelect, label="Decision"
    )
    new_interval_days = forms.IntegerField(
        required=False,
        label="New interval in days (for a change of interval)",
        min_value=1,
        max_value=365,
    )
    reason = forms.CharField(
        label="Reason",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Required. Recorded with the decision and shown on the timeline.",
    )


class BridgingForm(forms.Form):
    """Nothing filled in in advance: today's "Nerve block" was recorded by one click on an
    untouched form. The date and the treatment are chosen (as the decision is)."""

    date = forms.DateField(
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        label="Date given",
        error_messages={"required": "Give the date the treatment was given."},
    )
    kind = forms.ChoiceField(
        choices=BridgingKind.choices,
        widget=forms.RadioSelect,
        label="Treatment",
        error_messages={"required": "Choose the treatment that was given."},
    )
    notes = forms.CharField(
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        label="Notes",
        help_text="Required for Other: say what was given.",
    )


class WithdrawBridgingForm(forms.Form):
    reason = forms.CharField(
        label="Why is this entry withdrawn?",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "Say why this entry is withdrawn."},
    )


class ContentPackForm(forms.Form):
    file = forms.FileField(label="Content pack (JSON file)")


def _item_label(
    wording: dict[str, Any] | None,
    key: str,
    number: str,
    staff: bool,
    labels: dict[str, str] | None = None,
) -> str:
    """The licensed wording when the clinic loaded it; else the clinic's plain label for the
    item (issue 16.5), else its number (the patient reads the paper form)."""
    items = (wording or {}).get("items", {})
    text = items.get(key)
    if text:
        return f"{number}. {text}"
    label = (labels or {}).get(key)
    if label:
        return f"Item {number} ({key}): {label}" if staff else f"Question {number}: {label}"
    return f"Item {number} ({key})" if staff else f"Question {number}"


class QuestionnaireForm(forms.Form):
    """Item values only; wording from the clinic's content pack when one is loaded."""

    completed_on = forms.DateField(
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"), label="Completed on"
    )

    def __init__(
        self,
        *args: Any,
        instrument: str,
        wording: dict[str, Any] | None = None,
        staff: bool = False,
        today: dt.date | None = None,
        labels: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("prefix", instrument)
        super().__init__(*args, **kwargs)
        self.instrument = instrument
        self.wording = wording
        if not staff:
            del self.fields["completed_on"]
        elif today is not None:
            self.fields["completed_on"].initial = today
        if instrument == Instrument.HIT6:
            options = (wording or {}).get("options", {})
            choices = [(str(v), options.get(str(v)) or HIT6_VALUE_LABELS[v]) for v in HIT6_VALUES]
            for i, key in enumerate(HIT6_ITEM_KEYS, start=1):
                self.fields[key] = forms.TypedChoiceField(
                    choices=choices,
                    coerce=int,
                    empty_value=None,
                    widget=forms.RadioSelect,
                    label=_item_label(wording, key, str(i), staff, labels),
                    required=False,
                )
        else:
            for i, key in enumerate(MIDAS_ITEM_KEYS, start=1):
                self.fields[key] = forms.IntegerField(
                    label=_item_label(wording, key, str(i), staff, labels),
                    required=False,
                    help_text=f"Days, 0 to {MIDAS_MAX_DAYS}",
                )
            self.fields[MIDAS_ITEM_A_KEY] = forms.IntegerField(
                label=_item_label(wording, MIDAS_ITEM_A_KEY, "A", staff, labels),
                required=False,
                help_text=f"Days, 0 to {MIDAS_MAX_DAYS}; not scored",
            )
            self.fields[MIDAS_ITEM_B_KEY] = forms.IntegerField(
                label=_item_label(wording, MIDAS_ITEM_B_KEY, "B", staff, labels),
                required=False,
                help_text=f"0 to {MIDAS_MAX_PAIN}; not scored",
            )

    @property
    def item_keys(self) -> list[str]:
        return [k for k in self.fields if k != "completed_on"]

    def items(self) -> dict[str, Any]:
        """The posted item values, None when left empty (the domain names what is missing)."""
        return {k: self.cleaned_data.get(k) for k in self.item_keys}

    @property
    def item_errors(self) -> bool:
        """Whether an item is marked (the summary above the form then says so)."""
        return any(key in self.errors for key in self.item_keys)


# The scoring's refusals (`hit6_3: missing; ...`, `midas_1: ..., got 100`) as a patient reads
# them beside a question: no item codes, questions by their number, the value as typed.
_ITEM_PREFIX = re.compile(r"^(?:hit6|midas)_\w+: ")
_ITEM_NAME = re.compile(r"\b(?:hit6|midas)_(\w)\b")
_GOT = re.compile(r", got '?([^']+?)'?$")
_PAIR = re.compile(
    r"^midas_(\d) \+ midas_(\d) must not exceed (\d+) days \(.*\), got (\d+) \+ (\d+)$"
)
_ALREADY = re.compile(r"^an? (?:hit6|midas) for \d{4}-\d{2}-\d{2} is already recorded$")


def patient_words(message: str) -> str:
    """One questionnaire refusal in the patient's words."""
    text = _ITEM_PREFIX.sub("", message)
    if text.startswith("missing; the HIT-6"):
        return "Please choose an answer: the score needs all 6 questions."
    if text.startswith("missing; the MIDAS"):
        return "Please give a number of days (0 if none): the score needs questions 1 to 5."
    if _ALREADY.match(text):
        return "You have already sent this questionnaire today."
    pair = _PAIR.match(text)
    if pair:
        first, second, limit, a, b = pair.groups()
        return (
            f"Questions {first} and {second} together must not be more than {limit} days: "
            f"question {second} leaves out the days counted in question {first} "
            f"(you gave {a} + {b})."
        )
    text = _GOT.sub(lambda m: f" (you typed {m.group(1)})", text)
    return _ITEM_NAME.sub(lambda m: f"question {m.group(1).upper()}", text)


def plain_refusal(error: ValidationError) -> ValidationError:
    """A questionnaire's refusal with each message in the patient's words, on the same fields."""
    if hasattr(error, "error_dict"):
        return ValidationError(
            {
                field: [patient_words(m) for m in ValidationError(errors).messages]
                for field, errors in error.error_dict.items()
            }
        )
    return ValidationError([patient_words(m) for m in error.messages])


class ItemLabelsForm(forms.Form):
    """One plain label per questionnaire item (issue 16.5); empty removes it."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for key, name in ITEM_KEY_CHOICES:
            self.fields[key] = forms.CharField(
                label=name, required=False, max_length=80, strip=True
            )
