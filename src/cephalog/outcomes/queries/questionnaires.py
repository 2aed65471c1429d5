"""Questionnaires due, their packs and labels; the plan's decisions and interval."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from cephalog.domain import schedule
from cephalog.domain.decisions import Decision as DomainDecision
from cephalog.outcomes.actions import domain_decision
from cephalog.outcomes.models import (
    ContentPack,
    ContinuationDecision,
    Instrument,
    ItemLabel,
    QuestionnaireResponse,
)
from cephalog.patients.models import Patient
from cephalog.treatment.queries import interval_rule_for


def active_pack(clinic_id: int, instrument: str) -> ContentPack | None:
    """The newest active wording the clinic loaded for the instrument, if any."""
    return (
        ContentPack.objects.filter(clinic_id=clinic_id, instrument=instrument, active=True)
        .order_by("-loaded_at", "-id")
        .first()
    )


def item_labels(clinic_id: int) -> dict[str, str]:
    """The clinic's plain labels of questionnaire items, by item key (issue 16.5)."""
    return dict(ItemLabel.objects.filter(clinic_id=clinic_id).values_list("item_key", "label"))


@dataclass(frozen=True)
class QuestionnaireDue:
    """The questionnaire window from the treatment calendar (docs/domain-decisions.md)."""

    earliest: dt.date
    due: dt.date
    before_session: int
    done: bool


def questionnaire_due(
    patient: Patient,
    today: dt.date,
    session_dates: Sequence[dt.date],
    responses: Sequence[QuestionnaireResponse],
    decisions: Sequence[ContinuationDecision] = (),
) -> QuestionnaireDue | None:
    """The questionnaires before the next session not yet given, from the domain's plan.

    `done` when both HIT-6 and MIDAS were completed inside its window
    (the 7 days before the session, docs/domain-decisions.md). None when
    treatment is stopped or paused (no session planned).
    """
    plan = schedule.treatment_plan(
        consultation_date=min([patient.created_at.date(), *session_dates, today], default=today),
        session_dates=session_dates,
        decisions=plan_decisions(decisions),
    )
    for event in plan:
        if event.kind is not schedule.EventKind.QUESTIONNAIRE:
            continue
        if any(e.kind is schedule.EventKind.SESSION and e.cycle == event.cycle + 1 and e.recorded
               for e in plan):  # fmt: skip
            continue
        until = event.latest or event.date  # the session itself
        done = {
            r.instrument for r in responses if event.earliest <= r.completed_on <= max(until, today)
        } >= {Instrument.HIT6.value, Instrument.MIDAS.value}
        return QuestionnaireDue(event.earliest, until, event.cycle + 1, done)
    return None


#: The interval numbers for this patient (issue 14.5), from `treatment.queries`.
interval_rule = interval_rule_for


def plan_decisions(decisions: Sequence[ContinuationDecision]) -> list[DomainDecision]:
    """Decisions as the domain's treatment plan takes them (for the calendar): the plan
    folds them with `domain.decisions.effect_of`, as the session pages do (issue 14.7)."""
    return [domain_decision(d) for d in decisions]
