"""The diary day form. The forms only read the posted values; the rules (ranges,
intensity required with a headache, the vocabularies) are the domain's, applied by
`actions.save_day`, whose messages are attached back to the fields here."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from typing import Any

from django import forms

from cephalog.diary.actions import FLAGS, MAX_NOTES
from cephalog.diary.models import DiaryEntry, PainLocation, Trigger
from cephalog.domain.catalogue import acute_class

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
    """Medicine rows: the ones recorded plus at least one empty, never fewer than three."""
    extra = max(MEDICINE_ROWS - len(initial), 1)
    formset_class = forms.formset_factory(
        MedicineForm, extra=extra, max_num=MAX_MEDICINES, validate_max=True
    )
    return formset_class(data, initial=list(initial) or None, prefix="med")


def initial_from_entry(entry: DiaryEntry | None) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The form's and the medicine rows' initial values from a stored entry."""
    if entry is None:
        return {}, []
    day: dict[str, Any] = {
        "headache_hours": f"{float(entry.headache_hours):g}",  # 5, not 5.0
        "peak_intensity": entry.peak_intensity,
        "aura_minutes": entry.aura_minutes,
    }
    for flag in FLAGS:
        day[flag] = getattr(entry, flag)
    day["notes"] = entry.notes
    day["pain_locations"] = list(entry.pain_locations)
    day["triggers"] = list(entry.triggers)
    medicines = [
        {
            "name": m.name,
            "drug_class": m.drug_class,
            "effective": {True: "yes", False: "no", None: "unsure"}[m.effective],
        }
        for m in entry.medications.all()
    ]
    return day, medicines


def day_payload(
    date: dt.date, form: DayForm, medicines: forms.BaseFormSet[MedicineForm]
) -> tuple[dict[str, Any], list[int]]:
    """The posted day in the case-file shape (spec section 1), for `save_day`.

    Returns the data and, for each medicine in it, the index of its form row, so
    the domain's `acute_medications[i]` messages land on the right row. Empty rows
    are skipped; a name the catalogue knows gets its class when none is chosen.
    """
    values = form.cleaned_data
    data: dict[str, Any] = {"date": date.isoformat(), "headache_hours": values["headache_hours"]}
    if values["peak_intensity"]:
        data["peak_intensity"] = values["peak_intensity"]
    for flag in FLAGS:
        data[flag] = bool(values[flag])
    data["aura_minutes"] = values["aura_minutes"] or 0
    data["notes"] = values.get("notes") or ""
    data["pain_locations"] = list(values.get("pain_locations") or [])
    data["triggers"] = list(values.get("triggers") or [])
    taken: list[dict[str, Any]] = []
    rows: list[int] = []
    for index, row in enumerate(medicines.forms):
        name = (row.cleaned_data.get("name") or "").strip()
        drug_class = row.cleaned_data.get("drug_class") or acute_class(name)
        if not name and not drug_class:
            continue
        item: dict[str, Any] = {
            "class": drug_class,
            "effective": EFFECTIVE_VALUES[row.cleaned_data.get("effective") or ""],
        }
        if name:
            item["name"] = name
        taken.append(item)
        rows.append(index)
    data["acute_medications"] = taken
    return data, rows


_PROBLEM = re.compile(
    r"^(?P<field>[a-z_]+)(?:\[(?P<index>\d+)\]\.(?P<sub>[a-z_]+))?: (?P<message>.+)$", re.S
)
_MEDICINE_FIELDS = {"name": "name", "class": "drug_class", "effective": "effective"}


# For patients, the field codes inside a domain message said in their words; the rule
# and the values stay the domain's (staff see the messages unchanged).
PLAIN_WORDS = (
    ("headache_hours > 0", "you had a headache"),
    ("headache_hours", "hours with headache"),
    ("peak_intensity", "how bad it was"),
)


_ISO_DATE = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
_FIELD_PREFIX = re.compile(r"^[a-z_]+(?:\[\d+\](?:\.[a-z_]+)?)?: ")


def _date_words(match: re.Match[str]) -> str:
    try:
        date = dt.date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return match[0]
    return f"{date:%A} {date.day} {date:%B} {date.year}"


def plain(message: str) -> str:
    """A domain message in a patient's words (issue 16.7): no field path in front, no
    field codes, dates written out."""
    message = _FIELD_PREFIX.sub("", message)
    for code, words in PLAIN_WORDS:
        message = message.replace(code, words)
    return _ISO_DATE.sub(_date_words, message)


def sentence(message: str) -> str:
    """A plain message standing on its own: a capital first letter."""
    message = plain(message)
    return message[:1].upper() + message[1:]


def attach_problems(
    problems: Sequence[str],
    form: DayForm,
    medicines: forms.BaseFormSet[MedicineForm],
    rows: Sequence[int],
    *,
    for_patient: bool = False,
) -> None:
    """Show each domain message next to the field it names (the path prefix dropped);
    messages about the day as a whole (date, locked) go above the form."""
    for problem in problems:
        match = _PROBLEM.match(problem)
        if match is None:
            form.add_error(None, sentence(problem) if for_patient else problem)
            continue
        field, index, sub, message = match.group("field", "index", "sub", "message")
        if for_patient:
            message = plain(message)
        if field == "acute_medications" and index is not None and int(index) < len(rows):
            row = medicines.forms[rows[int(index)]]
            row.add_error(_MEDICINE_FIELDS.get(sub), message)
        elif field in form.fields and index is None:
            form.add_error(field, message)
        else:
            form.add_error(None, sentence(message) if field == "date" or for_patient else problem)


