"""Helpers for the calendar tests: given sessions, frozen clocks, sweeps that deliver."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Callable
from typing import Any

import pytest
import time_machine

from cephalog.patients.models import Patient
from cephalog.scheduling import reminders
from cephalog.treatment.models import Session
from tests.personas import Cast

#: The day the cast's patients were added (their consultation until one is recorded).
ADDED = dt.date(2026, 1, 5)


def give_session(patient: Patient, day: dt.date) -> Session:
    """A completed session, as the treatment app leaves one (site records are its business)."""
    return Session.objects.create(
        patient=patient, date=day, status="completed", total_units=155, sites_injected=31
    )


def at(y: int, m: int, d: int, hh: int = 12, mm: int = 0, tz: str = "Europe/London") -> dt.datetime:
    return dt.datetime(y, m, d, hh, mm, tzinfo=zoneinfo.ZoneInfo(tz))


@pytest.fixture
def cast(cast: Cast) -> Cast:
    """The personas, with patients added on a fixed day so plans have fixed dates."""
    added = at(ADDED.year, ADDED.month, ADDED.day, 10)
    Patient.objects.all().update(created_at=added)
    for patient in (cast.patient, cast.other_patient, cast.other_clinic_patient):
        patient.refresh_from_db()
    return cast


SweepFn = Callable[[dt.datetime], reminders.SweepResult]


@pytest.fixture
def sweep(django_capture_on_commit_callbacks: Any) -> SweepFn:
    """Run the sweep at `now` with the clock frozen there; the tasks it enqueues run on
    commit (ImmediateBackend in tests), as the worker would run them."""

    def _sweep(now: dt.datetime) -> reminders.SweepResult:
        with (
            time_machine.travel(now, tick=False),
            django_capture_on_commit_callbacks(execute=True),
        ):
            return reminders.send_due_reminders(now)

    return _sweep
