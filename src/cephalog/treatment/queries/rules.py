"""The rules' inputs, continuation decisions as the next session reads them, and rule views."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from cephalog.accounts.rules_queries import earliest_interval_days
from cephalog.domain import decisions, dosing, point_of_care
from cephalog.domain.decisions import DecisionEffect
from cephalog.domain.intervals import IntervalRule, earliest_for
from cephalog.eligibility.models import ToxinExposure
from cephalog.eligibility.queries import start_gate
from cephalog.patients.models import Patient
from cephalog.treatment.models import (
    Session,
    SessionStatus,
)


@dataclass(frozen=True)
class Eligibility:
    eligible: bool | None  # None: not assessed / not decided
    summary: str
    source: str
    hard_stop: bool = (
        False  # age under 18, toxin allergy, infection at the sites: never overridable
    )


def eligibility_status(patient: Patient, today: dt.date) -> Eligibility:
    """The eligibility gate for the point-of-care check (issue 4, spec section 6).

    Open (eligible True) when a physician's decision to start covers the current
    screening under the clinic's default policy; a hard stop refuses the session
    whatever reason is given; anything else needs the injector's documented reason.
    """
    return eligibility_of(start_gate(patient, today))


def eligibility_of(gate: Any) -> Eligibility:
    """The session's eligibility line from the eligibility app's gate."""
    source = f"assessment spec section 6, policy {gate.policy_label or gate.policy}"
    if gate.hard_stops:
        return Eligibility(
            eligible=False,
            summary="Hard stop: "
            + ", ".join(gate.hard_stops).replace("_", " ")
            + ". Do not inject.",
            source=source,
            hard_stop=True,
        )
    if gate.allowed:
        return Eligibility(
            eligible=True,
            summary="A physician's recorded decision to start covers today's screening "
            f"(screening: {gate.status.replace('_', ' ')}); no further reason needed.",
            source=source,
        )
    return Eligibility(
        eligible=None,
        # A sentence: the session page goes on after it ("... Give a reason to go ahead").
        summary="No decision to start covers the current screening: "
        + "; ".join(gate.reasons)
        + ".",
        source=source,
    )


def last_session_date(patient: Patient, on_or_before: dt.date) -> dt.date | None:
    """The date of the latest completed session up to `on_or_before` (interval rule)."""
    return (
        Session.objects.filter(
            patient=patient, status=SessionStatus.COMPLETED, date__lte=on_or_before
        )
        .order_by("-date")
        .values_list("date", flat=True)
        .first()
    )


def exposures(patient: Patient, exclude: Session | None = None) -> list[point_of_care.Exposure]:
    """Botulinum toxin given: other indications (with their product) and the completed
    sessions here (except `exclude`), for the 400 U cap and the recent-toxin flag."""
    found = [
        point_of_care.Exposure(t.date, t.units, t.product, t.indication)
        for t in ToxinExposure.objects.filter(patient=patient).order_by("date", "id")
    ]
    sessions = Session.objects.filter(
        patient=patient, status=SessionStatus.COMPLETED, total_units__gt=0
    )
    if exclude is not None:
        sessions = sessions.exclude(pk=exclude.pk)
    found += [
        point_of_care.Exposure(d, u, product, "chronic migraine", session=True)
        for d, u, product in sessions.order_by("date").values_list("date", "total_units", "product")
    ]
    return sorted(found, key=lambda e: e.date)


class StoredDecision(Protocol):
    """What the next session reads of a stored continuation decision (the outcomes app's
    `ContinuationDecision`, read through `patient.continuation_decisions`: treatment sits
    below outcomes and never imports it)."""

    pk: Any
    decided_on: dt.date
    decision: str
    new_interval_days: int | None


def domain_decision(row: StoredDecision) -> decisions.Decision:
    """A stored decision as the domain's rules read it (`cephalog.domain.decisions`)."""
    return decisions.Decision(
        decided_on=row.decided_on,
        kind=row.decision,
        new_interval_days=row.new_interval_days,
        order=row.pk or 0,
    )


