"""The safety check before a session (issues 14.3, 17.3)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from cephalog.accounts.rules_queries import UnknownPolicy, policy_for
from cephalog.domain import dosing, point_of_care
from cephalog.domain.point_of_care import Answers, Finding
from cephalog.domain.policies import get_policy
from cephalog.eligibility.case import build_case
from cephalog.eligibility.queries import evaluate, start_gate
from cephalog.patients.models import Patient
from cephalog.treatment.models import (
    FlagSignOff,
    PreSessionCheck,
    Session,
    SessionStatus,
)
from cephalog.treatment.queries.rules import (
    Eligibility,
    RuleView,
    eligibility_of,
    exposures,
    interval_rule,
    rule_view,
)


def answers_of(check: PreSessionCheck | None) -> Answers | None:
    if check is None:
        return None
    a = check.answers
    return Answers(
        infection_at_sites=bool(a.get("infection_at_sites")),
        red_flags_since_last=bool(a.get("red_flags_since_last")),
        pregnant=bool(a.get("pregnant")),
        new_since_last=a.get("new_since_last"),
        new_since_last_note=str(a.get("new_since_last_note", "")),
    )


def todays_check(patient: Patient, on: dt.date) -> PreSessionCheck | None:
    """The latest safety check answered for `patient` on `on`."""
    return (
        PreSessionCheck.objects.filter(patient=patient, date=on)
        .select_related("answered_by")
        .order_by("-answered_at", "-id")
        .first()
    )


@dataclass(frozen=True)
class FlagRow:
    """One flag of the session and its physician's sign-off (None: not, or no longer, signed)."""

    finding: Finding
    sign_off: FlagSignOff | None
    stale: bool  # signed before its text changed (e.g. another medicine of the class)

    @property
    def code(self) -> str:
        return self.finding.code

    @property
    def signed(self) -> bool:
        return self.sign_off is not None

    @property
    def anchor(self) -> str:
        return "flag-" + self.finding.code.replace(":", "-").replace("_", "-")


@dataclass
class PreSession:
    """Everything checked before a session on `on`, before its first site."""

    patient: Patient
    on: dt.date
    check: PreSessionCheck | None
    answers: Answers | None
    last_session: dt.date | None
    hard_stops: list[Finding]
    flags: list[FlagRow]
    eligibility: Eligibility
    new_medicines: list[Any]
    exposures: list[point_of_care.Exposure]
    last_completed: dt.date | None  # the interval counts from it (a completed one today too)
    interval: Any  # domain.intervals.IntervalRule for this patient

    def preview(self, protocol: dosing.Protocol) -> list[RuleView]:
        """The interval and cap rules as they stand if the session starts with `protocol`."""
        return [
            rule_view(
                point_of_care.check_interval(
                    self.last_completed,
                    self.on,
                    self.patient.clinic.minimum_interval_days,
                    interval=self.interval,
                )
            ),
            rule_view(point_of_care.check_cap(self.exposures, self.on, protocol.fixed_units)),
        ]

    @property
    def answered(self) -> bool:
        return self.check is not None

    @property
    def unsigned(self) -> list[FlagRow]:
        return [f for f in self.flags if not f.signed]

    @property
    def earliest(self) -> dt.date | None:
        return point_of_care.earliest_day(self.last_session, self.interval)

    @property
    def due(self) -> dt.date | None:
        return point_of_care.due_day(self.last_session, self.interval)

    @property
    def refused_before(self) -> dt.date | None:
        """The clinic's minimum after the last session: any session before it is refused."""
        return None if self.last_session is None else self.interval.minimum_on(self.last_session)

    @property
    def next_earliest(self) -> dt.date | None:
        """The earliest day after the latest completed session (today's, once given)."""
        return point_of_care.earliest_day(self.last_completed, self.interval)

    @property
    def next_due(self) -> dt.date | None:
        return point_of_care.due_day(self.last_completed, self.interval)


