"""The patient's side-effect form shows plain words only: a refusal of the report action
(`"neck_pain: onset: ..."`, the API's stable words) is shown as the form's own sentence beside
the symptom's question, never as a code or a field path."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.exceptions import ValidationError
from django.template.loader import render_to_string
from django.utils import timezone

from cephalog.core.time import patient_today
from cephalog.safety import actions
from cephalog.safety.forms import SymptomReportForm
from cephalog.safety.models import CheckIn
from tests.personas import Cast
from tests.safety.conftest import form_data

CODE = re.compile(r"\b[a-z]+_[a-z_]+\b|: [a-z]")


def _errors(html: str) -> list[str]:
    return [
        re.sub(r"\s+", " ", text).strip()
        for text in re.findall(r'class="error[^"]*"[^>]*>(.*?)</(?:p|span)>', html, re.S)
    ]


def _refused(cast: Cast, data: dict[str, str], today: dt.date, now: dt.datetime) -> str:
    form = SymptomReportForm(data, today=today)
    assert form.is_valid(), form.errors
    with pytest.raises(ValidationError) as caught:
        actions.report_side_effect(patient=cast.patient, symptoms=form.reported(), now=now)
    assert any(m.startswith("neck_pain: ") for m in caught.value.messages)  # the action's words
    form.show_refusal(caught.value)
    return render_to_string("safety/_symptom_form.html", {"form": form})


def test_a_refused_onset_is_shown_in_plain_words_beside_the_question(cast: Cast) -> None:
    today = patient_today(cast.patient)
    # The form judged the report on `today`; the action a day earlier (the clock read twice
    # over midnight, before the view read it once): the onset is then in the future.
    html = _refused(
        cast, form_data("neck_pain", today=today), today, timezone.now() - dt.timedelta(days=1)
    )
    errors = _errors(html)
    assert "Give the day it started (today, or a day in the last year)." in errors
    assert "Please check the answers marked below." in errors
    for text in errors:
        assert not CODE.search(text), text
    assert "neck_pain: onset" not in html
    assert not CheckIn.objects.exists()


def test_a_refused_end_date_is_shown_beside_its_question(cast: Cast) -> None:
    today = patient_today(cast.patient)
    data = form_data("neck_pain", today=today, status="gone")
    data["onset_neck_pain"] = (today - dt.timedelta(days=2)).isoformat()
    data["resolved_neck_pain"] = today.isoformat()
    html = _refused(cast, data, today, timezone.now() - dt.timedelta(days=1))
    errors = _errors(html)
    assert "Give a date between when it started and today." in errors
    for text in errors:
        assert not CODE.search(text), text
