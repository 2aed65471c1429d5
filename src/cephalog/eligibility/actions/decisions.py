"""Sign-off of flags and the decision to start."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.utils import timezone

from cephalog.accounts import rules_queries
from cephalog.accounts.access import require_role
from cephalog.accounts.models import Role, User
from cephalog.core.writes import save_recorded
from cephalog.eligibility import queries, texts
from cephalog.eligibility.actions.common import REASON_MAX, EligibilityError, _full_clean
from cephalog.eligibility.models import FlagSignOff, StartDecision
from cephalog.patients.models import (
    Patient,
)


def _reason(value: str, field: str, problems: list[str]) -> str:
    text = value.strip()
    if not text:
        problems.append(f"{field}: required")
    elif len(text) > REASON_MAX:
        problems.append(f"{field}: must be at most {REASON_MAX} characters, got {len(text)}")
    return text


@transaction.atomic
def sign_off_flag(
    *, patient: Patient, policy_name: str, flag: str, by: User, reason: str, on: dt.date
) -> FlagSignOff:
    """A physician signs off one flag raised by the screening, giving a reason (spec section 6:
    flags need a clinician's sign-off)."""
    require_role(by, patient.clinic, (Role.PHYSICIAN,), "sign off eligibility flags")
    policy = rules_queries.policy_for(patient.clinic, policy_name)
    evaluation = queries.evaluate(patient, on, policy)
    problems: list[str] = []
    if flag not in evaluation.eligibility.flags:
        problems.append(f"flag: {flag!r} is not raised for this patient under {policy.label}")
    text = _reason(reason, "reason", problems)
    if problems:
        raise EligibilityError(problems)
    sign_off = FlagSignOff(
        patient=patient,
        policy=policy.name,
        ruleset=evaluation.ruleset.name,
        flag=flag,
        signed_by=by,
        reason=text,
        signed_at=timezone.now(),
    )
    return save_recorded(
        sign_off,
        action="create",
        category="flag_sign_off",
        patient=patient,
        detail={"policy": policy.name, "ruleset": sign_off.ruleset},
        clean=_full_clean,
    )


@transaction.atomic
def decide_to_start(
    *,
    patient: Patient,
    policy_name: str,
    by: User,
    on: dt.date,
    override_reason: str = "",
) -> StartDecision:
    """A physician records the decision to start treatment on the screening of `on`.

    Refused while a hard stop stands (age under 18, toxin hypersensitivity,
    infection at the injection sites): those are contraindications, not
    judgement calls, so no reason overrides them. A criterion not met or
    unknown, or a flag not signed off, needs an `override_reason`.
    """
    require_role(by, patient.clinic, (Role.PHYSICIAN,), "decide to start treatment")
    policy = rules_queries.policy_for(patient.clinic, policy_name)
    evaluation = queries.evaluate(patient, on, policy)
    eligibility = evaluation.eligibility
    if eligibility.hard_stops:
        raise EligibilityError(
            [
                "hard stop: "
                + ", ".join(eligibility.hard_stops)
                + " - treatment cannot start, whatever the reason given"
            ]
        )
    reason = _override_reason(evaluation.problems, override_reason)
    decision = StartDecision(
        patient=patient,
        policy=policy.name,
        ruleset=evaluation.ruleset.name,
        decided_by=by,
        decided_at=timezone.now(),
        assessed_on=on,
        status=eligibility.status,
        snapshot={
            "ruleset": evaluation.ruleset.name,
            "day_definition": evaluation.assessment.day_definition.value,
            "eligibility": eligibility.to_dict(),
            "problems": evaluation.problems,
            "signed_flags": {flag: s.pk for flag, s in sorted(evaluation.sign_offs.items())},
        },
        override_reason=reason if evaluation.problems else "",
    )
    return _save_decision(decision, len(evaluation.problems))


def _override_reason(problems: Sequence[Any], override_reason: str) -> str:
    """The reason given: required when something is not met, at most REASON_MAX characters."""
    refused: list[str] = []
    reason = override_reason.strip()
    if problems and not reason:
        refused.append(
            "override_reason: required to start despite "
            + "; ".join(texts.problem_text(p) for p in problems)
        )
    elif len(reason) > REASON_MAX:
        refused.append(f"override_reason: must be at most {REASON_MAX} characters")
    if refused:
        raise EligibilityError(refused)
    return reason


def _save_decision(decision: StartDecision, problems: int) -> StartDecision:
    """Save a decision to start, audited: policy, ruleset, status, override, problems."""
    return save_recorded(
        decision,
        action="create",
        category="start_decision",
        patient=decision.patient,
        clean=_full_clean,
        detail={
            "policy": decision.policy,
            "ruleset": decision.ruleset,
            "status": decision.status,
            "overridden": bool(decision.override_reason),
            "problems": problems,
        },
    )
