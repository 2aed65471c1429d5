"""The one-page cycle summary and the adverse events of a cycle."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from cephalog.domain.criteria import MedicationOveruse, assess_medication_overuse
from cephalog.domain.windows import MIN_RECORDED_DAYS, window_ending
from cephalog.outcomes.models import (
    BridgingTreatment,
    ContinuationDecision,
    Instrument,
    QuestionnaireResponse,
)
from cephalog.outcomes.queries.page import CycleRow, PatientOutcomes, patient_outcomes
from cephalog.patients.models import Patient
from cephalog.safety.queries import events_between


@dataclass
class CycleSummary:
    """The figures of the one-page summary and the renewal letter (issue 6, item 6)."""

    outcomes: PatientOutcomes
    cycle: CycleRow | None
    overuse: MedicationOveruse | None
    adverse_events: list[Any]
    hit6: tuple[QuestionnaireResponse | None, QuestionnaireResponse | None]
    midas: tuple[QuestionnaireResponse | None, QuestionnaireResponse | None]
    decision: ContinuationDecision | None
    bridging: list[BridgingTreatment]

    @property
    def baseline(self) -> dict[str, Any]:
        return self.outcomes.baseline


def _first_and_latest(
    responses: Sequence[QuestionnaireResponse], instrument: str
) -> tuple[QuestionnaireResponse | None, QuestionnaireResponse | None]:
    rows = [r for r in responses if r.instrument == instrument]
    if not rows:
        return None, None
    return rows[0], rows[-1] if len(rows) > 1 else None


def cycle_summary(
    patient: Patient, today: dt.date, number: int | None = None, policy: str | None = None
) -> CycleSummary:
    """The summary of cycle `number` (default: the latest complete cycle, else the latest)."""
    outcomes = patient_outcomes(patient, today, policy)
    cycles = outcomes.cycles
    chosen = None
    if number is not None:
        chosen = next((c for c in cycles if c.number == number), None)
    if chosen is None:
        chosen = outcomes.latest_complete or (cycles[-1] if cycles else None)
    overuse = None
    events: list[Any] = []
    bridging: list[BridgingTreatment] = []
    decision = None
    if chosen is not None:
        rules = outcomes.assessment.rules
        window = window_ending(outcomes.case.days, chosen.window_end, rules.definition)
        if window.recorded_days >= MIN_RECORDED_DAYS:
            overuse = assess_medication_overuse(outcomes.case.days, window, rules)
        start = chosen.injection
        following = [c.injection for c in cycles if c.number == chosen.number + 1]
        end = following[0] - dt.timedelta(days=1) if following else today
        events = adverse_events_between(patient, start, end)
        bridging = [b for b in outcomes.bridging if start <= b.date <= end]
        decision = next((d for d in reversed(outcomes.decisions) if d.decided_on >= start), None)
    return CycleSummary(
        outcomes=outcomes,
        cycle=chosen,
        overuse=overuse,
        adverse_events=events,
        hit6=_first_and_latest(outcomes.questionnaires, Instrument.HIT6),
        midas=_first_and_latest(outcomes.questionnaires, Instrument.MIDAS),
        decision=decision,
        bridging=bridging,
    )


@dataclass(frozen=True)
class AdverseEventRow:
    onset: dt.date
    label: str
    severity: str
    serious: bool
    red_flag: bool


def adverse_events_between(patient: Patient, start: dt.date, end: dt.date) -> list[AdverseEventRow]:
    """The patient's adverse events with onset in [start, end], oldest first."""
    return [
        AdverseEventRow(e.onset, e.label, e.severity, e.serious, e.red_flag)
        for e in events_between(patient, start, end)
    ]
