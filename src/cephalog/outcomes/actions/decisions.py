"""Continuation decisions and bridging treatments."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from cephalog.accounts.access import CLINICAL_ROLES, require_role
from cephalog.accounts.models import Role, User
from cephalog.core.replan import replan
from cephalog.core.writes import save_recorded
from cephalog.domain import decisions
from cephalog.domain.assess import Assessment
from cephalog.domain.policies import POLICIES
from cephalog.eligibility.case import assess_patient
from cephalog.outcomes.actions.common import not_future
from cephalog.outcomes.models import BridgingTreatment, ContinuationDecision
from cephalog.patients.models import Patient


def recommendation_snapshot(assessment: Assessment) -> dict[str, Any]:
    """The recommendation and the numbers behind it, as the physician saw them (spec 7, 8),
    printed as the ruleset prints them, with the ruleset and day definition (spec 11)."""
    continuation = assessment.continuation
    shown = assessment.one_decimal
    snapshot: dict[str, Any] = {
        "policy": continuation.policy,
        "recommendation": continuation.recommendation,
        "reasons": list(continuation.reasons),
        "detail": continuation.detail,
        "assessed_on": assessment.assessed_on.isoformat(),
        "baseline_headache_days_per_28": shown(assessment.baseline.rate("headache_days")),
        "cycles": [
            {
                "number": c.number,
                "injection_date": c.injection_date.isoformat(),
                "in_progress": c.in_progress,
                "headache_days_per_28": shown(c.window.rate("headache_days")),
                "headache_day_change": shown(c.headache_day_change),
                "headache_day_reduction_pct": shown(c.headache_day_reduction_pct),
                "responder_30": c.responder_30,
                "responder_50": c.responder_50,
                "wearing_off": c.wearing_off,
            }
            for c in assessment.cycles
        ],
        "next_injection": assessment.next_injection.to_dict(),
    }
    if assessment.ruleset.day_definition_by_policy:
        snapshot["ruleset"] = assessment.ruleset.name
        snapshot["day_definition"] = assessment.day_definition.value
    return snapshot


def _checked(
    patient: Patient,
    decision: str,
    reason: str,
    decided_on: dt.date | None,
    policy: str | None,
    new_interval_days: int | None,
) -> tuple[dt.date, str, str]:
    """(decided_on, policy, reason) of a decision, each checked: not in the future, a
    known policy, a reason given, an interval the clinic allows (ValidationError)."""
    today = timezone.localdate()
    decided_on = decided_on or today
    not_future(decided_on, today, "decided_on")
    policy = policy or patient.clinic.default_policy
    if policy not in POLICIES:
        raise ValidationError({"policy": f"unknown policy {policy!r}"})
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Give the reason for this decision."})
    problems = decisions.check_decision(
        decision, new_interval_days, patient.clinic.minimum_interval_days
    )
    if problems:
        raise ValidationError(problems)
    return decided_on, policy, reason


@transaction.atomic
def record_decision(
    *,
    patient: Patient,
    by: User,
    decision: str,
    reason: str,
    decided_on: dt.date | None = None,
    policy: str | None = None,
    new_interval_days: int | None = None,
) -> ContinuationDecision:
    """Record a physician's continuation decision with the recommendation it answers.

    Physicians only (PermissionDenied otherwise); a reason is required; a
    change of interval needs the new interval (from the clinic's minimum
    interval to 26 weeks). The recommendation is recomputed here under
    `policy` (default: the clinic's) on `decided_on`, so the snapshot is
    the domain's, not the browser's.
    """
    require_role(by, patient.clinic, (Role.PHYSICIAN,))
    decided_on, policy, reason = _checked(
        patient, decision, reason, decided_on, policy, new_interval_days
    )
    assessment = assess_patient(patient, decided_on, policy)
    row = ContinuationDecision(
        patient=patient,
        decided_on=decided_on,
        decided_by=by,
        policy=policy,
        ruleset=assessment.ruleset.name,
        recommendation=recommendation_snapshot(assessment),
        decision=decision,
        new_interval_days=new_interval_days,
        reason=reason,
    )
    save_recorded(
        row,
        action="create",
        category="continuation_decision",
        ref="decision",
        patient=patient,
        user=by,
        detail={
            "decision": decision,
            "policy": policy,
            "ruleset": row.ruleset,
            "recommendation": row.recommendation["recommendation"],
            "new_interval_days": new_interval_days,
        },
    )
    # The next session reflects the decision: the calendar is re-planned now.
    replan(patient=patient, today=decided_on)
    return row


@transaction.atomic
def record_bridging(
    *, patient: Patient, by: User, date: dt.date, kind: str, notes: str = ""
) -> BridgingTreatment:
    """Record a bridging treatment (nerve block, ketorolac, emergency visit; reference 7)."""
    require_role(by, patient.clinic, CLINICAL_ROLES)
    not_future(date, timezone.localdate(), "date")
    row = BridgingTreatment(
        patient=patient, date=date, kind=kind, notes=(notes or "").strip(), recorded_by=by
    )
    return save_recorded(
        row,
        action="create",
        category="bridging_treatment",
        ref="bridging",
        patient=patient,
        user=by,
        detail={"kind": kind},
        clean=_clean_bridging,
    )


@transaction.atomic
def withdraw_bridging(*, treatment: BridgingTreatment, by: User, reason: str) -> BridgingTreatment:
    """Withdraw a bridging treatment recorded by mistake, with the reason: kept and shown as
    withdrawn, no longer counted (clinical staff of its clinic; never a delete)."""
    require_role(by, treatment.patient.clinic, CLINICAL_ROLES)
    # Locked, so two withdrawals at once cannot both pass the check below.
    row = BridgingTreatment.objects.select_for_update().get(pk=treatment.pk)
    if row.withdrawn_at is not None:
        raise ValidationError({"reason": "This bridging treatment is already withdrawn."})
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Say why this entry is withdrawn."})
    row.withdrawn_at = timezone.now()
    row.withdrawn_by = by
    row.withdrawal_reason = reason
    save_recorded(
        row,
        action="update",
        category="bridging_treatment",
        ref="bridging",
        patient=row.patient,
        user=by,
        detail={"changed": ["withdrawn"], "kind": row.kind},
        update_fields=["withdrawn_at", "withdrawn_by", "withdrawal_reason"],
    )
    return row


def _clean_bridging(row: BridgingTreatment, exclude: Sequence[str]) -> None:
    """`full_clean()`; "other" without notes is refused as "Say what was given"."""
    try:
        row.full_clean(exclude=list(exclude))
    except ValidationError as error:
        if row.kind == "other" and not row.notes:
            raise ValidationError({"notes": "Say what was given."}) from error
        raise
