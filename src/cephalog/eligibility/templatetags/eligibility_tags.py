"""Display helpers for the eligibility pages."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.safestring import SafeString, mark_safe

from cephalog.domain.policies import policy_label as _policy_label

register = template.Library()

STATUS_WORDS = {
    "eligible": "Eligible",
    "needs_review": "Needs review",
    "not_eligible": "Not eligible",
}


@register.filter
def trial_length(days: int | None) -> str:
    """A trial's length as clinicians say it: days under 2 weeks, weeks under 13, then months.

    Months are calendar-average (30.44 days), to one decimal: 106 days → "3.5 months".
    """
    if days is None:
        return "unknown"
    if days < 14:
        return f"{days} day{'s' if days != 1 else ''}"
    if days < 91:
        return f"{days // 7} weeks"
    months = round(days / 30.4375, 1)
    return f"{months:g} months"


@register.filter
def status_word(status: str) -> str:
    return STATUS_WORDS.get(status, status)


@register.filter
def met_word(value: bool | None) -> str:
    if value is None:
        return "Unknown"
    return "Met" if value else "Not met"


@register.filter
def met_class(value: bool | None) -> str:
    if value is None:
        return "unknown"
    return "met" if value else "not-met"


@register.filter
def rate(value: Any) -> str:
    """A per-28 value with one decimal; "–" when the window is not evaluable."""
    if value is None:
        return "–"
    return f"{float(value):.1f}"


@register.filter
def code_words(code: str) -> str:
    return code.replace("_", " ")


@register.filter
def css_string(value: Any) -> SafeString:
    """`value` escaped for a double-quoted CSS string in a <style> block (the PDF's running
    footer): quotes and backslashes escaped, and <, >, & and control characters written as
    CSS hex escapes, so no value can close the string or the style element."""
    out = []
    for ch in str(value):
        if ch in '\\"':
            out.append("\\" + ch)
        elif ch in "<>&" or ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\{ord(ch):X} ")
        else:
            out.append(ch)
    return mark_safe("".join(out))  # escaped above for this context


@register.filter
def policy_label(name: str, options: Any = None) -> str:
    """A policy's short name for a stored key: "US label", "NICE TA260" ..., a clinic's own
    policy's title when `options` (the page's `policy_options`) lists it, else the key."""
    titles = {o.name: o.title for o in options or ()}
    return _policy_label(name, titles.get(name, ""))
