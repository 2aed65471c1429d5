"""What a new user should see working on day one (issue 17.8)."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

from django.utils import timezone

from cephalog.accounts.models import Clinic, User
from cephalog.demo import generate as gen
from cephalog.demo.actions import shift_sessions
from cephalog.demo.load.base import DEMO_DOMAIN
from cephalog.outcomes.actions import record_decision
from cephalog.outcomes.models import Decision
from cephalog.patients.actions import update_contact_details
from cephalog.patients.models import Patient
from cephalog.safety.actions import ReportedSymptom, report_side_effect
from cephalog.treatment.models import Session

#: The demo's patient due this week is due this many days from today; the overdue one
#: was due this many days ago (still inside the 7-day window after the due date).
DUE_IN_DAYS = 4
OVERDUE_BY_DAYS = 5
_STOPPED = 2  # the generator's stage of a patient whose treatment stopped (generate.STAGES)


def _record_stops(
    patients: list[Patient],
    stage: Any,
    last: dict[Any, dt.date],
    *,
    physician: User,
    today: dt.date,
) -> None:
    """The stop decision a clinic records, for the patients whose treatment stopped."""
    for i, patient in enumerate(patients):
        if stage[i] == _STOPPED and patient.pk in last:
            record_decision(
                patient=patient,
                by=physician,
                decision=Decision.STOP,
                reason="Demo: treatment stopped at the review after the last session.",
                decided_on=min(last[patient.pk] + dt.timedelta(days=84), today),
            )


def _report_red_flag(clinic: Clinic, flagged: Patient, today: dt.date) -> None:
    """The patient reports difficulty swallowing today (a red flag, not yet acknowledged)."""
    now = timezone.now()
    if timezone.localdate(now) != today:
        now = dt.datetime.combine(today, dt.time(12), tzinfo=zoneinfo.ZoneInfo(clinic.time_zone))
    report_side_effect(
        patient=flagged,
        symptoms=[
            ReportedSymptom("dysphagia", onset=today, severity="moderate", still_present=True)
        ],
        note="Hard to swallow since this morning.",
        now=now,
    )


def _bring_to_life(
    clinic: Clinic, cohort: gen.Cohort, *, physician: User, today: dt.date
) -> tuple[tuple[str, str], ...]:
    """Make every feature visible on day one (issue 17.8), through the apps' actions.

    - patients whose treatment stopped get the stop decision a clinic records, so the
      schedule does not show them as months overdue;
    - one patient is due for a session this week and one is overdue (their sessions
      moved by a few days), both with an email address so the reminder goes out;
    - one patient reports difficulty swallowing today: a red flag, not yet acknowledged.
    """
    patients = list(Patient.objects.filter(clinic=clinic).order_by("mrn"))
    last: dict[Any, dt.date] = {}
    for pid, date in Session.objects.filter(patient__clinic=clinic).values_list(
        "patient_id", "date"
    ):
        last[pid] = max(date, last.get(pid, date))
    stage = cohort.patients.stage
    highlights: list[tuple[str, str]] = []
    _record_stops(patients, stage, last, physician=physician, today=today)
    active = [p for i, p in enumerate(patients) if i > 0 and stage[i] != _STOPPED and p.pk in last]
    taken: set[Any] = set()

    def closest(target: dt.date) -> Patient | None:
        choices = [p for p in active if p.pk not in taken]
        if not choices:
            return None

        def due(p: Patient) -> dt.date:
            return last[p.pk] + dt.timedelta(days=84)

        chosen = min(choices, key=lambda p: (abs((due(p) - target).days), p.mrn))
        taken.add(chosen.pk)
        shift_sessions(chosen, (target - due(chosen)).days)
        update_contact_details(
            patient=chosen,
            by=physician,
            email=f"{chosen.mrn.lower()}@{DEMO_DOMAIN}",
            phone=f"+44 20 7946 0{100 + len(taken):03d}",
            address="",
            time_zone=chosen.time_zone,
            preferred_contact="email",
        )
        return chosen

    due_soon = closest(today + dt.timedelta(days=DUE_IN_DAYS))
    if due_soon is not None:
        highlights.append((due_soon.mrn, f"session due in {DUE_IN_DAYS} days"))
    overdue = closest(today - dt.timedelta(days=OVERDUE_BY_DAYS))
    if overdue is not None:
        highlights.append((overdue.mrn, f"session overdue by {OVERDUE_BY_DAYS} days"))
    # The red flag: the active patient with the most recent session reports it today.
    recent = sorted(
        (p for p in active if p.pk not in taken), key=lambda p: (last[p.pk], p.mrn), reverse=True
    )
    if recent:
        _report_red_flag(clinic, recent[0], today)
        highlights.append((recent[0].mrn, "red flag reported today, not yet acknowledged"))
    return tuple(highlights)
