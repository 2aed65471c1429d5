"""`field_group`: a form field's label, widget, help and errors, rendered once per value.

Django renders each field through five or six small templates (field, label,
widget, attributes, options), about half a millisecond a field; the open
session page shows eleven. A form whose fields, choices and words are the same
for every request names the fields that may be kept in `kept_fields`: unbound,
such a field renders the same HTML whenever it shows the same value, so that
HTML is kept (per process, bounded) and reused. Fields that may show patient
data (a session's notes) are not named, and a bound form (the user's input and
its errors) is always rendered afresh.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.forms import BoundField
from django.utils.safestring import SafeString

register = template.Library()

#: Rendered fields kept per process; emptied when full (a value such as a time changes).
MAX_KEPT = 256
_kept: dict[tuple[Any, ...], SafeString] = {}


@register.filter
def field_group(field: BoundField) -> SafeString:
    """`field.as_field_group()`, reused for the `kept_fields` of unbound forms."""
    form = field.form
    if form.is_bound or field.name not in getattr(form, "kept_fields", ()):
        return field.as_field_group()
    key = (type(form), form.prefix, form.auto_id, field.name, repr(field.value()))
    html = _kept.get(key)
    if html is None:
        if len(_kept) >= MAX_KEPT:
            _kept.clear()
        html = _kept[key] = field.as_field_group()
    return html
