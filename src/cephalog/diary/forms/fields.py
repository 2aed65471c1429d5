"""The diary's forms: the day form (patient and staff), its medicine rows, the reminder time."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms

from cephalog.diary.actions import MAX_NOTES
from cephalog.diary.models import PainLocation, Trigger

INTENSITY_CHOICES = [
    ("mild", "Mild: I could carry on with my day"),
    ("moderate", "Moderate: it slowed me down"),
    ("severe", "Severe: I could not do my usual things"),
]

# Plain words for the spec's acute-medication classes (spec section 1 vocabulary).
CLASS_CHOICES = [
    ("", "Work it out from the name"),
    ("simple_analgesic", "Simple painkiller (paracetamol, ibuprofen, aspirin…)"),
    ("triptan", "Triptan (sumatriptan, rizatriptan…)"),
    ("ergot", "Ergot (ergotamine, DHE)"),
    ("opioid", "Opioid (codeine, tramadol…)"),
    ("combination_analgesic", "Combination painkiller (with caffeine, codeine…)"),
    ("gepant", "Gepant (rimegepant, ubrogepant, zavegepant)"),
    ("ditan", "Ditan (lasmiditan)"),
    ("other", "Something else"),
]

EFFECTIVE_CHOICES = [("yes", "Yes"), ("no", "No"), ("unsure", "Not sure")]
EFFECTIVE_VALUES: dict[str, bool | None] = {"yes": True, "no": False, "unsure": None, "": None}

FLAG_LABELS = {
    "unilateral": "On one side of my head",
    "pulsating": "Throbbing or pulsing",
    "aggravated_by_activity": "Worse when I moved about (walking, stairs)",
    "nausea": "Feeling sick (nausea)",
    "vomiting": "Being sick (vomiting)",
    "photophobia": "Light bothered me",
    "phonophobia": "Noise bothered me",
}
PAIN_FLAGS = ("unilateral", "pulsating", "aggravated_by_activity")
SYMPTOM_FLAGS = ("nausea", "vomiting", "photophobia", "phonophobia")

#: Fewest medicine rows shown without JavaScript (diary.js adds more).
MEDICINE_ROWS = 3
MAX_MEDICINES = 20


class DayForm(forms.Form):
    headache_hours = forms.FloatField(
        required=False,
        label="Hours with headache",
        help_text="Add up all the time you had a headache, in hours. 0 if none.",
        widget=forms.NumberInput(
            attrs={"min": "0", "max": "24", "step": "0.5", "inputmode": "decimal"}
        ),
    )
    peak_intensity = forms.ChoiceField(
        required=False,
        label="How bad was it at its worst?",
        choices=INTENSITY_CHOICES,
        widget=forms.RadioSelect,
    )
    unilateral = forms.BooleanField(required=False, label=FLAG_LABELS["unilateral"])
    pulsating = forms.BooleanField(required=False, label=FLAG_LABELS["pulsating"])
    aggravated_by_activity = forms.BooleanField(
        required=False, label=FLAG_LABELS["aggravated_by_activity"]
    )
    nausea = forms.BooleanField(required=False, label=FLAG_LABELS["nausea"])
    vomiting = forms.BooleanField(required=False, label=FLAG_LABELS["vomiting"])
    photophobia = forms.BooleanField(required=False, label=FLAG_LABELS["photophobia"])
    phonophobia = forms.BooleanField(required=False, label=FLAG_LABELS["phonophobia"])
    aura_minutes = forms.IntegerField(
        required=False,
        label="Aura, in minutes",
        help_text=(
            "Warning signs before or with the headache, such as flashing lights, "
            "zigzag lines or tingling. Leave empty or 0 if none."
        ),
        widget=forms.NumberInput(attrs={"min": "0", "step": "1", "inputmode": "numeric"}),
    )
    attack_start = forms.TimeField(
        required=False,
        label="It started at",
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )
    attack_end = forms.TimeField(
        required=False,
        label="It ended at",
        help_text="Past midnight? Give the time it ended: we count the hours on each day.",
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )
    pain_locations = forms.MultipleChoiceField(
        required=False,
        label="Where was the pain?",
        choices=PainLocation.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    triggers = forms.MultipleChoiceField(
        required=False,
        label="What might have set it off?",
        choices=Trigger.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    notes = forms.CharField(
        required=False,
        max_length=MAX_NOTES,
        label="Notes",
        help_text="Anything else you want to remember or tell the clinic.",
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    # The entry's version when the form was shown (0: not recorded yet); a save from an
    # older version is refused so nobody overwrites a change they have not seen.
    version = forms.IntegerField(required=False, min_value=0, widget=forms.HiddenInput)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("attack_start"), data.get("attack_end")
        if start is not None and end is None:
            self.add_error("attack_end", "Add the time it ended too, or leave both times empty.")
        if end is not None and start is None:
            self.add_error(
                "attack_start", "Add the time it started too, or leave both times empty."
            )
        if start is not None and end is not None and start == end:
            self.add_error("attack_end", "The end must be after the start.")
        return data

    def pain_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in PAIN_FLAGS]

    def symptom_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in SYMPTOM_FLAGS]


class StaffDayForm(DayForm):
    reason = forms.CharField(
        required=False,
        max_length=300,
        label="Reason for the change",
        help_text="Needed when you change an entry that already exists; kept with its history.",
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class MedicineForm(forms.Form):
    name = forms.CharField(
        required=False,
        max_length=100,
        label="Medicine",
        widget=forms.TextInput(attrs={"list": "acute-medicines", "autocomplete": "off"}),
    )
    drug_class = forms.ChoiceField(
        required=False,
        label="What kind of medicine",
        help_text="Needed when the name is not in our list.",
        choices=CLASS_CHOICES,
    )
    effective = forms.ChoiceField(
        required=False,
        label="Did it work within 2 hours?",
        choices=EFFECTIVE_CHOICES,
        widget=forms.RadioSelect,
    )


def medicine_formset(
    data: Any = None, initial: Sequence[dict[str, Any]] = ()
) -> forms.BaseFormSet[MedicineForm]:
    """Medicine rows: the ones recorded plus at least one empty, never fewer than three.
    A post claiming more rows than MAX_MEDICINES builds no more (absolute_max: Django's
    default would build and draw up to 1,020 of them) and is refused with the limit."""
    extra = max(MEDICINE_ROWS - len(initial), 1)
    formset_class = forms.formset_factory(
        MedicineForm,
        extra=extra,
        max_num=MAX_MEDICINES,
        absolute_max=MAX_MEDICINES,
        validate_max=True,
    )
    return formset_class(data, initial=list(initial) or None, prefix="med")


class ReminderForm(forms.Form):
    reminder_time = forms.TimeField(
        required=False,
        label="Remind me each evening at",
        help_text="Leave empty for no reminders.",
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )
