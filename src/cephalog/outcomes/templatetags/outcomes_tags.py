"""Number formatting for the outcome pages: one decimal as the domain rounds, dashes for null."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import template

register = template.Library()

DASH = "–"


def _missing(value: Any) -> bool:
    # None, or "" for a variable the template could not resolve (no cycle yet)
    return value is None or value == ""


@register.filter
def num(value: Any) -> str:
    """21.9 → "21.9", 20.0 → "20", None → "–" (values are already rounded by the domain)."""
    if _missing(value):
        return DASH
    if isinstance(value, float):
        return f"{value:.1f}".removesuffix(".0")
    return str(value)


@register.filter
def signed(value: Any) -> str:
    """A change with its sign: -8.4 → "−8.4", 2 → "+2", None → "–"."""
    if _missing(value):
        return DASH
    text = num(abs(value))
    if value > 0:
        return f"+{text}"
    if value < 0:
        return f"−{text}"
    return text


@register.filter
def pct(value: Any) -> str:
    """A percentage with one decimal: 45.0261 → "45.0%", None → "–"."""
    if _missing(value):
        return DASH
    return f"{float(value):.1f}%"


@register.filter
def mean1(value: Any) -> str:
    """An unrounded mean to one decimal, None → "–"."""
    if _missing(value):
        return DASH
    return f"{float(value):.1f}"


@register.filter
def flag(value: Any) -> str:
    """True → "Yes", False → "No", None → "–" (not assessable)."""
    if _missing(value):
        return DASH
    return "Yes" if value else "No"


@register.filter
def week(values: Any, index: int) -> str:
    """The value of week `index` (1-based) of a weekly list, one decimal, "–" when absent."""
    try:
        value = values[int(index) - 1]
    except (IndexError, TypeError, ValueError):
        return DASH
    return DASH if value is None else f"{value:.1f}"


@register.filter
def get(mapping: Any, key: Any) -> Any:
    try:
        return mapping[key]
    except (KeyError, IndexError, TypeError):
        return None


@register.filter
def isodate(value: Any) -> Any:
    """ "2026-05-24" (a date in the assessment's JSON) → a date, for `|date`; anything else
    as it is."""
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return value
    return value


@register.filter
def sentence(value: Any) -> str:
    """A domain detail ("no complete cycle yet") as a sentence: "No complete cycle yet."."""
    text = str(value or "").strip()
    if not text:
        return ""
    text = text[:1].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."


@register.filter
def band_words(response: Any) -> str:
    """A questionnaire response's band or grade as staff read it ("Severe impact",
    "Grade IV: severe disability"), not its stored key ("severe_impact")."""
    from cephalog.outcomes.queries import band_label

    return band_label(response.instrument, response.band) if response.band else DASH
