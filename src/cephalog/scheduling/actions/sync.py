"""The domain's treatment plan stored as appointments, idempotently."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet

from cephalog.audit.actions import record
from cephalog.core.time import patient_today
from cephalog.domain.schedule import PlannedEvent
from cephalog.patients.models import Patient
from cephalog.scheduling.actions.plan import (
    SyncResult,
    _log,
    _plan_for,
    completed_session_dates,
    plan_key,
)
from cephalog.scheduling.models import (
    Appointment,
    AppointmentKind,
    AppointmentStatus,
    ChangeKind,
)
from cephalog.treatment.models import Session, SessionStatus


@transaction.atomic
def sync_plan(*, patient: Patient, today: dt.date | None = None) -> SyncResult:
    """Store the domain's treatment plan as appointments, idempotently.

    - a plan event without a row creates one (a given session is `done`);
    - a planned row the plan has moved moves with it (SEQUENCE + 1, history row),
      unless a person chose its date (`pinned`). A planned date in the past
      moves too: it did not happen, so it is a plan, not history (a session
      given later than planned moves its check-ins, even the first one);
    - a given session marks its row done on the date it was given;
    - a planned future row the plan no longer has is cancelled (a past one stays);
    - done and cancelled rows are history and stay as they are.
    Titles follow the plan silently (they do not change the date).
    """
    # One sync per patient at a time: the page, the feed and the command may race.
    patient = Patient.objects.select_for_update().select_related("clinic").get(pk=patient.pk)
    today = today or patient_today(patient)
    existing = {a.plan_key: a for a in Appointment.objects.filter(patient=patient)}
    events = _plan_for(patient, existing, completed_session_dates(patient))
    counts = {"created": 0, "moved": 0, "done": 0}
    seen: set[str] = set()
    for event in events:
        key = plan_key(event)
        if key in seen:  # the domain never does this; refuse rather than merge silently
            raise ValueError(f"plan slot {key} appears twice")
        seen.add(key)
        change = _apply_event(patient, event, key, existing.get(key))
        if change:
            counts[change] += 1
    created, moved, done = counts["created"], counts["moved"], counts["done"]
    cancelled = _cancel_dropped(existing, seen, today)
    result = SyncResult(created, moved, done, cancelled)
    if result.changed:
        record(
            action="update",
            category="treatment_calendar",
            patient=patient,
            object_ref=f"patient:{patient.pk}",
            detail={"created": created, "moved": moved, "done": done, "cancelled": cancelled},
        )
    return result


def _apply_event(
    patient: Patient, event: PlannedEvent, key: str, appt: Appointment | None
) -> str | None:
    """One plan event onto its row: "created", "moved" or "done" when that is what changed."""
    if appt is None:
        appt = Appointment(
            patient=patient,
            kind=str(event.kind),
            plan_key=key,
            cycle=event.cycle,
            date=event.date,
            earliest=min(event.earliest, event.date),
            latest=event.latest,
            status=AppointmentStatus.DONE if event.recorded else AppointmentStatus.PLANNED,
            title_patient=event.title_patient,
            title_clinic=event.title_clinic,
        )
        appt.full_clean()
        appt.save()
        return "created"
    if appt.status != AppointmentStatus.PLANNED and not event.recorded:
        return None  # done and cancelled rows are history
    before = (appt.title_patient, appt.title_clinic, appt.cycle)
    appt.title_patient, appt.title_clinic, appt.cycle = (
        event.title_patient,
        event.title_clinic,
        event.cycle,
    )
    titles_changed = before != (appt.title_patient, appt.title_clinic, appt.cycle)
    if event.recorded:
        return _mark_given(appt, event, titles_changed)
    return _follow_plan(appt, event, titles_changed)


def _mark_given(appt: Appointment, event: PlannedEvent, titles_changed: bool) -> str | None:
    """A given session: its row is done on the date it was given."""
    old_date, old_time = appt.date, appt.time
    if appt.status == AppointmentStatus.DONE and appt.date == event.date:
        if titles_changed:
            appt.save()
        return None
    appt.status = AppointmentStatus.DONE
    appt.date = appt.earliest = event.date
    appt.latest = event.latest
    appt.sequence += 1
    appt.save()
    _log(appt, ChangeKind.DONE, old_date, old_time, None, "Session given")
    return "done"


def _follow_plan(appt: Appointment, event: PlannedEvent, titles_changed: bool) -> str | None:
    """A planned row follows the plan's date and window, unless a person chose its date."""
    old_date, old_time = appt.date, appt.time
    if (
        appt.status == AppointmentStatus.PLANNED
        and not appt.pinned
        and (appt.date, appt.earliest, appt.latest) != (event.date, event.earliest, event.latest)
    ):
        date_moved = appt.date != event.date
        appt.date, appt.earliest, appt.latest = (
            event.date,
            min(event.earliest, event.date),
            event.latest,
        )
        if date_moved:
            appt.sequence += 1
        appt.save()
        if date_moved:
            _log(appt, ChangeKind.MOVED, old_date, old_time, None, "Treatment plan updated")
            return "moved"
    elif appt.status == AppointmentStatus.PLANNED and appt.pinned:
        # The person's date stands; the window around it follows the plan.
        earliest = min(event.earliest, appt.date)
        latest = event.latest if event.latest is None or event.latest >= appt.date else None
        if (earliest, latest) != (appt.earliest, appt.latest) or titles_changed:
            appt.earliest, appt.latest = earliest, latest
            appt.save()
    elif titles_changed:
        appt.save()
    return None


def _cancel_dropped(existing: dict[str, Appointment], seen: set[str], today: dt.date) -> int:
    """Cancel the planned future rows the plan no longer has (a past one stays)."""
    cancelled = 0
    for key, appt in existing.items():
        if key in seen or appt.status != AppointmentStatus.PLANNED or appt.date < today:
            continue
        appt.status = AppointmentStatus.CANCELLED
        appt.sequence += 1
        appt.save()
        _log(appt, ChangeKind.CANCELLED, appt.date, appt.time, None, "No longer in the plan")
        cancelled += 1
    return cancelled


def sync_plans(patients: Iterable[Patient], today: dt.date | None = None) -> int:
    """Sync many patients (the `cephalog sync-plans` command); returns how many changed."""
    changed = 0
    for patient in patients:
        if sync_plan(patient=patient, today=today).changed:
            changed += 1
    return changed


def stale_plans(clinic_ids: Iterable[int]) -> QuerySet[Patient]:
    """The clinics' patients whose stored calendar is missing or behind the session record.

    A plan changes only when something is recorded (a session, a decision, a moved
    date), and the actions that record them sync it. Patients written in bulk (the
    demo, imports) were never synced, or have completed sessions the calendar does
    not show as given: those are the ones found here.
    """
    given = Appointment.objects.filter(
        patient=OuterRef("patient"),
        kind=AppointmentKind.SESSION,
        status=AppointmentStatus.DONE,
        date=OuterRef("date"),
    )
    behind = Session.objects.filter(patient=OuterRef("pk"), status=SessionStatus.COMPLETED).exclude(
        Exists(given)
    )
    never = ~Exists(Appointment.objects.filter(patient=OuterRef("pk")))
    return Patient.objects.filter(clinic_id__in=list(clinic_ids)).filter(never | Exists(behind))


def sync_stale_plans(*, clinic_ids: Iterable[int], today: dt.date | None = None) -> int:
    """Bring the calendars of `stale_plans` up to date (the clinic schedule reads the rows)."""
    return sync_plans(stale_plans(clinic_ids).iterator(chunk_size=500), today=today)
