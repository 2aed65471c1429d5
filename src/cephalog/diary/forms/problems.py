"""The domain's messages attached back to the form's fields, in the patient's words, and the error summary."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence

from django import forms

from cephalog.diary.forms.fields import DayForm, MedicineForm

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


#: The domain's echo of a number it refused (", got 30.0"): the value as it parsed it.
_GOT_NUMBER = re.compile(r"[,;] got -?[\d.]+(?:e[+-]?\d+)?$")


def _as_typed(message: str, typed: object) -> str:
    """For a patient: the domain's ", got 30.0" becomes the number as she typed it
    ("(you typed 30)"), or nothing when there is no typed text to show."""
    match = _GOT_NUMBER.search(message)
    if match is None:
        return message
    message = message[: match.start()]
    typed = str(typed or "").strip()
    return f"{message} (you typed {typed})" if typed else message


def _typed(form: forms.BaseForm, field: str | None) -> object:
    return form.data.get(form.add_prefix(field)) if field else None


def _medicine_message(row: forms.BaseForm, name: str | None, message: str) -> str:
    """A medicine row's message for a patient. A kind left to be "worked out from the name"
    is only missing when the name is not in the catalogue: say so, not "required"."""
    if name == "drug_class" and message == "required":
        typed = str(_typed(row, "name") or "").strip()
        return f"please choose one, as we do not know the name “{typed}”"
    return _as_typed(message, _typed(row, name))


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
            name = _MEDICINE_FIELDS.get(sub)
            row.add_error(name, _medicine_message(row, name, message) if for_patient else message)
        elif field in form.fields and index is None:
            form.add_error(
                field, _as_typed(message, _typed(form, field)) if for_patient else message
            )
        else:
            if for_patient:
                message = _as_typed(message, None)
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
