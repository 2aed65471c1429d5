"""Small display helpers for the diary templates."""

from __future__ import annotations

from typing import Any

from django import template

from cephalog.diary.summaries import DAY_CLASSES
from cephalog.domain.diary import DiaryDay

register = template.Library()

INTENSITY_WORDS = {"mild": "mild", "moderate": "moderate", "severe": "severe"}
CLASS_WORDS = {
    "simple_analgesic": "simple painkiller",
    "triptan": "triptan",
    "ergot": "ergot",
    "opioid": "opioid",
    "combination_analgesic": "combination painkiller",
    "gepant": "gepant",
    "ditan": "ditan",
    "other": "other",
}


@register.filter
def hours(value: Any) -> str:
    """5.0 → "5", 5.5 → "5.5", 0.25 → "0.25"."""
    try:
        return f"{float(value):g}"
    except (TypeError, ValueError):
        return ""


@register.filter
def drug_class(code: str) -> str:
    return CLASS_WORDS.get(code, code)


@register.filter
def effect(value: bool | None) -> str:
    if value is None:
        return "not sure if it worked"
    return "worked within 2 hours" if value else "did not work within 2 hours"


@register.filter
def met(value: bool | None) -> str:
    if value is None:
        return "Cannot tell"
    return "Yes" if value else "No"


PAIN_WORDS = (
    ("unilateral", "one side of the head"),
    ("pulsating", "throbbing"),
    ("aggravated_by_activity", "worse when moving about"),
)
SYMPTOM_WORDS = (
    ("nausea", "nausea"),
    ("vomiting", "vomiting"),
    ("photophobia", "light bothered me"),
    ("phonophobia", "noise bothered me"),
)


@register.filter
def pain_words(day: DiaryDay) -> str:
    return ", ".join(words for flag, words in PAIN_WORDS if getattr(day, flag))


@register.filter
def symptom_words(day: DiaryDay) -> str:
    return ", ".join(words for flag, words in SYMPTOM_WORDS if getattr(day, flag))


@register.filter
def kind_symbol(code: str) -> str:
    return DAY_CLASSES[code].symbol


@register.filter
def kind_label(code: str) -> str:
    return DAY_CLASSES[code].label
