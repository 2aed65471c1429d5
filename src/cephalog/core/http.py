"""The one place an `AppError` becomes what a user sees (issue 20.1).

- a form: each problem beside its field, the rest at the top of the form;
- the JSON API: `{"errors": ["field: words", ...]}` with the error's status (422),
  registered on the API in `cephalog.api`;
- a page without a form: one message with the words.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest

from cephalog.core.errors import AppError


def add_to_form(
    form: forms.BaseForm, error: AppError, fields: dict[str, str] | None = None
) -> None:
    """Show each problem beside its field; `fields` maps an action's field names to the
    form's where they differ. Problems about no field of the form go to the top."""
    fields = fields or {}
    for field, texts in error.by_field.items():
        name = fields.get(field, field)
        for text in texts:
            form.add_error(name if name in form.fields else None, text)


def add_validation_to_form(form: forms.BaseForm, error: ValidationError) -> None:
    """A model's `ValidationError` on a form: each error beside its field, the rest (and a
    refusal about no field of the form) at the top."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            for e in errors:
                form.add_error(field if field in form.fields else None, e)
    else:
        form.add_error(None, error)


def api_body(error: AppError) -> dict[str, Any]:
    """The API's 422 body: stable strings, each naming its field."""
    return {"errors": error.problems}


def add_message(request: HttpRequest, error: AppError) -> None:
    """One error message with the words, for a page without a form."""
    messages.error(request, " ".join(error.messages))


def add_messages(request: HttpRequest, error: ValidationError) -> None:
    """Each of a refusal's messages as its own error message, for a page without a form."""
    for text in error.messages:
        messages.error(request, text)
