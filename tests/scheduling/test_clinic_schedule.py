"""The clinic schedule (issue 17.1): every patient due, overdue or booked, from the stored plan."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from cephalog.accounts.models import User
from cephalog.demo.load import load_demo
from cephalog.outcomes.models import ContinuationDecision
from cephalog.patients.models import Patient
from cephalog.scheduling import actions
from cephalog.scheduling.models import Appointment
from cephalog.treatment.models import Session
from tests.personas import Cast, client_for, login_client
from tests.scheduling.conftest import at, give_session

TODAY = dt.date(2026, 6, 30)
#: 12 weeks (clinical-reference §2.2; label: "no more frequently than every 12 weeks").
TWELVE_WEEKS = dt.timedelta(days=84)


def _rows(html: str, heading_id: str) -> str:
    start = html.index(f'id="{heading_id}"')
    end = html.find("</section>", start)
    return html[start:end]


@pytest.mark.django_db
def test_every_demo_patients_next_due_date_appears() -> None:
    load_demo(n_patients=12, seed=1, today=TODAY)
    # The demo wrote sessions in bulk: the schedule itself must bring the plans up to date.
    assert actions.stale_plans(Patient.objects.values_list("clinic_id", flat=True)).exists()
    with time_machine.travel(at(TODAY.year, TODAY.month, TODAY.day), tick=False):
        client = login_client(Client(), User.objects.get(username="nurse"))
        html = client.get(reverse("clinic-schedule"), {"weeks": 12}).content.decode()
    overdue, window = _rows(html, "overdue-heading"), _rows(html, "window-heading")
    checked = 0
    for patient in Patient.objects.filter(clinic__slug="demo"):
        given = sorted(
            Session.objects.filter(patient=patient, status="completed").values_list(
                "date", flat=True
            )
        )
        # Computed here from the session record alone: last session + 12 weeks, unless a
        # physician recorded the decision to stop after it.
        stopped = ContinuationDecision.objects.filter(
            patient=patient, decision="stop", decided_on__gte=given[-1] if given else TODAY
        ).exists()
        if stopped:
            assert patient.mrn not in _rows(html, "overdue-heading")
            checked += 1
            continue
        due = given[-1] + TWELVE_WEEKS if given else None
        where = overdue if due is not None and due < TODAY else window
        rows = [
            r
            for r in re.findall(r"<tr[^>]*>(?:(?!</tr>).)*</tr>", where, re.S)
            if patient.mrn in r and "Session" in r
        ]
        assert rows, f"{patient.mrn} (next due {due}) is missing from the schedule"
        if due is not None:
            last = given[-1]
            assert any(
                f"{due:%a} {due.day} {due:%b}" in r and f"{last.day} {last:%b %Y}" in r
                for r in rows
            ), (patient.mrn, due, rows)
        checked += 1
    assert checked == 12
    assert "overdue" in overdue


def test_an_overdue_session_is_grouped_with_the_last_session_date(cast: Cast) -> None:
    give_session(cast.patient, dt.date(2026, 2, 9))
    actions.sync_plan(patient=cast.patient, today=dt.date(2026, 2, 9))
    # Due 4 May 2026; on 20 May it is 16 days overdue and past the 7-day window.
    with time_machine.travel(at(2026, 5, 20), tick=False):
        html = client_for(cast, "physician").get(reverse("clinic-schedule")).content.decode()
    overdue = _rows(html, "overdue-heading")
    assert "Quill, Ada" in overdue
    assert "Mon 4 May" in overdue
    assert "16 days overdue, past the window" in overdue
    assert "9 Feb 2026" in overdue
    assert "Quill" not in _rows(html, "window-heading")


def test_a_booked_session_shows_its_time_in_the_chosen_window(cast: Cast) -> None:
    give_session(cast.patient, dt.date(2026, 2, 9))
    actions.sync_plan(patient=cast.patient, today=dt.date(2026, 2, 9))
    appt = Appointment.objects.get(patient=cast.patient, plan_key="session:2")
    actions.reschedule(
        appointment=appt,
        new_date=dt.date(2026, 5, 5),
        new_time=dt.time(10, 30),
        by=cast.nurse,
        reason="Booked by phone",
        today=dt.date(2026, 4, 1),
    )
    with time_machine.travel(at(2026, 4, 1), tick=False):
        client = client_for(cast, "clinic_admin")
        two = _rows(
            client.get(reverse("clinic-schedule"), {"weeks": 2}).content.decode(), "window-heading"
        )
        eight = _rows(
            client.get(reverse("clinic-schedule"), {"weeks": 8}).content.decode(), "window-heading"
        )
        bad = client.get(reverse("clinic-schedule"), {"weeks": "9999"})
    assert "Quill" not in two
    assert "Quill, Ada" in eight
    assert "10:30" in eight
    assert "booked" in eight
    assert bad.status_code == 200  # an unknown window falls back to 8 weeks


def test_sessions_recorded_in_bulk_bring_the_calendar_up_to_date(cast: Cast) -> None:
    actions.sync_plan(patient=cast.patient, today=dt.date(2026, 1, 6))
    # Written without the treatment actions (an import): the calendar is behind.
    give_session(cast.patient, dt.date(2026, 2, 9))
    assert cast.patient in actions.stale_plans([cast.clinic.pk])
    with time_machine.travel(at(2026, 4, 20), tick=False):
        html = client_for(cast, "nurse").get(reverse("clinic-schedule")).content.decode()
    assert "Mon 4 May" in _rows(html, "window-heading")
    assert cast.patient not in actions.stale_plans([cast.clinic.pk])


@pytest.mark.parametrize("who", ["other_physician"])
def test_another_clinics_overdue_patients_are_not_shown(cast: Cast, who: str) -> None:
    give_session(cast.patient, dt.date(2026, 2, 9))
    with time_machine.travel(at(2026, 5, 20), tick=False):
        html = client_for(cast, who).get(reverse("clinic-schedule")).content.decode()
    assert "Quill" not in html
