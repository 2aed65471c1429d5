"""Questions about a day that looks contradictory, and plain summaries of a saved day."""

from __future__ import annotations

import datetime as dt
from typing import Any

from cephalog.diary.forms.fields import PAIN_FLAGS, DayForm
from cephalog.diary.models import DiaryEntry


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


def _entry_parts(entry: DiaryEntry) -> list[str]:
    return _describe(
        float(entry.headache_hours),
        entry.peak_intensity,
        len(entry.medications.all()),
        len(entry.triggers),
        bool(entry.notes),
    )


def describe_entry(entry: DiaryEntry) -> str:
    """A stored day in a few words: "Headache for 8 hours, severe at worst, 1 medicine"."""
    return ", ".join(_entry_parts(entry)).capitalize()


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
    text = f"Saved {when}: " + ", ".join(_entry_parts(entry)) + "."
    later = sorted(d for d in spread if d > date)
    for other in later:
        text += (
            f" The headache went on past midnight: {fmt_hours(spread[other])} also counted "
            f"on {other:%A} {other.day} {other:%B}."
        )
    return text
