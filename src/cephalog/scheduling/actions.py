"""All writes to the treatment calendar: materialise the plan, move, cancel, feed tokens.

The rules (what is planned when) are cephalog.domain.schedule's; this module
only stores its output. Every function is atomic and writes an audit row in
the same transaction when it changes something.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone
from django.utils.crypto import salted_hmac

from cephalog.accounts.models import Clinic
from cephalog.audit.actions import record
from cephalog.core.time import patient_today
from cephalog.domain.schedule import BASELINE_DAYS, EventKind, PlannedEvent, treatment_plan
from cephalog.eligibility.queries import earliest_interval_days
from cephalog.outcomes.queries import plan_decisions
from cephalog.patients.models import Patient
from cephalog.scheduling.models import (
    Appointment,
    AppointmentChange,
    AppointmentKind,
    AppointmentStatus,
    CalendarFeedToken,
    ChangeKind,
)
from cephalog.treatment.models import Session, SessionStatus

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
    created = moved = done = cancelled = 0
    seen: set[str] = set()
    for event in events:
        key = plan_key(event)
        if key in seen:  # the domain never does this; refuse rather than merge silently
            raise ValueError(f"plan slot {key} appears twice")
        seen.add(key)
        appt = existing.get(key)
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
            created += 1
            continue
        if appt.status != AppointmentStatus.PLANNED and not event.recorded:
            continue  # done and cancelled rows are history
        before = (appt.title_patient, appt.title_clinic, appt.cycle)
        appt.title_patient, appt.title_clinic, appt.cycle = (
            event.title_patient,
            event.title_clinic,
            event.cycle,
        )
        titles_changed = before != (appt.title_patient, appt.title_clinic, appt.cycle)
        old_date, old_time = appt.date, appt.time
        if event.recorded:
            if appt.status == AppointmentStatus.DONE and appt.date == event.date:
                if titles_changed:
                    appt.save()
                continue
            appt.status = AppointmentStatus.DONE
            appt.date = appt.earliest = event.date
            appt.latest = event.latest
            appt.sequence += 1
            appt.save()
            _log(appt, ChangeKind.DONE, old_date, old_time, None, "Session given")
            done += 1
        elif (
            appt.status == AppointmentStatus.PLANNED
            and not appt.pinned
            and (appt.date, appt.earliest, appt.latest)
            != (event.date, event.earliest, event.latest)
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
                moved += 1
        elif appt.status == AppointmentStatus.PLANNED and appt.pinned:
            # The person's date stands; the window around it follows the plan.
            earliest = min(event.earliest, appt.date)
            latest = event.latest if event.latest is None or event.latest >= appt.date else None
            if (earliest, latest) != (appt.earliest, appt.latest) or titles_changed:
                appt.earliest, appt.latest = earliest, latest
                appt.save()
        elif titles_changed:
            appt.save()
    for key, appt in existing.items():
        if key in seen or appt.status != AppointmentStatus.PLANNED or appt.date < today:
            continue
        appt.status = AppointmentStatus.CANCELLED
        appt.sequence += 1
        appt.save()
        _log(appt, ChangeKind.CANCELLED, appt.date, appt.time, None, "No longer in the plan")
        cancelled += 1
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
                "new_date": f"Not before {appt.earliest:%d %b %Y}: that is the earliest date "
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
    appt.status = AppointmentStatus.PLANNED
    appt.pinned = True
    appt.sequence += 1
    appt.full_clean()
    appt.save()
    _log(appt, ChangeKind.MOVED, old_date, old_time, by, reason)
    record(
        action="update",
        category="appointment",
        patient=appt.patient,
        user=by,
        object_ref=f"appointment:{appt.pk}",
        detail={"kind": appt.kind, "sequence": appt.sequence, "change": "moved"},
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
    appt.status = AppointmentStatus.CANCELLED
    appt.sequence += 1
    appt.save()
    _log(appt, ChangeKind.CANCELLED, appt.date, appt.time, by, reason)
    record(
        action="update",
        category="appointment",
        patient=appt.patient,
        user=by,
        object_ref=f"appointment:{appt.pk}",
        detail={"kind": appt.kind, "sequence": appt.sequence, "change": "cancelled"},
    )
    return appt


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
    appt.status = AppointmentStatus.DONE
    appt.sequence += 1
    appt.save()
    _log(appt, ChangeKind.DONE, appt.date, appt.time, by, reason)
    record(
        action="update",
        category="appointment",
        patient=patient,
        user=by,
        object_ref=f"appointment:{appt.pk}",
        detail={"kind": appt.kind, "sequence": appt.sequence, "change": "done"},
    )
    return appt


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
    appt.full_clean()
    appt.save()
    record(
        action="create",
        category="appointment",
        patient=patient,
        user=by,
        object_ref=f"appointment:{appt.pk}",
        detail={"kind": appt.kind},
    )
    sync_plan(patient=patient)
    appt.refresh_from_db()
    return appt


# --- calendar feed tokens ----------------------------------------------------------------

_FEED_SALT = "cephalog.scheduling.calendar-feed"


def feed_token_value(token: CalendarFeedToken) -> str:
    """The secret in the feed address: HMAC(SECRET_KEY, seed), 43 URL-safe characters."""
    digest = salted_hmac(_FEED_SALT, token.seed, algorithm="sha256").digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def hash_token(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def _revoke_live(qs: Any, by: Any) -> int:
    return int(
        qs.filter(revoked_at__isnull=True).update(
            revoked_at=timezone.now(), revoked_by=by if getattr(by, "pk", None) else None
        )
    )


@transaction.atomic
def issue_feed_token(
    *, by: Any, patient: Patient | None = None, clinic: Clinic | None = None
) -> CalendarFeedToken:
    """A new secret feed address for a patient, or for a clinic held by `by` (each member of
    staff has their own); the previous one (of that patient, or of `by` for that clinic)
    stops working."""
    if (patient is None) == (clinic is None):
        raise ValueError("issue_feed_token: give a patient or a clinic")
    owner: dict[str, Any] = {"patient": patient} if patient else {"clinic": clinic, "holder": by}
    # Lock the owner so two renewals at once cannot both find no live token.
    if patient is not None:
        Patient.objects.select_for_update().only("pk").get(pk=patient.pk)
    else:
        Clinic.objects.select_for_update().only("pk").get(pk=clinic.pk)  # type: ignore[union-attr]
    replaced = _revoke_live(CalendarFeedToken.objects.filter(**owner), by)
    token = CalendarFeedToken(seed=secrets.token_urlsafe(32), **owner)
    token.token_hash = hash_token(feed_token_value(token))
    token.created_by = by if getattr(by, "pk", None) else None
    token.save()
    record(
        action="create",
        category="calendar_feed",
        patient=patient,
        clinic_id=clinic.pk if clinic else None,
        user=by,
        object_ref=f"feed:{token.pk}",
        detail={"replaced": replaced},
    )
    return token


@transaction.atomic
def revoke_feed_token(
    *, by: Any, patient: Patient | None = None, clinic: Clinic | None = None
) -> int:
    """Stop the live feed address of a patient, or `by`'s own for a clinic; returns how many
    were revoked."""
    if (patient is None) == (clinic is None):
        raise ValueError("revoke_feed_token: give a patient or a clinic")
    owner: dict[str, Any] = {"patient": patient} if patient else {"clinic": clinic, "holder": by}
    revoked = _revoke_live(CalendarFeedToken.objects.filter(**owner), by)
    if revoked or clinic is not None:  # a member of staff stopping their own link: always
        record(
            action="delete",
            category="calendar_feed",
            patient=patient,
            clinic_id=clinic.pk if clinic else None,
            user=by,
            detail={"revoked": revoked},
        )
    return revoked