def effect_of(rows: Sequence[StoredDecision], last_session: dt.date | None) -> DecisionEffect:
    """What the next session should use after these decisions: the domain's
    `decisions.effect_of` (issue 14.7), over the stored rows."""
    return decisions.effect_of([domain_decision(row) for row in rows], last_session)


def _last_completed(patient: Patient) -> dt.date | None:
    return (
        patient.sessions.filter(status="completed")
        .order_by("-date")
        .values_list("date", flat=True)
        .first()
    )


def decision_effect(patient: Patient) -> DecisionEffect:
    """What the next session should use (dose, interval, paused/stopped), in two queries.

    For the session pages: `decision_effect(patient).dose_units`, `.interval_days`,
    `.active`, `.next_due(last_session_date)`.
    """
    return effect_of(list(patient.continuation_decisions.all()), _last_completed(patient))


def interval_rule_for(patient: Patient, earliest_days: int) -> IntervalRule:
    """The interval numbers for this patient (issue 14.5): due after the decisions so far,
    the policy's earliest day, the clinic's minimum."""
    effect = decision_effect(patient)
    return IntervalRule(
        due_days=effect.interval_days,
        earliest_days=earliest_for(effect.interval_days, earliest_days),
        minimum_days=patient.clinic.minimum_interval_days,
    )


def interval_rule(patient: Patient) -> IntervalRule:
    """The patient's interval numbers from their one home (domain.intervals): the due day
    after the continuation decisions, the policy's earliest day, the clinic's minimum."""
    return interval_rule_for(patient, earliest_interval_days(patient.clinic))


def check_interval(
    patient: Patient, on: dt.date, early: point_of_care.EarlyInjection | None = None
) -> dosing.RuleResult:
    """The interval rule for a session of `patient` on `on` (the one place the app calls it)."""
    return point_of_care.check_interval(
        last_session_date(patient, on),
        on,
        patient.clinic.minimum_interval_days,
        early,
        interval=interval_rule(patient),
    )


def preview_rules(patient: Patient, today: dt.date, protocol: dosing.Protocol) -> list[RuleView]:
    """The interval and cumulative-dose rules as they stand if a session starts today."""
    return [
        rule_view(check_interval(patient, today)),
        rule_view(point_of_care.check_cap(exposures(patient), today, protocol.fixed_units)),
    ]


RULE_LABELS = {
    "eligibility": "Eligibility and decision to start",
    "continuation": "Continuation decision",
    "hard_stop": "Hard stop",
    "safety_check": "Safety questions",
    "infection_at_sites": "Infection at the injection sites",
    "red_flags": "New red-flag symptoms",
    "pregnancy": "Pregnancy",
    "retreatment_interval": "Interval since the last session",
    "cumulative_dose": "Cumulative dose, all indications",
}
STATUS_LABELS = {
    "ok": "OK",
    "warning": "Warning",
    "overridden": "Overridden with a reason",
    "signed_off": "Signed off",
    "needs_override": "Needs a reason",
    "refused": "Refused",
}


@dataclass(frozen=True)
class RuleView:
    rule: str
    label: str
    status: str
    status_label: str
    message: str
    source: str


def rule_view(r: dosing.RuleResult | dict[str, Any]) -> RuleView:
    d = (
        {"rule": r.rule, "status": r.status.value, "message": r.message, "source": r.source}
        if isinstance(r, dosing.RuleResult)
        else r
    )
    status = str(d.get("status", ""))
    rule = str(d.get("rule", ""))
    label = str(d.get("label") or "") or RULE_LABELS.get(rule, rule.replace("_", " ").capitalize())
    return RuleView(
        rule=rule,
        label=label,
        status=status,
        status_label=STATUS_LABELS.get(status, status),
        message=str(d.get("message", "")),
        source=str(d.get("source", "")),
    )
