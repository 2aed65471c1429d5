"""The adverse-event register: a clinician's entries and changes."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from cephalog.accounts.models import User
from cephalog.core.time import patient_today
from cephalog.core.writes import save_recorded
from cephalog.domain import dosing
from cephalog.domain.safety import Symptom, classify
from cephalog.patients.models import Patient
from cephalog.safety.actions.alerts import _raise_alert
from cephalog.safety.models import AdverseEvent, Outcome, Relatedness, Seriousness, Source

EVENT_FIELDS = (
    "symptom",
    "onset",
    "severity",
    "seriousness",
    "relatedness",
    "outcome",
    "resolved_on",
    "session",
    "region",
    "site_codes",
    "description",
    "actions",
    "avoid_sites",
    "relevant_tests",
    "relevant_history",
)


def _validate_event(event: AdverseEvent, now: dt.datetime | None = None) -> None:
    errors: dict[str, list[str]] = {}
    today = patient_today(event.patient, now)

    def add(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    if event.symptom not in Symptom._value2member_map_:
        add("symptom", f"unknown symptom {event.symptom!r}")
    codes = list(event.seriousness or [])
    for code in codes:
        if code not in Seriousness.values:
            add("seriousness", f"unknown code {code!r}")
    if len(set(codes)) != len(codes):
        add("seriousness", "a code appears twice")
    if event.outcome == Outcome.FATAL and Seriousness.DEATH not in codes:
        add("seriousness", "a fatal outcome must be marked death")
    if Seriousness.DEATH in codes and event.outcome != Outcome.FATAL:
        add("outcome", "must be fatal when the seriousness includes death")
    if event.relatedness and event.relatedness not in Relatedness.values:
        add("relatedness", f"unknown value {event.relatedness!r}")
    if (
        event.outcome in (Outcome.RECOVERED, Outcome.RECOVERED_WITH_SEQUELAE)
        and event.resolved_on is None
    ):
        add("resolved_on", "give the date it resolved")
    if event.onset is not None and event.onset > today:
        add("onset", "cannot be in the future")
    if event.resolved_on and event.resolved_on < event.onset:
        add("resolved_on", "cannot be before the onset")
    elif event.resolved_on and event.resolved_on > today:
        add("resolved_on", "cannot be in the future")
    if event.session_id is not None:
        session = event.session
        if session is None or session.patient_id != event.patient_id:
            add("session", "not this patient's session")
        elif session.date > event.onset:
            add("session", "the session must be on or before the onset")
    for field in ("site_codes", "avoid_sites"):
        for code in getattr(event, field) or []:
            if dosing.get_site(str(code)) is None:
                add(field, f"unknown site code {code!r}")
    if errors:
        raise ValidationError(errors)


def _apply(event: AdverseEvent, fields: dict[str, Any]) -> None:
    unknown = set(fields) - set(EVENT_FIELDS)
    if unknown:
        raise ValidationError({"__all__": f"unknown fields: {', '.join(sorted(unknown))}"})
    for name, value in fields.items():
        if name in ("seriousness", "site_codes", "avoid_sites"):
            value = list(dict.fromkeys(str(v) for v in (value or [])))
        elif isinstance(value, str):
            value = value.strip()
        setattr(event, name, value)
    event.serious = bool(event.seriousness)
    event.red_flag = (
        classify([event.symptom]).has_red_flags
        if event.symptom in Symptom._value2member_map_
        else False
    )
    if not event.region and event.site_codes:
        muscles = {s.muscle for s in (dosing.get_site(c) for c in event.site_codes) if s}
        if len(muscles) == 1:
            event.region = muscles.pop().value


@transaction.atomic
def record_adverse_event(
    *, patient: Patient, user: User, now: dt.datetime | None = None, **fields: Any
) -> AdverseEvent:
    """A clinician's entry in the register. A red-flag symptom raises an alert as well,
    so a clinician still signs it off with the action taken."""
    fields.setdefault("outcome", Outcome.UNKNOWN)
    event = AdverseEvent(patient=patient, source=Source.CLINIC, recorded_by=user)
    _apply(event, fields)
    _validate_event(event, now)
    save_recorded(
        event,
        action="create",
        category="adverse_event",
        patient=patient,
        detail={"red_flag": event.red_flag, "serious": event.serious},
    )
    if event.red_flag:
        _raise_alert(
            event=event, checkin=None, triage=classify([event.symptom]), now=now or timezone.now()
        )
    return event


@transaction.atomic
def update_adverse_event(
    *, event: AdverseEvent, user: User, now: dt.datetime | None = None, **fields: Any
) -> AdverseEvent:
    """Change a register entry (any source). Turning it into a red flag raises an alert."""
    was_red = event.red_flag
    before = {name: getattr(event, name) for name in fields}
    _apply(event, fields)
    _validate_event(event, now)
    changed = sorted(name for name in fields if getattr(event, name) != before[name])
    save_recorded(
        event,
        action="update",
        category="adverse_event",
        patient=event.patient,
        user=user,
        detail={"fields": changed},
    )
    if event.red_flag and not was_red and not event.alerts.exists():
        _raise_alert(
            event=event, checkin=None, triage=classify([event.symptom]), now=now or timezone.now()
        )
    return event
