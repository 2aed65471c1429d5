"""Between a diary entry and the day form: the form's initial values, and the posted values as the day `actions.save_day` reads."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms

from cephalog.diary.actions import FLAGS
from cephalog.diary.forms.fields import EFFECTIVE_VALUES, DayForm, MedicineForm
from cephalog.diary.models import DiaryEntry
from cephalog.domain.catalogue import acute_class


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
