"""Adverse-event rates per session against the label's chronic-migraine trial rates."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from django.urls import reverse

from cephalog.safety import actions, reports
from cephalog.treatment.models import Session
from tests.personas import Cast, client_for


def _event(cast: Cast, session: Session, symptom: str, days: int = 1) -> None:
    actions.record_adverse_event(
        patient=cast.patient,
        user=cast.physician,
        symptom=symptom,
        onset=session.date + dt.timedelta(days=days),
        severity="mild",
        session=session,
    )


def test_rates_are_per_session(cast: Cast, make_session: Callable[..., Session]) -> None:
    sessions = [make_session(cast.patient, d) for d in (300, 216, 132, 48)]
    _event(cast, sessions[0], "neck_pain", 1)
    _event(cast, sessions[0], "neck_pain", 3)  # the same session counts once
    _event(cast, sessions[1], "eyelid_ptosis")
    make_session(cast.other_clinic_patient, 10)  # another clinic: not counted
    report = reports.clinic_rates([cast.clinic.pk])
    assert report.sessions == 4
    rows = {r.key: r for r in report.rows}
    assert rows["neck_pain"].events == 1
    assert rows["neck_pain"].percent == pytest.approx(25.0)
    assert (rows["neck_pain"].label_botox, rows["neck_pain"].label_placebo) == (9.0, 3.0)
    assert rows["eyelid_ptosis"].label_botox == 4.0
    assert rows["eyelid_ptosis"].label_placebo is None
    assert rows["neck_pain"].compel == 4.1
    assert report.any_event.events == 2
    assert report.any_event.percent == pytest.approx(50.0)
    # A period narrows the sessions, and the events with them.
    recent = reports.clinic_rates([cast.clinic.pk], start=sessions[2].date, end=sessions[3].date)
    assert recent.sessions == 2
    assert {r.key: r for r in recent.rows}["neck_pain"].events == 0


def test_wilson_interval() -> None:
    low, high = reports.wilson(1, 4) or (0, 0)
    assert low == pytest.approx(4.56, abs=0.01)
    assert high == pytest.approx(69.94, abs=0.01)
    assert reports.wilson(0, 0) is None


def test_the_page_draws_the_chart_and_lists_a_red_flag(
    cast: Cast, make_session: Callable[..., Session]
) -> None:
    session = make_session(cast.patient, 3)
    _event(cast, session, "double_vision")
    body = client_for(cast, "clinic_admin").get(reverse("safety-rates")).content.decode()
    assert "<svg" in body
    assert 'role="img"' in body
    assert 'class="bar clinic"' in body
    assert 'class="bar label_botox"' in body
    assert "Diplopia" in body  # a recorded symptom without a trial rate still has its row
    assert "9.0 %" in body
    assert "3.0 %" in body
