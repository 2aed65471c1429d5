"""A person's changes to an appointment: move, cancel, done, the authorisation's end."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from cephalog.core.writes import Clean, full_clean, save_recorded
from cephalog.domain.schedule import EventKind
from cephalog.patients.models import Patient
from cephalog.scheduling.actions.plan import REASON_MAX, _log
from cephalog.scheduling.actions.sync import sync_plan
from cephalog.scheduling.models import (
    Appointment,
    AppointmentKind,
    AppointmentStatus,
    ChangeKind,
)


def _lock(appointment: Appointment) -> Appointment:
    # Patient first, as sync_plan does, so two writers never wait on each other in a circle.
    Patient.objects.select_for_update().only("pk").get(pk=appointment.patient_id)
    return (
        Appointment.objects.select_for_update()
        .select_related("patient__clinic")
        .get(pk=appointment.pk)
    )


def _clean_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Give a reason: it is kept in the history."})
    if len(reason) > REASON_MAX:
        raise ValidationError({"reason": f"At most {REASON_MAX} characters."})
    return reason


def _save_change(
    appt: Appointment,
    change: ChangeKind,
    status: AppointmentStatus,
    by: Any,
    reason: str,
    *,
    was: tuple[dt.date, dt.time | None] | None = None,
    clean: Clean | None = None,
) -> Appointment:
    """Save a person's change of an appointment to `status` (from the date and time `was`,
    by default its own), audited, with its row in the appointment's history; the calendar
    apps update it (SEQUENCE + 1)."""
    was = was or (appt.date, appt.time)
    appt.status = status
    appt.sequence += 1
    save_recorded(
        appt,
        action="update",
        category="appointment",
        patient=appt.patient,
        user=by,
        detail={"kind": appt.kind, "sequence": appt.sequence, "change": change.value},
        clean=clean,
    )
    _log(appt, change, *was, by, reason)
    return appt


@transaction.atomic
def reschedule(
    *,
    appointment: Appointment,
    new_date: dt.date,
    by: Any,
    reason: str,
    new_time: dt.time | None = None,
    today: dt.date | None = None,
) -> Appointment:
    """Move a planned (or restore a cancelled) appointment to a date a person chose.

    The old date is kept in the history, SEQUENCE goes up (calendar apps update
    the event), and the plan no longer moves it (pinned). A session after the
    first may not be moved before its earliest date (the policy's interval,
    computed by the domain).
    """
    reason = _clean_reason(reason)
    appt = _lock(appointment)
    if appt.status == AppointmentStatus.DONE:
        raise ValidationError({"new_date": "This has already happened; it cannot be moved."})
    if appt.kind == AppointmentKind.SESSION and appt.cycle > 1 and new_date < appt.earliest:
        raise ValidationError(
            {
                "new_date": f"Not before {appt.earliest.day} {appt.earliest:%b %Y}: that is the earliest date "
                "for this session after the previous one."
            }
        )
    if appt.status == AppointmentStatus.PLANNED and new_date == appt.date and new_time == appt.time:
        raise ValidationError({"new_date": "That is already the date of this appointment."})
    old_date, old_time = appt.date, appt.time
    appt.date, appt.time = new_date, new_time
    appt.earliest = min(appt.earliest, new_date)
    if appt.latest is not None and appt.latest < new_date:
        appt.latest = None
    appt.pinned = True
    _save_change(
        appt,
        ChangeKind.MOVED,
        AppointmentStatus.PLANNED,
        by,
        reason,
        was=(old_date, old_time),
        clean=full_clean,
    )
    # A moved consultation or first session moves what is planned from it.
    sync_plan(patient=appt.patient, today=today)
    appt.refresh_from_db()
    return appt


@transaction.atomic
def cancel(*, appointment: Appointment, by: Any, reason: str) -> Appointment:
    """Cancel a planned appointment: STATUS:CANCELLED in the feeds, SEQUENCE + 1, history kept.

    The plan does not bring a cancelled row back; a person can (reschedule).
    """
    reason = _clean_reason(reason)
    appt = _lock(appointment)
    if appt.status != AppointmentStatus.PLANNED:
        raise ValidationError({"reason": "Only a planned appointment can be cancelled."})
    return _save_change(appt, ChangeKind.CANCELLED, AppointmentStatus.CANCELLED, by, reason)


@transaction.atomic
def mark_done(
    *, patient: Patient, kind: str, cycle: int, by: Any = None, reason: str = "Done"
) -> Appointment | None:
    """Mark the planned check-in, questionnaire or review of a cycle as done.

    For the apps that record them (safety check-ins, outcome questionnaires): a done
    appointment gets no more reminders and shows as done in the feeds' history.
    Returns None when there is no such planned appointment (already done, cancelled,
    or not in the plan). Sessions are marked done by sync_plan from the session record.
    """
    if kind == AppointmentKind.SESSION:
        raise ValueError("mark_done: sessions follow the session record (sync_plan)")
    found = Appointment.objects.filter(
        patient=patient, kind=kind, cycle=cycle, status=AppointmentStatus.PLANNED
    ).first()
    if found is None:
        return None
    appt = _lock(found)
    if appt.status != AppointmentStatus.PLANNED:
        return None
    return _save_change(appt, ChangeKind.DONE, AppointmentStatus.DONE, by, reason)


@transaction.atomic
def set_authorisation_end(
    *, patient: Patient, end: dt.date, by: Any, reason: str = "Authorisation recorded"
) -> Appointment:
    """Record when the payer's authorisation ends; the plan adds the renewal reminder."""
    existing = Appointment.objects.filter(
        patient=patient, plan_key=str(EventKind.AUTHORISATION_EXPIRY)
    ).first()
    if existing is not None:
        return reschedule(appointment=existing, new_date=end, by=by, reason=reason)
    appt = Appointment(
        patient=patient,
        kind=AppointmentKind.AUTHORISATION_EXPIRY,
        plan_key=str(EventKind.AUTHORISATION_EXPIRY),
        date=end,
        earliest=end,
        pinned=True,
        title_patient="Your insurance approval for treatment ends",
        title_clinic="Payer authorisation ends",
    )
    save_recorded(
        appt,
        action="create",
        category="appointment",
        patient=patient,
        user=by,
        detail={"kind": appt.kind},
    )
    sync_plan(patient=patient)
    appt.refresh_from_db()
    return appt
