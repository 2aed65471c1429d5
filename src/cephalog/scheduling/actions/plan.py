"""The plan as the calendar stores it: slots, the sessions given, the change log."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from typing import Any

from django.utils import timezone

from cephalog.accounts.rules_queries import earliest_interval_days
from cephalog.domain.schedule import BASELINE_DAYS, EventKind, PlannedEvent, treatment_plan
from cephalog.outcomes.queries import plan_decisions
from cephalog.patients.models import Patient
from cephalog.scheduling.models import (
    Appointment,
    AppointmentChange,
    AppointmentStatus,
)

#: How many not-yet-given sessions the calendar shows. One: the next session is
#: planned from the last one given (the domain chains further ones from due
#: dates, which a booked date would contradict).
SESSIONS_AHEAD = 1
#: Plan slots that occur once per patient; the others occur once per cycle.
_SINGLE_SLOTS = {
    EventKind.CONSULTATION,
    EventKind.BASELINE_DIARY,
    EventKind.REASSESSMENT,
    EventKind.AUTHORISATION_EXPIRY,
}
REASON_MAX = 300


def plan_key(event: PlannedEvent) -> str:
    """The plan slot an event fills: stable across re-planning, so rows move, not multiply."""
    if event.kind in _SINGLE_SLOTS:
        return str(event.kind)
    return f"{event.kind}:{event.cycle}"


@dataclass(frozen=True)
class SyncResult:
    created: int = 0
    moved: int = 0
    done: int = 0
    cancelled: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.created or self.moved or self.done or self.cancelled)


def completed_session_dates(patient: Patient) -> list[dt.date]:
    dates = patient.sessions.filter(status="completed").values_list("date", flat=True)
    return sorted(set(dates))


def _plan_for(
    patient: Patient, existing: dict[str, Appointment], sessions: list[dt.date]
) -> list[PlannedEvent]:
    consult = existing.get("consultation")
    if consult is not None and consult.pinned:
        consultation_date = consult.date
    else:
        # Until the clinic sets the consultation date, the day the patient was added stands
        # in; for a patient added after treatment began, the start of the baseline diary
        # before the first session (the domain's own default, read backwards).
        consultation_date = timezone.localtime(patient.created_at).date()
        if sessions:
            consultation_date = min(
                consultation_date, sessions[0] - dt.timedelta(days=BASELINE_DAYS)
            )
    first = existing.get("session:1")
    planned_first = (
        first.date
        if first is not None and first.pinned and first.status == AppointmentStatus.PLANNED
        else None
    )
    auth = existing.get(str(EventKind.AUTHORISATION_EXPIRY))
    authorisation_end = (
        auth.date if auth is not None and auth.status != AppointmentStatus.CANCELLED else None
    )
    # Continuation decisions (issue 6) pause or stop the plan.
    events = treatment_plan(
        consultation_date=consultation_date,
        session_dates=sessions,
        decisions=plan_decisions(list(patient.continuation_decisions.order_by("decided_on", "id"))),
        earliest_interval_days=earliest_interval_days(patient.clinic),
        planned_first_session=planned_first,
        authorisation_end=authorisation_end,
        sessions_ahead=SESSIONS_AHEAD,
    )
    return follow_moved_sessions(events, existing)


#: What is planned from a session's date: its check-ins (cycle k) and the questionnaires
#: before it (cycle k - 1).
_FROM_SESSION = {EventKind.CHECKIN_DAY3: 0, EventKind.CHECKIN_DAY14: 0, EventKind.QUESTIONNAIRE: 1}


def follow_moved_sessions(
    events: list[PlannedEvent], existing: dict[str, Appointment]
) -> list[PlannedEvent]:
    """The plan with each planned session a person moved (pinned) at its chosen date and
    what is planned from it moved by as many days: its day-3 and day-14 check-ins and
    the questionnaires before it (so their reminders and windows follow the session)."""
    shift: dict[int, dt.timedelta] = {}
    for event in events:
        if event.kind != EventKind.SESSION or event.recorded:
            continue
        appt = existing.get(plan_key(event))
        if (
            appt is not None
            and appt.pinned
            and appt.status == AppointmentStatus.PLANNED
            and appt.date != event.date
        ):
            shift[event.cycle] = appt.date - event.date
    if not shift:
        return events
    out = []
    for event in events:
        delta = (
            shift.get(event.cycle + _FROM_SESSION[event.kind])
            if event.kind in _FROM_SESSION
            else None
        )
        if delta:
            event = replace(
                event,
                date=event.date + delta,
                earliest=event.earliest + delta,
                latest=event.latest + delta if event.latest is not None else None,
            )
        out.append(event)
    return out


def _log(
    appt: Appointment,
    change: str,
    old_date: dt.date,
    old_time: dt.time | None,
    by: Any,
    reason: str,
) -> None:
    AppointmentChange.objects.create(
        appointment=appt,
        change=change,
        old_date=old_date,
        new_date=appt.date,
        old_time=old_time,
        new_time=appt.time,
        sequence=appt.sequence,
        by=by if getattr(by, "pk", None) else None,
        reason=reason[:REASON_MAX],
    )
