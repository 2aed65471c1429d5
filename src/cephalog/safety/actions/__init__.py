"""All writes for safety monitoring: patient reports, red-flag alerts, the adverse-event register.

Never lose a red flag:

1. The triage is the domain's (`cephalog.domain.safety.classify`); nothing
   here decides what is a red flag.
2. A report is stored in ONE transaction: the check-in, one adverse event
   per symptom, and for red flags the SafetyAlert and its OutboundEmail,
   with the audit rows. Only after commit is the email handed to the
   worker (cephalog.safety.outbox); a failed send leaves the alert and a
   `failed` email that the sweep retries.
3. A report with a red flag is never refused for a missing or doubtful
   detail (onset, severity, still present): the detail is filled with a
   stated assumption (kept in `CheckIn.answers["assumed"]`) instead.
4. The views show the patient the urgent guidance from the triage, which
   needs no stored row, so the guidance appears even if storing fails.

The package: `reports` (patient reports), `alerts`, `register` (the adverse-event
register) and `clinic_settings`. `submit_checkin` and `report_side_effect` stay here and
call `_store_report` through this module, so a test may replace it.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.utils import timezone

from cephalog.patients.models import Patient
from cephalog.safety.actions.alerts import (
    MERGE_MINUTES,
    _raise_alert,
    acknowledge_alert,
    escalate_overdue_alerts,
)
from cephalog.safety.actions.clinic_settings import (
    _PHONE_LIMITS,
    ESCALATION_MINUTES,
    MAX_ESCALATIONS,
    PHONE_FIELDS,
    SAFETY_SETTINGS,
    phone_problem,
    update_safety_settings,
)
from cephalog.safety.actions.register import (
    EVENT_FIELDS,
    record_adverse_event,
    update_adverse_event,
)
from cephalog.safety.actions.reports import (
    MAX_ONSET_AGE_DAYS,
    PATIENT_SEVERITIES,
    ReportedSymptom,
    ReportResult,
    _store_report,
)
from cephalog.safety.models import CheckInKind
from cephalog.treatment.models import Session


def submit_checkin(
    *,
    patient: Patient,
    session: Session | None,
    kind: str,
    symptoms: Sequence[ReportedSymptom] = (),
    no_problems: bool = False,
    note: str = "",
    submission_key: uuid.UUID | None = None,
    now: dt.datetime | None = None,
) -> ReportResult:
    """Store a day-3 or day-14 check-in ("no problems" in one tap, or symptoms).

    A check-in already answered for that session is stored as an ad-hoc
    report instead: a patient's report is never turned away.
    """
    if kind not in (CheckInKind.DAY3, CheckInKind.DAY14):
        raise ValidationError({"kind": f"must be day3 or day14, got {kind!r}"})
    return _store_report(
        patient=patient,
        kind=CheckInKind(kind),
        session=session,
        symptoms=symptoms,
        no_problems=no_problems,
        note=note,
        submission_key=submission_key,
        now=now or timezone.now(),
    )


def report_side_effect(
    *,
    patient: Patient,
    symptoms: Sequence[ReportedSymptom],
    note: str = "",
    submission_key: uuid.UUID | None = None,
    now: dt.datetime | None = None,
) -> ReportResult:
    """Store a side effect reported at any time, linked to the last session before it began."""
    return _store_report(
        patient=patient,
        kind=CheckInKind.ADHOC,
        session=None,
        symptoms=symptoms,
        no_problems=False,
        note=note,
        submission_key=submission_key,
        now=now or timezone.now(),
    )


__all__ = [
    "ESCALATION_MINUTES",
    "EVENT_FIELDS",
    "MAX_ESCALATIONS",
    "MAX_ONSET_AGE_DAYS",
    "MERGE_MINUTES",
    "PATIENT_SEVERITIES",
    "PHONE_FIELDS",
    "ReportResult",
    "ReportedSymptom",
    "SAFETY_SETTINGS",
    "_PHONE_LIMITS",
    "_raise_alert",
    "_store_report",
    "acknowledge_alert",
    "escalate_overdue_alerts",
    "phone_problem",
    "record_adverse_event",
    "report_side_effect",
    "submit_checkin",
    "update_adverse_event",
    "update_safety_settings",
]