def _anchor(bound: forms.BoundField) -> str:
    # A radio group has no element with the field's id; point at its first choice.
    suffix = "_0" if isinstance(bound.field.widget, forms.RadioSelect) else ""
    return f"#{bound.auto_id}{suffix}"


def error_summary(
    form: DayForm, medicines: forms.BaseFormSet[MedicineForm]
) -> list[tuple[str, str]]:
    """(anchor, "Label: message") for every error, to list above the form."""
    out: list[tuple[str, str]] = []
    out.extend(("", str(message)) for message in form.non_field_errors())
    for name, errors in form.errors.items():
        if name == "__all__":
            continue
        bound = form[name]
        label = str(bound.label).rstrip("?")
        out.extend((_anchor(bound), f"{label}: {message}") for message in errors)
    out.extend(("", str(message)) for message in medicines.non_form_errors())
    for number, row in enumerate(medicines.forms, start=1):
        for name, errors in row.errors.items():
            if name == "__all__":
                out.extend(("", f"Medicine {number}: {message}") for message in errors)
                continue
            bound = row[name]
            label = str(bound.label).rstrip("?").lower()
            out.extend(
                (_anchor(bound), f"Medicine {number}, {label}: {message}") for message in errors
            )
    return out


class ReminderForm(forms.Form):
    reminder_time = forms.TimeField(
        required=False,
        label="Remind me each evening at",
        help_text="Leave empty for no reminders.",
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )


def check_day(
    form: DayForm, data: dict[str, Any], spread: dict[dt.date, float], date: dt.date
) -> list[str]:
    """Questions about a day that looks contradictory (issue 16.3), asked before saving;
    the patient changes the entry or saves it as it is. A severity with no hours cannot
    be saved at all, so it is an error on the hours instead. A medicine on a day without
    headache is normal (and not questioned)."""
    hours = data.get("headache_hours")
    intensity = data.get("peak_intensity")
    questions: list[str] = []
    if hours is None and not spread:
        if intensity:
            form.add_error(
                "headache_hours",
                "You said how bad the headache was: how many hours did it last? "
                "Or give the times it started and ended.",
            )
        return questions
    if spread:
        own = spread.get(date, 0.0)
        if isinstance(hours, int | float) and hours < own:
            questions.append(
                f"The times you gave make {fmt_hours(own)} on this day, more than the "
                f"{fmt_hours(hours)} you wrote. We will save {fmt_hours(own)}."
            )
        return questions
    if hours == 0:
        described = [str(form.fields[name].label).lower() for name in PAIN_FLAGS if data.get(name)]
        if intensity:
            questions.append(
                "You wrote 0 hours with headache, but also how bad it was. Did you have a "
                "headache? Change the hours, or save it as a day without headache."
            )
        elif described or data.get("pain_locations"):
            questions.append(
                "You wrote 0 hours with headache, but also described the pain. Did you have "
                "a headache? Change the hours, or save it as a day without headache."
            )
    return questions


def fmt_hours(hours: float) -> str:
    """5 hours, 1 hour, 2.5 hours, 45 minutes."""
    if 0 < hours < 1:
        return f"{round(hours * 60)} minutes"
    text = f"{round(hours, 2):g}"
    return f"{text} hour" + ("" if text == "1" else "s")


def _describe(hours: float, intensity: str, medicines: int, triggers: int, note: bool) -> list[str]:
    parts = [f"headache for {fmt_hours(hours)}, {intensity} at worst" if hours else "no headache"]
    if medicines:
        parts.append(f"{medicines} medicine{'s' if medicines != 1 else ''}")
    if triggers:
        parts.append(f"{triggers} possible trigger{'s' if triggers != 1 else ''}")
    if note:
        parts.append("your note")
    return parts


def describe_entry(entry: DiaryEntry) -> str:
    """A stored day in a few words: "Headache for 8 hours, severe at worst, 1 medicine"."""
    parts = _describe(
        float(entry.headache_hours),
        entry.peak_intensity,
        len(entry.medications.all()),
        len(entry.triggers),
        bool(entry.notes),
    )
    return ", ".join(parts).capitalize()


def describe_data(data: dict[str, Any]) -> str:
    """A day as typed (the case-file shape of `day_payload`), in the same words."""
    parts = _describe(
        float(data.get("headache_hours") or 0),
        str(data.get("peak_intensity") or ""),
        len(data.get("acute_medications") or []),
        len(data.get("triggers") or []),
        bool(data.get("notes")),
    )
    return ", ".join(parts).capitalize()


def saved_summary(entry: DiaryEntry, spread: dict[dt.date, float]) -> str:
    """ "Saved" with what was saved, in words (issue 16.3)."""
    date = entry.date
    when = f"{date:%A} {date.day} {date:%B}"
    parts = _describe(
        float(entry.headache_hours),
        entry.peak_intensity,
        len(entry.medications.all()),
        len(entry.triggers),
        bool(entry.notes),
    )
    text = f"Saved {when}: " + ", ".join(parts) + "."
    later = sorted(d for d in spread if d > date)
    for other in later:
        text += (
            f" The headache went on past midnight: {fmt_hours(spread[other])} also counted "
            f"on {other:%A} {other.day} {other:%B}."
        )
    return text
