"""The one application error (issue 20.1): problems named by field, the same words
for the API, forms and commands."""

from __future__ import annotations

import pytest
from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError

from cephalog.core import http
from cephalog.core.errors import AppError, split_problem
from cephalog.diary.actions import DiaryError
from cephalog.eligibility.actions import EligibilityError


@pytest.mark.parametrize(
    ("problem", "expected"),
    [
        (
            "headache_hours: must be between 0 and 24, got 30",
            ("headache_hours", "must be between 0 and 24, got 30"),
        ),
        ("diary[12].peak_intensity: required", ("diary[12].peak_intensity", "required")),
        ("Only a physician may sign: ask one", ("", "Only a physician may sign: ask one")),
        ("no field here", ("", "no field here")),
    ],
)
def test_it_splits_a_problem_into_field_and_words(problem: str, expected: tuple[str, str]) -> None:
    assert split_problem(problem) == expected


def test_it_keeps_the_problems_word_for_word() -> None:
    given = ["date: must be YYYY-MM-DD, got '3/4'", "The day is locked.", "x.y[0]:  two spaces"]
    error = AppError(given)
    assert error.problems == given
    assert str(error) == "; ".join(given)
    assert error.by_field == {
        "date": ["must be YYYY-MM-DD, got '3/4'"],
        "": ["The day is locked."],
        "x.y[0]": [" two spaces"],
    }
    assert error.messages == ["must be YYYY-MM-DD, got '3/4'", "The day is locked.", " two spaces"]


def test_it_takes_fields_and_words_apart() -> None:
    error = AppError([("vial", "This lot expired on 9 Mar 2026."), ("", "Sign below.")])
    assert error.problems == ["vial: This lot expired on 9 Mar 2026.", "Sign below."]
    assert AppError("one problem").problems == ["one problem"]


def test_it_reads_a_model_validation_error_field_by_field() -> None:
    error = AppError.from_validation(
        ValidationError(
            {"email": ["Enter a valid email address."], NON_FIELD_ERRORS: ["Both at once."]}
        )
    )
    assert error.by_field == {"email": ["Enter a valid email address."], "": ["Both at once."]}
    assert AppError.from_validation(ValidationError("Plain.")).problems == ["Plain."]


def test_the_apps_errors_are_the_one_error() -> None:
    assert issubclass(DiaryError, AppError)
    assert issubclass(EligibilityError, AppError)
    assert DiaryError(["headache_hours: required"]).by_field == {"headache_hours": ["required"]}


class _Form(forms.Form):
    email = forms.CharField(required=False)
    phone = forms.CharField(required=False)


def test_a_form_shows_each_problem_beside_its_field() -> None:
    form = _Form(data={})
    assert form.is_valid()
    http.add_to_form(
        form,
        AppError(["email: Enter a valid email address.", "telephone: Too short.", "Try again."]),
        fields={"telephone": "phone"},
    )
    assert form.errors["email"] == ["Enter a valid email address."]
    assert form.errors["phone"] == ["Too short."]
    assert form.non_field_errors() == ["Try again."]


def test_the_api_body_names_the_fields() -> None:
    assert http.api_body(AppError([("date", "required")])) == {"errors": ["date: required"]}
