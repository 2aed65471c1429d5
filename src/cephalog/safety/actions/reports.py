"""Patient reports: the symptoms and their details, stored with the check-in in one transaction."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from cephalog.audit.actions import record
from cephalog.core.time import patient_today
from cephalog.domain.safety import SafetyTriage, Symptom, classify
from cephalog.patients.models import Patient
from cephalog.safety.actions.alerts import _raise_alert
from cephalog.safety.models import (
    AdverseEvent,
    CheckIn,
    CheckInKind,
    Outcome,
    SafetyAlert,
    Severity,
    Source,
)
from cephalog.safety.queries import completed_sessions
from cephalog.treatment.models import Session

#: How far back a patient may date the onset of a symptom.
MAX_ONSET_AGE_DAYS = 365
PATIENT_SEVERITIES = (Severity.MILD, Severity.MODERATE, Severity.SEVERE)


@dataclass(frozen=True)
class ReportedSymptom:
    """One ticked symptom with what the patient said about it (all details optional here)."""

    symptom: Symptom | str
    onset: dt.date | None = None
    severity: str | None = None
    still_present: bool | None = None
    resolved_on: dt.date | None = None


@dataclass(frozen=True)
class _Settled:
    symptom: Symptom
    onset: dt.date
    severity: str
    still_present: bool
    resolved_on: dt.date | None


@dataclass(frozen=True)
class ReportResult:
    checkin: CheckIn
    triage: SafetyTriage
    events: tuple[AdverseEvent, ...]
    alert: SafetyAlert | None
    created: bool  # False when this submission had been stored before (same submission key)


def _result_of(checkin: CheckIn, *, created: bool) -> ReportResult:
    events = tuple(checkin.events.order_by("id"))
    triage = classify([e.symptom for e in events if e.symptom in Symptom._value2member_map_])
    alert = checkin.alerts.order_by("id").first()
    return ReportResult(checkin, triage, events, alert, created)


def _parse_symptoms(symptoms: Sequence[ReportedSymptom]) -> list[ReportedSymptom]:
    parsed: list[ReportedSymptom] = []
    seen: set[Symptom] = set()
    for i, s in enumerate(symptoms):
        try:
            code = Symptom(s.symptom)
        except ValueError:
            raise ValidationError(
                {"symptoms": f"symptoms[{i}]: unknown symptom {s.symptom!r}"}
            ) from None
        if code not in seen:
            seen.add(code)
            parsed.append(
                ReportedSymptom(code, s.onset, s.severity, s.still_present, s.resolved_on)
            )
    return parsed


def _settle_details(
    symptoms: list[ReportedSymptom], today: dt.date, *, lenient: bool
) -> tuple[list[_Settled], list[str], list[str]]:
    """Check each symptom's details. Returns (settled symptoms, problems, assumptions).

    `lenient` (a red flag is in the report): every problem becomes a stated
    assumption instead, so the report is stored whatever the details say.
    """
    settled: list[_Settled] = []
    problems: list[str] = []
    assumed: list[str] = []
    earliest = today - dt.timedelta(days=MAX_ONSET_AGE_DAYS)

    def problem(text: str, assumption: str) -> None:
        (assumed if lenient else problems).append(assumption if lenient else text)

    for s in symptoms:
        code = Symptom(s.symptom).value
        onset = s.onset
        if onset is None:
            problem(
                f"{code}: onset: say when it started", f"{code}: onset not given, report date used"
            )
            onset = today
        elif onset > today:
            problem(
                f"{code}: onset: cannot be in the future",
                f"{code}: onset {onset} was in the future, report date used",
            )
            onset = today
        elif onset < earliest:
            problem(
                f"{code}: onset: must be within the last year",
                f"{code}: onset {onset} was over a year ago, kept as given",
            )
        severity = s.severity
        if severity not in PATIENT_SEVERITIES:
            problem(f"{code}: severity: choose how bad it is", f"{code}: severity not given")
            severity = Severity.NOT_STATED
        still_present = s.still_present
        if still_present is None:
            problem(
                f"{code}: still_present: say if it is still there",
                f"{code}: not said whether still present, taken as still present",
            )
            still_present = True
        resolved_on = None
        if not still_present:
            resolved_on = s.resolved_on or today
            if resolved_on > today or resolved_on < onset:
                problem(
                    f"{code}: resolved_on: must be between the onset and today",
                    f"{code}: end date {resolved_on} impossible, report date used",
                )
                resolved_on = today if resolved_on > today else onset
        settled.append(_Settled(Symptom(code), onset, severity, still_present, resolved_on))
    return settled, problems, assumed


def _session_for(
    onset: dt.date, sessions: list[Session], preferred: Session | None
) -> Session | None:
    """The session an event belongs to: the preferred one if it came first, else the last before it."""
    if preferred is not None and preferred.date <= onset:
        return preferred
    before = [s for s in sessions if s.date <= onset]
    return before[-1] if before else None


def _checked_report(
    patient: Patient,
    session: Session | None,
    symptoms: Sequence[ReportedSymptom],
    no_problems: bool,
    today: dt.date,
) -> tuple[SafetyTriage, list[_Settled], list[str]]:
    """The triage, settled symptoms and assumptions of a report; refuses what cannot be stored."""
    parsed = _parse_symptoms(symptoms)
    triage = classify([s.symptom for s in parsed])
    if no_problems and parsed:
        raise ValidationError({"symptoms": "either no problems or symptoms, not both"})
    if not no_problems and not parsed:
        raise ValidationError({"symptoms": "tick at least one symptom, or choose No problems"})
    if session is not None and session.patient_id != patient.pk:
        raise ValidationError({"session": "not this patient's session"})
    settled, problems, assumed = _settle_details(parsed, today, lenient=triage.has_red_flags)
    if problems:
        raise ValidationError({"symptoms": problems})
    return triage, settled, assumed


def _new_checkin(
    *,
    patient: Patient,
    session: Session | None,
    kind: CheckInKind,
    now: dt.datetime,
    no_problems: bool,
    settled: list[_Settled],
    note: str,
    assumed: list[str],
    triage: SafetyTriage,
    submission_key: uuid.UUID | None,
) -> CheckIn:
    checkin = CheckIn(
        patient=patient,
        session=session,
        kind=kind,
        submitted_at=now,
        no_problems=no_problems,
        answers={
            "symptoms": [
                {
                    "symptom": str(s.symptom),
                    "onset": s.onset.isoformat(),
                    "severity": s.severity,
                    "still_present": s.still_present,
                    "resolved_on": s.resolved_on.isoformat() if s.resolved_on else None,
                }
                for s in settled
            ],
            "note": note,
            "assumed": assumed,
        },
        triage_level=triage.level.value,
        guidance=list(triage.patient_guidance),
        submission_key=submission_key or uuid.uuid4(),
    )
    checkin.full_clean(validate_constraints=False)
    return checkin


def _save_checkin(checkin: CheckIn, patient: Patient) -> CheckIn | None:
    """Save the check-in; the one stored before when the same submission came twice (else None)."""
    try:
        with transaction.atomic():
            checkin.save()
    except IntegrityError:
        # The same page sent twice at once, or the check-in answered in another tab.
        again = CheckIn.objects.filter(submission_key=checkin.submission_key).first()
        if again is not None and again.patient_id == patient.pk:
            return again
        checkin.kind = CheckInKind.ADHOC
        checkin.pk = None
        checkin.save()
    return None


def _store_events(
    *,
    patient: Patient,
    checkin: CheckIn,
    settled: list[_Settled],
    sessions: list[Session],
    session: Session | None,
    triage: SafetyTriage,
    note: str,
) -> list[AdverseEvent]:
    events: list[AdverseEvent] = []
    for s in settled:
        event = AdverseEvent(
            patient=patient,
            session=_session_for(s.onset, sessions, session),
            symptom=str(s.symptom),
            onset=s.onset,
            severity=s.severity,
            red_flag=s.symptom in triage.red_flags,
            resolved_on=s.resolved_on,
            outcome=Outcome.NOT_RECOVERED if s.still_present else Outcome.RECOVERED,
            checkin=checkin,
            source=Source.PATIENT,
            description=f"Patient's words: {note}" if note else "",
        )
        event.full_clean()
        event.save()
        events.append(event)
    return events


def _audit_and_alert(
    patient: Patient,
    checkin: CheckIn,
    events: list[AdverseEvent],
    triage: SafetyTriage,
    *,
    no_problems: bool,
    now: dt.datetime,
) -> SafetyAlert | None:
    """Audit the stored report, and raise the alert for a red flag."""
    record(
        action="create",
        category="safety_report",
        patient=patient,
        object_ref=f"checkin:{checkin.pk}",
        detail={
            "kind": checkin.kind,
            "symptoms": len(events),
            "red_flag": triage.has_red_flags,
            "no_problems": no_problems,
        },
    )
    alert = None
    if triage.has_red_flags:
        primary = next(e for e in events if e.red_flag)
        alert = _raise_alert(event=primary, checkin=checkin, triage=triage, now=now)
    return alert


@transaction.atomic
def _store_report(
    *,
    patient: Patient,
    kind: CheckInKind,
    session: Session | None,
    symptoms: Sequence[ReportedSymptom],
    no_problems: bool,
    note: str,
    submission_key: uuid.UUID | None,
    now: dt.datetime,
) -> ReportResult:
    if submission_key is not None:
        existing = CheckIn.objects.filter(submission_key=submission_key).first()
        if existing is not None and existing.patient_id == patient.pk:
            return _result_of(existing, created=False)
        if existing is not None:  # another patient's key: never show their report
            submission_key = None

    today = patient_today(patient, now)
    triage, settled, assumed = _checked_report(patient, session, symptoms, no_problems, today)

    if kind is not CheckInKind.ADHOC and (
        session is None or CheckIn.objects.filter(session=session, kind=kind).exists()
    ):
        kind = CheckInKind.ADHOC
    sessions = completed_sessions(patient, today)
    if session is None and sessions:
        session = sessions[-1]

    note = note.strip()[:2000]
    checkin = _new_checkin(
        patient=patient,
        session=session,
        kind=kind,
        now=now,
        no_problems=no_problems,
        settled=settled,
        note=note,
        assumed=assumed,
        triage=triage,
        submission_key=submission_key,
    )
    again = _save_checkin(checkin, patient)
    if again is not None:
        return _result_of(again, created=False)
    events = _store_events(
        patient=patient,
        checkin=checkin,
        settled=settled,
        sessions=sessions,
        session=session,
        triage=triage,
        note=note,
    )
    alert = _audit_and_alert(patient, checkin, events, triage, no_problems=no_problems, now=now)
    return ReportResult(checkin, triage, tuple(events), alert, True)
