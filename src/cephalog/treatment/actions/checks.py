"""The safety check before a session (issues 14.3, 17.3; rules: domain.point_of_care)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction

from cephalog.accounts.access import require_role
from cephalog.accounts.models import Role, User
from cephalog.core.time import clinic_now
from cephalog.core.writes import save_recorded
from cephalog.domain import point_of_care
from cephalog.patients.models import Patient
from cephalog.treatment import queries
from cephalog.treatment.actions.common import CLINICAL, SessionError, _refused
from cephalog.treatment.models import FlagSignOff, PreSessionCheck


@transaction.atomic
def record_check(
    *,
    patient: Patient,
    by: User,
    answers: point_of_care.Answers,
    now: dt.datetime | None = None,
) -> PreSessionCheck:
    """Record the answers to the safety questions for today's session (a physician or nurse).

    "Any new medicines or illnesses since your last treatment?" needs a yes
    or no once there is a previous session, and what, when yes.
    """
    clinic = patient.clinic
    require_role(by, clinic, CLINICAL, "answer the safety questions", error=_refused)
    local_now = clinic_now(clinic, now)
    today = local_now.date()
    problems: list[str | tuple[str, str]] = []
    previous = queries.last_session_date(patient, today - dt.timedelta(days=1))
    if previous is not None and answers.new_since_last is None:
        problems.append(("new_since_last", "Say whether anything is new since the last treatment."))
    if answers.new_since_last and not answers.new_since_last_note.strip():
        problems.append(("new_since_last_note", "Say which medicines or illnesses are new."))
    if problems:
        raise SessionError(problems)
    check = PreSessionCheck(
        patient=patient,
        date=today,
        answers={
            "infection_at_sites": answers.infection_at_sites,
            "red_flags_since_last": answers.red_flags_since_last,
            "pregnant": answers.pregnant,
            "new_since_last": answers.new_since_last,
            "new_since_last_note": answers.new_since_last_note.strip()[:500],
            "last_session": previous.isoformat() if previous else None,
        },
        answered_by=by,
        answered_at=local_now,
    )
    return save_recorded(
        check,
        action="create",
        category="session_check",
        patient=patient,
        detail={k: v for k, v in check.answers.items() if k != "new_since_last_note"},
    )


@transaction.atomic
def sign_off_flag(
    *, patient: Patient, by: User, flag: str, note: str, now: dt.datetime | None = None
) -> FlagSignOff:
    """A physician signs off one flag of today's check, with a note (who, when, note).

    Only a flag the check shows now can be signed, as it reads now; a general
    reason never stands for it.
    """
    clinic = patient.clinic
    require_role(by, clinic, (Role.PHYSICIAN,), "sign off a safety flag", error=_refused)
    local_now = clinic_now(clinic, now)
    pre = queries.pre_session(patient, local_now.date())
    if pre.check is None:
        raise SessionError([("", "Answer the safety questions first.")])
    row = next((f for f in pre.flags if f.code == flag), None)
    if row is None:
        raise SessionError([("", "This flag is no longer raised for today's session.")])
    if not note.strip():
        raise SessionError([(f"note-{flag}", "Write what you considered, then sign off.")])
    sign_off = FlagSignOff(
        safety_check=pre.check,
        flag=flag,
        detail=row.finding.detail,
        signed_by=by,
        signed_at=local_now,
        note=note.strip()[:2000],
    )
    return save_recorded(
        sign_off,
        action="create",
        category="session_flag_sign_off",
        ref=f"session_check:{pre.check.pk}",
        patient=patient,
        detail={"flag": flag},
    )


def continuation_rule(patient: Patient, precheck_reason: str) -> dict[str, Any]:
    """The latest continuation decision (issue 6): a pause or stop needs the documented reason."""
    effect = queries.decision_effect(patient)
    source = "continuation decision (assessment spec section 8)"
    if effect.active:
        detail = f"Next session: {effect.dose_units} U, every {effect.interval_days} days."
        return {"rule": "continuation", "status": "ok", "message": detail, "source": source}
    what = "stop" if effect.stopped else "pause"
    message = f"The latest continuation decision was to {what} treatment."
    if precheck_reason.strip():
        return {
            "rule": "continuation",
            "status": "overridden",
            "message": f"{message} Proceeding with the documented reason: {precheck_reason.strip()}",
            "source": source,
        }
    return {
        "rule": "continuation",
        "status": "needs_override",
        "message": f"{message} Give a reason to go ahead.",
        "source": source,
    }


def needs_supervision(experience: queries.Experience) -> str:
    """Why an injector must be supervised ("" when not): no training or no previous session."""
    why = []
    if not experience.trainings:
        why.append("no recorded training")
    if not experience.sessions:
        why.append("no previous sessions")
    return " and ".join(why)


def _field_of_rule(rule: str) -> str:
    return {
        "eligibility": "precheck_reason",
        "continuation": "precheck_reason",
        "retreatment_interval": "early_reason",
        "cumulative_dose": "protocol",
    }.get(rule, "")