def avoid_sites_for(patient: Patient) -> list[tuple[str, str]]:
    """Site codes to avoid at the next session, each with the reason (for the site map).

    From every adverse event of the patient with `avoid_sites`, newest event
    first; a site named by several events appears once, with the newest reason.
    """
    seen: dict[str, str] = {}
    # The safety app's adverse events, through the patient (safety sits above treatment).
    events = (
        patient.adverse_events.all()
        .exclude(avoid_sites=[])
        .select_related("session")
        .order_by("-onset", "-id")
    )
    for event in events:
        reason = f"{event.symptom_label} from {event.onset.day} {event.onset:%b %Y}"
        if event.session is not None:
            reason += f" after the session of {event.session.date.day} {event.session.date:%b %Y}"
        if event.actions:
            reason += f": {event.actions}"
        for code in event.avoid_sites:
            seen.setdefault(str(code), reason)
    return list(seen.items())


def red_flag_events_since(patient: Patient, last: dt.date | None) -> int:
    # The safety app's adverse events, through the patient (safety sits above treatment).
    red = patient.adverse_events.filter(red_flag=True)
    if last is not None:
        red = red.filter(onset__gte=last)
    return red.count()


def _flag_rows(
    patient: Patient, on: dt.date, check: PreSessionCheck | None, findings: Iterable[Finding]
) -> list[FlagRow]:
    """Each flag with its latest sign-off of the day, if that still reads the same."""
    latest: dict[str, FlagSignOff] = {}
    if check is not None:
        # Any sign-off of the day counts while the flag reads the same: answering the
        # questions again does not undo a physician's sign-off.
        day = FlagSignOff.objects.filter(
            safety_check__patient=patient, safety_check__date=on
        ).select_related("signed_by")
        for row in day.order_by("-signed_at", "-id"):
            latest.setdefault(row.flag, row)
    rows = []
    for finding in findings:
        signed = latest.get(finding.code)
        valid = signed is not None and signed.detail == finding.detail
        rows.append(FlagRow(finding, signed if valid else None, signed is not None and not valid))
    return rows


def pre_session(patient: Patient, on: dt.date) -> PreSession:
    """The hard stops and flags of a session on `on` (cephalog.domain.point_of_care), the
    sign-offs of today's check, and the eligibility gate; flags are computed from the record
    alone until the safety questions are answered."""
    check = todays_check(patient, on)
    answers = answers_of(check)
    completed = list(
        Session.objects.filter(patient=patient, status=SessionStatus.COMPLETED, date__lte=on)
        .order_by("-date")
        .values_list("date", flat=True)[:2]
    )
    last = next((d for d in completed if d < on), None)
    try:
        policy = policy_for(patient.clinic)
    except UnknownPolicy:  # the gate refuses such a clinic; the flags still show
        policy = get_policy("us-label")
        case, gate = build_case(patient, on), start_gate(patient, on)
    else:
        # One assessment for the gate and the flags (the same case, built on the date).
        evaluation = evaluate(patient, on, policy)
        case, gate = evaluation.case, evaluation.gate
    given = exposures(patient)
    shown = answers or Answers(False, False, False)
    if not shown.red_flags_since_last and red_flag_events_since(patient, last):
        # The chart already holds red flags since the last session: the same flag.
        shown = dataclasses.replace(shown, red_flags_since_last=True)
    findings = point_of_care.session_flags(
        case, on, policy, shown, exposures=given, last_session=last
    )
    rows = _flag_rows(patient, on, check, findings)
    new_medicines = []
    if last is not None:
        new_medicines = list(patient.medications.filter(start__gt=last).order_by("start", "name"))
    return PreSession(
        patient=patient,
        on=on,
        check=check,
        answers=answers,
        last_session=last,
        hard_stops=list(point_of_care.hard_stops(case, on, shown, policy)),
        flags=rows,
        eligibility=eligibility_of(gate),
        new_medicines=new_medicines,
        exposures=given,
        last_completed=completed[0] if completed else None,
        interval=interval_rule(patient),
    )
