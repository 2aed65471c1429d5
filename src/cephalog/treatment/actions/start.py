"""Opening today's session after every check (start_session), one helper per step."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import IntegrityError, transaction

from cephalog.accounts.access import require_role, role_in
from cephalog.accounts.models import Clinic, Role, User
from cephalog.core.time import clinic_now
from cephalog.core.writes import save_recorded
from cephalog.domain import dosing, point_of_care
from cephalog.patients.models import Patient
from cephalog.treatment import queries
from cephalog.treatment.actions.checks import (
    _field_of_rule,
    continuation_rule,
    needs_supervision,
    record_check,
)
from cephalog.treatment.actions.common import (
    CLINICAL,
    SRC_SUPERVISION,
    SessionError,
    _refused,
    rule_dict,
)
from cephalog.treatment.models import Session, SessionStatus

Problems = list[str | tuple[str, str]]
Rules = list[dict[str, Any]]


@transaction.atomic
def start_session(
    *,
    patient: Patient,
    by: User,
    injector: User,
    protocol_key: str = dosing.PREEMPT_155.name,
    supervisor: User | None = None,
    precheck_reason: str = "",
    early: point_of_care.EarlyInjection | None = None,
    infection_at_sites: bool | None = None,
    red_flags_since_last: bool | None = None,
    pregnant: bool | None = None,
    new_since_last: bool | None = None,
    new_since_last_note: str = "",
    now: dt.datetime | None = None,
) -> Session:
    """Open today's session after every check, before its first site.

    The answers to the safety questions are today's check (given here, they
    are recorded first). Refused (SessionError listing every problem, each
    beside its control) when: a hard stop (age, toxin allergy, infection at
    the sites); a flag of the session date (domain.point_of_care) without
    its own physician sign-off; no decision to start covers the screening
    and no reason is given (a recorded decision needs none); a pause or stop
    decision without a reason; before the earliest day without a
    structured reason; the protocol's dose would break the 400 U
    onabotulinumtoxinA cap; an injector without training or previous
    sessions and no supervising physician.
    """
    clinic = patient.clinic
    require_role(by, clinic, CLINICAL, "start a session", error=_refused)
    problems: Problems = []
    injector_role = role_in(injector, clinic)
    if injector_role not in CLINICAL:
        problems.append(("injector", f"Choose a physician or nurse of {clinic.name}."))
    local_now = clinic_now(clinic, now)
    protocol, snapshot = _protocol_for_today(patient, local_now.date(), protocol_key)
    answers = _answers(
        infection_at_sites, red_flags_since_last, pregnant, new_since_last, new_since_last_note
    )
    if answers is not None:
        record_check(patient=patient, by=by, answers=answers, now=local_now)
    pre = queries.pre_session(patient, local_now.date())
    reason = precheck_reason.strip()
    rules, interval = _rules(patient, pre, reason, early, protocol.fixed_units, problems)
    if injector_role in CLINICAL:
        _supervision(clinic, injector, injector_role, supervisor, problems, rules)
    if problems:
        raise SessionError(problems)
    return _new_session(
        patient=patient,
        pre=pre,
        protocol=(protocol.name, snapshot),
        staff=(by, injector, supervisor),
        local_now=local_now,
        reason=reason,
        early=(early, interval),
        rules=rules,
    )


def _protocol_for_today(
    patient: Patient, today: dt.date, protocol_key: str
) -> tuple[dosing.Protocol, dict[str, Any]]:
    """The protocol chosen, once there is no other session today (refused otherwise)."""
    if Session.objects.filter(patient=patient, date=today).exclude(status="cancelled").exists():
        raise SessionError([("", "This patient already has a session today.")])
    try:
        return queries.resolve_protocol(patient.clinic, protocol_key)
    except KeyError:
        raise SessionError([("protocol", "Choose one of the listed protocols.")]) from None


def _answers(
    infection_at_sites: bool | None,
    red_flags_since_last: bool | None,
    pregnant: bool | None,
    new_since_last: bool | None,
    new_since_last_note: str,
) -> point_of_care.Answers | None:
    """The safety answers given with the start, if any (they are recorded first)."""
    if infection_at_sites is None and red_flags_since_last is None and pregnant is None:
        return None
    return point_of_care.Answers(
        infection_at_sites=bool(infection_at_sites),
        red_flags_since_last=bool(red_flags_since_last),
        pregnant=bool(pregnant),
        new_since_last=new_since_last,
        new_since_last_note=new_since_last_note,
    )


def _rules(
    patient: Patient,
    pre: queries.PreSession,
    reason: str,
    early: point_of_care.EarlyInjection | None,
    units: int,
    problems: Problems,
) -> tuple[Rules, dosing.RuleResult]:
    """Every rule of the start in order (the interval's result apart); blocking ones as problems."""
    rules = _safety_rules(pre, patient.clinic, problems)
    rules.append(_eligibility_rule(pre.eligibility, reason))
    rules.append(continuation_rule(patient, reason))
    interval = queries.check_interval(patient, pre.on, early)
    cap = point_of_care.check_cap(queries.exposures(patient), pre.on, units)
    rules += [rule_dict(interval), rule_dict(cap)]
    problems += _blocking(rules)
    return rules, interval


def _blocking(rules: Rules) -> Problems:
    """A problem for each refused or waiting rule (hard stops are listed with the check)."""
    problems: Problems = []
    for r in rules:
        blocking = r["status"] in (dosing.RuleStatus.REFUSED, dosing.RuleStatus.NEEDS_OVERRIDE)
        if blocking and r["rule"] != "hard_stop":  # hard stops are listed above
            problems.append((_field_of_rule(r["rule"]), r["message"]))
    return problems


def _safety_rules(pre: queries.PreSession, clinic: Clinic, problems: Problems) -> Rules:
    """The check's hard stops and flags: each as a rule, and a problem while not signed off."""
    rules: Rules = []
    if pre.check is None:
        problems.append(("safety_check", "Answer the safety questions before the session."))
    for stop in pre.hard_stops:
        problems.append(("safety_check", f"{stop.label}: {stop.detail}"))
        rules.append(
            {
                "rule": "hard_stop",
                "status": "refused",
                "message": stop.detail,
                "source": stop.source,
            }
        )
    for row in pre.flags:
        if row.sign_off is None:
            problems.append(
                (
                    row.anchor,
                    f"{row.finding.label}: needs its own physician's sign-off before the first "
                    "site" + (" (its details changed since it was signed)." if row.stale else "."),
                )
            )
            continue
        rules.append(
            {
                "rule": f"flag:{row.code}",
                "label": row.finding.label,
                "status": "signed_off",
                "message": f"{row.finding.detail} Signed off by "
                f"{queries.display_name(row.sign_off.signed_by, Role.PHYSICIAN)} at "
                f"{clinic_now(clinic, row.sign_off.signed_at):%H:%M}: {row.sign_off.note}",
                "source": row.finding.source,
                "signed_by": row.sign_off.signed_by_id,
                "signed_at": row.sign_off.signed_at.isoformat(),
            }
        )
    return rules


def _eligibility_rule(eligibility: queries.Eligibility, reason: str) -> dict[str, Any]:
    """Eligible, a hard stop, going ahead with a reason, or waiting for one."""
    if eligibility.eligible is True:
        status, message = "ok", eligibility.summary
    elif eligibility.hard_stop:
        status, message = "refused", eligibility.summary
    elif reason:
        status = "overridden"
        message = f"{eligibility.summary} Going ahead with the reason: {reason}"
    else:
        status = "needs_override"
        message = f"{eligibility.summary} Give a reason to go ahead, or record a decision to start."
    return {
        "rule": "eligibility",
        "status": status,
        "message": message,
        "source": eligibility.source,
    }


def _supervision(
    clinic: Clinic,
    injector: User,
    injector_role: str | None,
    supervisor: User | None,
    problems: Problems,
    rules: Rules,
) -> None:
    """A new injector needs another physician of the clinic as supervisor (a rule when given)."""
    experience = queries.injector_experience([(injector, injector_role)])[injector.pk]
    why = needs_supervision(experience)
    if not why:
        return
    if supervisor is None:
        problems.append(
            ("supervisor", f"{experience.name} has {why}: record the supervising physician.")
        )
    elif role_in(supervisor, clinic) != Role.PHYSICIAN or supervisor.pk == injector.pk:
        problems.append(("supervisor", "The supervisor must be another physician of the clinic."))
    else:
        rules.append(
            {
                "rule": "supervision",
                "status": "ok",
                "message": f"{experience.name} ({why}) supervised by "
                f"{queries.display_name(supervisor, Role.PHYSICIAN)}.",
                "source": SRC_SUPERVISION,
            }
        )


def _new_session(
    *,
    patient: Patient,
    pre: queries.PreSession,
    protocol: tuple[str, dict[str, Any]],
    staff: tuple[User, User, User | None],
    local_now: dt.datetime,
    reason: str,
    early: tuple[point_of_care.EarlyInjection | None, dosing.RuleResult],
    rules: Rules,
) -> Session:
    """The session row, validated, saved (one a day: a race loses with the same words), audited.

    `protocol` is (name, snapshot), `staff` (who starts, injector, supervisor) and `early`
    (the structured early-injection reason, the interval rule's result).
    """
    assert pre.check is not None
    protocol_name, snapshot = protocol
    by, injector, supervisor = staff
    early_reason, interval = early
    session = Session(
        patient=patient,
        date=local_now.date(),
        status=SessionStatus.IN_PROGRESS,
        protocol=protocol_name,
        protocol_definition=snapshot,
        injector=injector,
        supervisor=supervisor if any(r["rule"] == "supervision" for r in rules) else None,
        safety_check=pre.check,
        started_at=local_now,
        prechecks=_prechecks(pre, reason, early_reason, interval, by),
        override_reason=early_reason.text()
        if early_reason and interval.status == "overridden"
        else "",
        rule_results=rules,
    )
    try:
        return save_recorded(
            session,
            action="create",
            category="session",
            patient=patient,
            detail={"protocol": protocol_name, "rules": {r["rule"]: r["status"] for r in rules}},
        )
    except IntegrityError:
        raise SessionError([("", "This patient already has a session today.")]) from None


def _prechecks(
    pre: queries.PreSession,
    reason: str,
    early_reason: point_of_care.EarlyInjection | None,
    interval: dosing.RuleResult,
    by: User,
) -> dict[str, Any]:
    """What was checked before the start, kept on the session (the answers, who, why early)."""
    assert pre.check is not None
    return {
        **pre.check.answers,
        "reason": reason,
        "early": None
        if early_reason is None or interval.status != dosing.RuleStatus.OVERRIDDEN
        else {
            "reason": early_reason.reason.value if early_reason.reason else None,
            "antibody_risk_acknowledged": early_reason.antibody_risk_acknowledged,
            "note": early_reason.note.strip(),
        },
        "answered_by": pre.check.answered_by_id,
        "answered_at": pre.check.answered_at.isoformat(),
        "started_by": by.pk,
    }
