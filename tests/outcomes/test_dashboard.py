"""The clinic dashboard: who is due or overdue, whose baseline is ready, whose compliance is low,
who is wearing off, who needs a review or a renewal letter; in a fixed number of queries."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cephalog.outcomes import actions
from cephalog.outcomes.dashboard import dashboard
from cephalog.scheduling.actions import set_authorisation_end
from tests.outcomes.helpers import TODAY, write_history
from tests.personas import Cast, client_for, make_patient

NOW = dt.datetime(2026, 5, 12, 10, 0, tzinfo=dt.UTC)


@pytest.fixture
def clinic(cast: Cast, time_machine: Any) -> Cast:
    time_machine.move_to(NOW, tick=False)
    write_history(cast.patient)  # two complete cycles, last session 27 Jan: overdue, wears off
    # baseline diary only, 40 days, all recorded
    write_history(cast.other_patient, sessions=(), start=TODAY - dt.timedelta(days=39))
    # one session 30 days ago; diary two days in three
    poor = make_patient(cast.clinic, "MRN-1003", "Cato", "Pemberton", None)
    write_history(poor, sessions=(TODAY - dt.timedelta(days=30),), skip_every=3)
    # one session 80 days ago: due in 4 days; authorisation ends in 3 weeks
    due = make_patient(cast.clinic, "MRN-1004", "Dora", "Fairweather", None)
    write_history(due, sessions=(TODAY - dt.timedelta(days=80),))
    set_authorisation_end(patient=due, end=TODAY + dt.timedelta(days=21), by=cast.clinic_admin)
    write_history(cast.other_clinic_patient)
    return cast


def names(rows: list[Any]) -> list[str]:
    return [r.name for r in rows]


def test_it_sorts_patients_into_the_lists(clinic: Cast) -> None:
    board = dashboard([clinic.clinic.pk], TODAY)
    assert board.patients == 4
    assert names(board.overdue) == ["Ada Quill"]
    assert "21 days overdue" in board.overdue[0].detail
    assert names(board.due) == ["Dora Fairweather"]
    assert names(board.baseline_ready) == ["Brook Tarrant"]
    assert names(board.low_compliance) == ["Cato Pemberton"]
    assert names(board.wearing_off) == ["Ada Quill"]
    assert names(board.needs_review) == ["Ada Quill"]
    assert "50% fewer headache days" in board.needs_review[0].detail
    assert names(board.renewal_due) == ["Dora Fairweather"]


def test_a_decision_clears_the_review_and_a_stop_clears_the_due_list(clinic: Cast) -> None:
    actions.record_decision(
        patient=clinic.patient, by=clinic.physician, decision="stop", reason="Episodic now."
    )
    board = dashboard([clinic.clinic.pk], TODAY)
    assert board.needs_review == []
    assert board.overdue == []
    assert board.wearing_off == []


def test_the_query_count_does_not_grow_with_the_clinic(clinic: Cast) -> None:
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            dashboard([clinic.clinic.pk], TODAY)
        return len(queries)

    before = count()
    for n in range(5):
        extra = make_patient(clinic.clinic, f"MRN-20{n}", "Extra", f"Patient{n}", None)
        write_history(extra, sessions=(TODAY - dt.timedelta(days=100 + n),))
        actions.record_decision(
            patient=extra, by=clinic.physician, decision="continue", reason="Fine."
        )
    assert count() == before
    assert before <= 7  # 6 reads and the clinics' rulesets (spec section 11)


def test_the_page_shows_the_lists(clinic: Cast) -> None:
    page = client_for(clinic, "nurse").get("/clinic/dashboard/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Dashboard: Leeds Headache Centre" in html
    for name in ("Ada Quill", "Brook Tarrant", "Cato Pemberton", "Dora Fairweather"):
        assert name in html
    assert "Cyrus" not in html  # the other clinic's patient
    assert f"/clinic/patients/{clinic.patient.pk}/outcomes/" in html
