"""Diary errors, the day's shape (flags, details) and the checks every write makes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from cephalog.core.errors import AppError
from cephalog.diary.models import AcuteMedicationTaken, DiaryEntry, PainLocation, Trigger
from cephalog.domain.case import parse_diary_entry
from cephalog.domain.diary import DAY_FEATURES, DiaryDay
from cephalog.patients.models import Patient


class DiaryError(AppError):
    """Bad diary input: `problems` holds one message per problem, each naming the field."""


class DiaryConflict(DiaryError):
    """The day changed since the editor read it (optimistic locking on `version`).

    `current` is the entry as it is now (None when it has been removed), so the
    editor sees the other person's change instead of silently overwriting it.
    """

    def __init__(self, *, expected: int, current: DiaryEntry | None) -> None:
        now = current.version if current is not None else 0
        if current is None:
            problem = (
                "version: this day was removed by someone else while you were editing it; "
                "save again to record it anew"
            )
        else:
            problem = (
                f"version: this day was changed by someone else while you were editing it "
                f"(you started from version {expected}, it is now version {now}); "
                "check their change and save again"
            )
        super().__init__([problem])
        self.expected = expected
        self.current = current


def is_staff_editor(patient: Patient, user: Any) -> bool:
    return user is not None and getattr(user, "pk", None) != patient.user_id


def entry_to_dict(entry: DiaryEntry) -> dict[str, Any]:
    """The entry in the case-file shape (spec section 1): raw facts only."""
    data: dict[str, Any] = {
        "date": entry.date.isoformat(),
        "headache_hours": float(entry.headache_hours),
    }
    if entry.peak_intensity:
        data["peak_intensity"] = entry.peak_intensity
    for flag in FLAGS:
        data[flag] = getattr(entry, flag)
    data["aura_minutes"] = entry.aura_minutes
    data["acute_medications"] = [
        {"name": m.name, "class": m.drug_class, "effective": m.effective}
        for m in entry.medications.all()
    ]
    for key in DETAILS:
        if getattr(entry, key):
            data[key] = getattr(entry, key)
    return data


FLAGS = DAY_FEATURES
#: What a day holds besides the domain's facts (issue 16.3): kept by the form, the API
#: and the revisions; not used by the day rules.
DETAILS = ("notes", "pain_locations", "triggers")
MAX_NOTES = DiaryEntry._meta.get_field("notes").max_length or 2000
_CHOICES = {"pain_locations": PainLocation, "triggers": Trigger}


def read_details(data: Mapping[str, Any]) -> dict[str, Any]:
    """The day's note, pain locations and triggers from `data` (only the keys given;
    null is "not given"), checked: `field: message` problems raise DiaryError."""
    details: dict[str, Any] = {}
    problems: list[str] = []
    notes = data.get("notes")
    if notes is not None:
        if not isinstance(notes, str):
            problems.append("notes: must be text")
        elif len(notes.strip()) > MAX_NOTES:
            problems.append(f"notes: at most {MAX_NOTES} characters")
        else:
            details["notes"] = notes.strip()
    for key, choices in _CHOICES.items():
        value = data.get(key)
        if value is None:
            continue
        if not isinstance(value, list):
            problems.append(f"{key}: must be a list")
            continue
        bad = [
            f"{key}[{i}]: must be one of {', '.join(choices.values)}; got {v!r}"
            for i, v in enumerate(value)
            if v not in choices.values
        ]
        problems.extend(bad)
        if not bad:
            details[key] = [code for code in choices.values if code in value]
    if problems:
        raise DiaryError(problems)
    return details


#: Storage bounds the domain does not know: the medicine name column, and a ceiling on
#: medicine rows per day (the form shows at most 20) so one request cannot add thousands.
MAX_MEDICINE_NAME = AcuteMedicationTaken._meta.get_field("name").max_length or 100
MAX_MEDICINES_PER_DAY = 20


def validate_day(data: Mapping[str, Any]) -> DiaryDay:
    day, problems = parse_diary_entry(dict(data), "")
    if problems or day is None:
        raise DiaryError(problems or ["entry: could not be read"])
    if len(day.acute_medications) > MAX_MEDICINES_PER_DAY:
        raise DiaryError([f"acute_medications: at most {MAX_MEDICINES_PER_DAY} medicines in a day"])
    too_long = [
        f"acute_medications[{i}].name: at most {MAX_MEDICINE_NAME} characters"
        for i, m in enumerate(day.acute_medications)
        if len(m.name or "") > MAX_MEDICINE_NAME
    ]
    if too_long:
        raise DiaryError(too_long)
    return day


def check_date_allowed(
    *, patient: Patient, date: dt.date, by: Any, today: dt.date, reason: str, existing: bool
) -> None:
    """Patients may fill today and the clinic's backfill window; older days are locked for
    them. Staff may edit any past day, with a reason when changing an existing entry."""
    if date > today:
        raise DiaryError([f"date: {date.isoformat()} is in the future"])
    if is_staff_editor(patient, by):
        if existing and not reason.strip():
            raise DiaryError(["reason: say why you are changing the patient's entry"])
        return
    oldest = today - dt.timedelta(days=patient.clinic.backfill_days)
    if date < oldest:
        raise DiaryError(
            [
                f"date: days before {oldest.isoformat()} are locked; "
                "please ask your clinic to correct older days"
            ]
        )
