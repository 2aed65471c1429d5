"""All writes to treatment sessions. The rules are the domain's (cephalog.domain.dosing).

Who may do what (checked here as well as in the views, so the API and
commands get the same answers):

- physicians and nurses of the patient's clinic start a session, answer
  the point-of-care checks, record sites and vials, and add addenda;
- only a physician completes and signs a session (signing locks it);
- clinic admins only read (the billing lines are theirs to use);
- the injector is a physician or nurse of the clinic.

A completed session is locked: nothing on it changes again; corrections
are addenda. Every action is atomic, validates with full_clean() and writes
an audit row in the same transaction.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from cephalog.accounts.access import require_role, role_in
from cephalog.accounts.models import Clinic, Role, User
from cephalog.audit.actions import record
from cephalog.core.errors import AppError
from cephalog.core.replan import replan
from cephalog.core.time import clinic_now
from cephalog.domain import dosing, point_of_care
from cephalog.domain.safety import DEFAULT_AFTERCARE, Evidence
from cephalog.patients.models import Patient
from cephalog.treatment import queries
from cephalog.treatment.models import (
    LOCKED_AFTERCARE,
    AftercareText,
    BillingLine,
    FlagSignOff,
    InjectorTraining,
    PreSessionCheck,
    ProtocolTemplate,
    Session,
    SessionAddendum,
    SessionSite,
    SessionStatus,
    Vial,
)

CLINICAL = (Role.PHYSICIAN, Role.NURSE)

SRC_ELIGIBILITY = "clinical-reference §5, §11.1 (eligibility gates)"
SRC_SUPERVISION = "clinic governance: a new injector treats under a physician's supervision"


class SessionError(AppError):
    """A refused session change.

    Each problem is plain words, optionally tied to the form control that
    caused it: `problems` lists the words, `by_field` groups them by control
    (`""` for the page as a whole), so pages show each one beside its control.
    A domain problem (`vials[0].expiry: ...`) is turned into plain words (`plain`).
    """

    def __init__(self, problems: str | tuple[str, str] | Sequence[str | tuple[str, str]]) -> None:
        if isinstance(problems, str | tuple):
            problems = [problems]
        super().__init__([p if isinstance(p, tuple) else plain(p) for p in problems])
        # The session pages show the words alone (no control names), grouped by control.
        self.problems = [t for texts in self.by_field.values() for t in texts]
        self.args = ("; ".join(self.problems),)


def _refused(words: str) -> SessionError:
    return SessionError([("", words)])


#: Where a domain problem's path points on the session pages.
_FIELD_OF_PATH = {
    "expiry": "expiry",
    "lot": "lot",
    "size_units": "size_units",
    "diluent_ml": "diluent_ml",
    "reconstituted_at": "reconstituted_at",
    "product": "product",
    "ended_at": "ended_at",
    "reason": "reason",
    "injector": "injector",
    "supervisor": "supervisor",
    "protocol": "protocol",
    "text": "text",
}
_PATH = re.compile(r"^(?P<path>[A-Za-z_][\w.\[\]-]*): (?P<text>.+)$", re.S)
_ISO = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")


def _nice_date(m: re.Match[str]) -> str:
    d = dt.date(int(m[1]), int(m[2]), int(m[3]))
    return f"{d.day} {d:%b %Y}"


def plain(problem: str) -> tuple[str, str]:
    """A domain problem (`vials[0].expiry: lot X expired on 2026-01-01, ...`) as (control,
    plain words): the path prefix names the control and never shows; dates read as dates."""
    field, text = "", problem
    m = _PATH.match(problem)
    if m and " " not in m["path"]:
        path = m["path"]
        leaf = re.sub(r"\[\d+\]", "", path.rsplit(".", 1)[-1])
        if leaf in _FIELD_OF_PATH:
            field = _FIELD_OF_PATH[leaf]
        elif path.startswith(("sites", "total", "follow-the-pain")) or dosing.get_site(path):
            field = "sites"
        text = m["text"]
        if dosing.get_site(path):
            text = f"{path}: {text}"
    text = _SITE.sub(_site_name, _ISO.sub(_nice_date, text)).strip()
    return field, text[:1].upper() + text[1:]


_SITE = re.compile(r"\b[a-z_]+-[LRM]-\d+\b")


def _site_name(m: re.Match[str]) -> str:
    site = dosing.get_site(m[0])
    return queries.site_label(site) if site is not None else m[0]


def _require_open(session: Session) -> None:
    if session.is_locked:
        raise SessionError([("", "This session is completed and locked: add an addendum instead.")])
    if session.status != SessionStatus.IN_PROGRESS:
        raise SessionError(
            [("", f"This session is {session.get_status_display().lower()}, not in progress.")]
        )


def rule_dict(result: dosing.RuleResult) -> dict[str, Any]:
    return {
        "rule": result.rule,
        "status": result.status.value,
        "message": result.message,
        "source": result.source,
    }


# ---------------------------------------------------------------------------
# The safety check before a session (issues 14.3, 17.3; rules: domain.point_of_care)
# ---------------------------------------------------------------------------


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
    check.full_clean()
    check.save()
    record(
        action="create",
        category="session_check",
        patient=patient,
        object_ref=f"session_check:{check.pk}",
        detail={k: v for k, v in check.answers.items() if k != "new_since_last_note"},
    )
    return check


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
    sign_off.full_clean()
    sign_off.save()
    record(
        action="create",
        category="session_flag_sign_off",
        patient=patient,
        object_ref=f"session_check:{pre.check.pk}",
        detail={"flag": flag},
    )
    return sign_off


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
    problems: list[str | tuple[str, str]] = []
    injector_role = role_in(injector, clinic)
    if injector_role not in CLINICAL:
        problems.append(("injector", f"Choose a physician or nurse of {clinic.name}."))
    local_now = clinic_now(clinic, now)
    today = local_now.date()
    if Session.objects.filter(patient=patient, date=today).exclude(status="cancelled").exists():
        raise SessionError([("", "This patient already has a session today.")])
    try:
        protocol, snapshot = queries.resolve_protocol(clinic, protocol_key)
    except KeyError:
        raise SessionError([("protocol", "Choose one of the listed protocols.")]) from None

    if infection_at_sites is not None or red_flags_since_last is not None or pregnant is not None:
        record_check(
            patient=patient,
            by=by,
            answers=point_of_care.Answers(
                infection_at_sites=bool(infection_at_sites),
                red_flags_since_last=bool(red_flags_since_last),
                pregnant=bool(pregnant),
                new_since_last=new_since_last,
                new_since_last_note=new_since_last_note,
            ),
            now=local_now,
        )
    pre = queries.pre_session(patient, today)
    rules: list[dict[str, Any]] = []
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

    eligibility = pre.eligibility
    reason = precheck_reason.strip()
    if eligibility.eligible is True:
        rules.append(
            {
                "rule": "eligibility",
                "status": "ok",
                "message": eligibility.summary,
                "source": eligibility.source,
            }
        )
    elif eligibility.hard_stop:
        rules.append(
            {
                "rule": "eligibility",
                "status": "refused",
                "message": eligibility.summary,
                "source": eligibility.source,
            }
        )
    elif reason:
        rules.append(
            {
                "rule": "eligibility",
                "status": "overridden",
                "message": f"{eligibility.summary} Going ahead with the reason: {reason}",
                "source": eligibility.source,
            }
        )
    else:
        rules.append(
            {
                "rule": "eligibility",
                "status": "needs_override",
                "message": f"{eligibility.summary} Give a reason to go ahead, or record a "
                "decision to start.",
                "source": eligibility.source,
            }
        )
    rules.append(continuation_rule(patient, reason))
    interval = queries.check_interval(patient, today, early)
    cap = point_of_care.check_cap(queries.exposures(patient), today, protocol.fixed_units)
    rules += [rule_dict(interval), rule_dict(cap)]
    for r in rules:
        blocking = r["status"] in (dosing.RuleStatus.REFUSED, dosing.RuleStatus.NEEDS_OVERRIDE)
        if blocking and r["rule"] != "hard_stop":  # hard stops are listed above
            problems.append((_field_of_rule(r["rule"]), r["message"]))

    if injector_role in CLINICAL:
        experience = queries.injector_experience([(injector, injector_role)])[injector.pk]
        why = needs_supervision(experience)
        if why:
            if supervisor is None:
                problems.append(
                    (
                        "supervisor",
                        f"{experience.name} has {why}: record the supervising physician.",
                    )
                )
            elif role_in(supervisor, clinic) != Role.PHYSICIAN or supervisor.pk == injector.pk:
                problems.append(
                    ("supervisor", "The supervisor must be another physician of the clinic.")
                )
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
    if problems:
        raise SessionError(problems)
    assert pre.check is not None

    session = Session(
        patient=patient,
        date=today,
        status=SessionStatus.IN_PROGRESS,
        protocol=protocol.name,
        protocol_definition=snapshot,
        injector=injector,
        supervisor=supervisor if any(r["rule"] == "supervision" for r in rules) else None,
        safety_check=pre.check,
        started_at=local_now,
        prechecks={
            **pre.check.answers,
            "reason": reason,
            "early": None
            if early is None or interval.status != dosing.RuleStatus.OVERRIDDEN
            else {
                "reason": early.reason.value if early.reason else None,
                "antibody_risk_acknowledged": early.antibody_risk_acknowledged,
                "note": early.note.strip(),
            },
            "answered_by": pre.check.answered_by_id,
            "answered_at": pre.check.answered_at.isoformat(),
            "started_by": by.pk,
        },
        override_reason=early.text() if early and interval.status == "overridden" else "",
        rule_results=rules,
    )
    session.full_clean()
    try:
        with transaction.atomic():
            session.save()
    except IntegrityError:
        raise SessionError([("", "This patient already has a session today.")]) from None
    record(
        action="create",
        category="session",
        patient=patient,
        object_ref=f"session:{session.pk}",
        detail={"protocol": protocol.name, "rules": {r["rule"]: r["status"] for r in rules}},
    )
    return session


# ---------------------------------------------------------------------------
# Sites
# ---------------------------------------------------------------------------


def _check_sites(session: Session, sites: Sequence[dosing.RecordedSite]) -> None:
    """Refuse what can never become valid; fixed sites still to do are allowed while in progress.

    Fixed sites not yet recorded are checked as if skipped, so the protocol
    maximum is checked against the smallest total still possible.
    """
    protocol = queries.session_protocol(session)
    recorded = {s.code for s in sites}
    padded = [
        *sites,
        *(
            dosing.RecordedSite(s.code, dosing.SiteStatus.SKIPPED, 0, "not yet recorded")
            for s in protocol.fixed_sites
            if s.code not in recorded
        ),
    ]
    problems = list(dosing.validate_session(padded, protocol).problems)
    if problems:
        raise SessionError(problems)


def _write_sites(session: Session, sites: Sequence[dosing.RecordedSite]) -> None:
    session.sites.all().delete()
    rows = []
    for s in sites:
        site = dosing.get_site(s.code)
        assert site is not None  # _check_sites refused unknown codes
        row = SessionSite(
            session=session,
            code=s.code,
            muscle=site.muscle.value,
            side=site.side.value,
            status=s.status.value,
            units=s.units,
            skip_reason=(s.skip_reason or "").strip(),
        )
        row.full_clean(exclude=["session"])
        rows.append(row)
    SessionSite.objects.bulk_create(rows)


@transaction.atomic
def record_sites(*, session: Session, by: User, sites: Sequence[dosing.RecordedSite]) -> Session:
    """Save the sites ticked so far (replacing the previous save) while the session is open."""
    session = (
        Session.objects.select_for_update().select_related("patient__clinic").get(pk=session.pk)
    )
    require_role(by, session.patient.clinic, CLINICAL, "record injection sites", error=_refused)
    _require_open(session)
    _check_sites(session, sites)
    _write_sites(session, sites)
    totals = dosing.session_totals(sites)
    record(
        action="update",
        category="session",
        patient=session.patient,
        object_ref=f"session:{session.pk}",
        detail={"sites": len(sites), "units": totals.units_given},
    )
    return session


# ---------------------------------------------------------------------------
# Vials
# ---------------------------------------------------------------------------


@transaction.atomic
def add_vial(
    *,
    session: Session,
    by: User,
    lot: str,
    expiry: dt.date,
    size_units: int,
    diluent_ml: Decimal,
    reconstituted_at: dt.datetime,
    product: str = dosing.PRODUCT,
    now: dt.datetime | None = None,
) -> Vial:
    """Record a vial opened for the session; refused when dosing.check_vial objects now.

    Expired lots, a concentration other than 5 U per 0.1 mL and a
    reconstitution more than 24 h ago (or in the future) are refused.
    """
    session = (
        Session.objects.select_for_update().select_related("patient__clinic").get(pk=session.pk)
    )
    clinic = session.patient.clinic
    require_role(by, clinic, CLINICAL, "record a vial", error=_refused)
    _require_open(session)
    vial = Vial(
        session=session,
        product=product.strip(),
        lot=lot.strip(),
        expiry=expiry,
        size_units=size_units,
        diluent_ml=diluent_ml,
        reconstituted_at=reconstituted_at,
    )
    problems = dosing.check_vial(vial.to_domain(), used_at=clinic_now(clinic, now), prefix="vial")
    if problems:
        raise SessionError(problems)
    vial.full_clean()
    vial.save()
    record(
        action="create",
        category="session_vial",
        patient=session.patient,
        object_ref=f"session:{session.pk}",
        detail={"lot": vial.lot, "size_units": vial.size_units},
    )
    return vial


@transaction.atomic
def remove_vial(*, vial: Vial, by: User) -> None:
    """Take back a vial recorded by mistake while the session is still open."""
    session = (
        Session.objects.select_for_update()
        .select_related("patient__clinic")
        .get(pk=vial.session_id)
    )
    require_role(by, session.patient.clinic, CLINICAL, "remove a vial", error=_refused)
    _require_open(session)
    lot = vial.lot
    vial.delete()
    record(
        action="delete",
        category="session_vial",
        patient=session.patient,
        object_ref=f"session:{session.pk}",
        detail={"lot": lot},
    )


# ---------------------------------------------------------------------------
# Completion, addenda, cancellation
# ---------------------------------------------------------------------------


@transaction.atomic
def complete_session(
    *,
    session: Session,
    by: User,
    sites: Sequence[dosing.RecordedSite] | None = None,
    ended_at: dt.datetime | None = None,
    topical_anaesthetic: str = "",
    immediate_reactions: str = "",
    notes: str = "",
    now: dt.datetime | None = None,
) -> Session:
    """Save the sites, check everything, compute totals, waste and billing, sign and lock.

    One transaction: the sites, the totals, the billing lines and the lock
    are written together or not at all. Refused (SessionError) unless the
    site record is complete and valid for the protocol
    (dosing.validate_session), every vial is usable at the end time and
    covers the units given (dosing.check_vials), and the 400 U cumulative
    cap holds with the units actually given (dosing.check_cumulative_dose).
    Only a physician signs.
    """
    session = (
        Session.objects.select_for_update().select_related("patient__clinic").get(pk=session.pk)
    )
    patient = session.patient
    clinic = patient.clinic
    require_role(by, clinic, (Role.PHYSICIAN,), "complete and sign a session", error=_refused)
    _require_open(session)
    local_now = clinic_now(clinic, now)
    end = clinic_now(clinic, ended_at or local_now)
    problems: list[str | tuple[str, str]] = []
    if session.started_at and end < session.started_at:
        # Times are entered to the minute: the start's own minute is not "before" it.
        if end < session.started_at.replace(second=0, microsecond=0):
            problems.append(
                ("ended_at", "The last injection cannot be before the session started.")
            )
        end = session.started_at
    if end > local_now + dt.timedelta(minutes=5):
        problems.append(("ended_at", "The last injection cannot be in the future."))

    if sites is not None:
        _check_sites(session, sites)
        _write_sites(session, sites)
    recorded = [
        dosing.RecordedSite(s.code, dosing.SiteStatus(s.status), s.units, s.skip_reason or None)
        for s in session.sites.all()
    ]
    check = dosing.validate_session(recorded, queries.session_protocol(session))
    problems += check.problems
    given = check.totals.units_given
    vials = [v.to_domain() for v in session.vials.all()]
    vial_check = dosing.check_vials(vials, used_at=end, units_given=given)
    problems += vial_check.problems
    cumulative = point_of_care.check_cap(queries.exposures(patient, session), session.date, given)
    if not cumulative.allowed:
        problems.append(("sites", cumulative.message))
    if given == 0:
        problems.append(("sites", "No units given: cancel the session instead."))
    if problems:
        raise SessionError(problems)
    assert vial_check.units_discarded is not None

    lines = dosing.billing_lines(given, vial_check.units_discarded)
    session.billing_lines.all().delete()
    for line in lines:
        row = BillingLine(
            session=session,
            code=line.code,
            modifier="-".join(line.modifiers),
            units=line.units,
            description=line.description,
        )
        row.full_clean(exclude=["session"])
        row.save()

    rules = [r for r in session.rule_results if r.get("rule") != cumulative.rule]
    session.rule_results = [*rules, rule_dict(cumulative)]
    session.total_units = given
    session.sites_injected = check.totals.sites_injected
    session.units_opened = vial_check.units_opened
    session.units_discarded = vial_check.units_discarded
    session.ended_at = end
    session.topical_anaesthetic = topical_anaesthetic
    session.immediate_reactions = immediate_reactions.strip()
    session.notes = notes.strip()
    session.status = SessionStatus.COMPLETED
    session.signed_by = by
    session.signed_at = local_now
    session.locked = True
    session.full_clean()
    session.save()
    record(
        action="update",
        category="session",
        patient=patient,
        object_ref=f"session:{session.pk}",
        detail={
            "completed": True,
            "units": given,
            "sites": check.totals.sites_injected,
            "discarded": vial_check.units_discarded,
            "billing": [str(b) for b in session.billing_lines.all()],
        },
    )
    # The treatment calendar follows the session actually given (next due date, check-ins).
    replan(patient=patient, today=local_now.date())
    return session


@transaction.atomic
def add_addendum(*, session: Session, by: User, text: str) -> SessionAddendum:
    """A correction or late note on a completed session, signed by its author."""
    session = Session.objects.select_related("patient__clinic").get(pk=session.pk)
    require_role(by, session.patient.clinic, CLINICAL, "add an addendum", error=_refused)
    if not session.is_locked:
        raise SessionError([("", "This session is still open: change the record itself.")])
    addendum = SessionAddendum(session=session, author=by, text=text.strip())
    addendum.full_clean()
    addendum.save()
    record(
        action="create",
        category="session_addendum",
        patient=session.patient,
        object_ref=f"session:{session.pk}",
        detail={"addendum": addendum.pk},
    )
    return addendum


@transaction.atomic
def cancel_session(*, session: Session, by: User, reason: str) -> Session:
    """Abandon an open session (e.g. the patient declined); it no longer counts anywhere."""
    session = (
        Session.objects.select_for_update().select_related("patient__clinic").get(pk=session.pk)
    )
    require_role(by, session.patient.clinic, CLINICAL, "cancel a session", error=_refused)
    _require_open(session)
    if not reason.strip():
        raise SessionError([("reason", "Give a reason for cancelling.")])
    session.status = SessionStatus.CANCELLED
    session.notes = f"Cancelled: {reason.strip()}"
    session.full_clean()
    session.save(update_fields=["status", "notes"])
    record(
        action="update",
        category="session",
        patient=session.patient,
        object_ref=f"session:{session.pk}",
        detail={"cancelled": True},
    )
    return session


# --- injector training (recorded by clinic admins on the Staff page, issue 17.5) --------------


@transaction.atomic
def record_injector_training(
    *,
    clinic: Clinic,
    by: Any,
    user: User,
    course: str,
    completed_on: dt.date,
    provider: str = "",
    today: dt.date | None = None,
) -> InjectorTraining:
    """Record a training course a physician (injector) of the clinic completed."""
    require_role(by, clinic, (Role.CLINIC_ADMIN,), "record training")
    today = today or timezone.localdate()
    if completed_on > today:
        raise ValidationError({"completed_on": "The course date cannot be in the future."})
    training = InjectorTraining(
        clinic=clinic,
        user=user,
        course=(course or "").strip(),
        provider=(provider or "").strip(),
        completed_on=completed_on,
    )
    training.full_clean()
    training.save()
    record(
        action="create",
        category="injector_training",
        clinic_id=clinic.pk,
        user=by,
        object_ref=f"user:{user.pk}",
        detail={"training": training.pk},
    )
    return training


# --- the clinic's aftercare advice (the Aftercare page, clinic admins) --------------------------

#: Longest aftercare item, in characters.
AFTERCARE_TEXT_MAX = 1000
_DEFAULTS = {i.key: i for i in DEFAULT_AFTERCARE}


def _require_admin(by: Any, clinic: Clinic, doing: str) -> None:
    require_role(by, clinic, (Role.CLINIC_ADMIN,), doing)


@transaction.atomic
def save_aftercare(*, clinic: Clinic, by: Any, items: Sequence[dict[str, str]]) -> AftercareText:
    """Replace the clinic's aftercare advice (clinical-reference §10). Clinic admins only.

    `items` are `{"key", "text"}` in the order shown, with `"evidence"` for the clinic's
    own. The label's items keep their `label_guidance` marking and may be reworded but not
    removed, except the signs of spread of toxin effect (`LOCKED_AFTERCARE`), which are
    always the label's words; anything the clinic adds is an `optional_precaution`.
    Refused whole (nothing stored) with each problem; audited with the keys changed.
    """
    _require_admin(by, clinic, "change the aftercare advice")
    problems: list[tuple[str, str]] = []
    stored: list[dict[str, str]] = []
    seen: set[str] = set()
    for item in items:
        key = str(item.get("key", "")).strip()
        text = " ".join(str(item.get("text", "")).split())
        default = _DEFAULTS.get(key)
        if not key or key in seen:
            raise ValueError(f"save_aftercare: missing or repeated key {key!r}")
        seen.add(key)
        label = default is not None and default.evidence is Evidence.LABEL_GUIDANCE
        if key in LOCKED_AFTERCARE:
            text = LOCKED_AFTERCARE[key]
        if not text:
            if label:
                problems.append(
                    (
                        key,
                        "This advice is from the medicine's label: it cannot be removed. "
                        "Reword it, or put back the label's words.",
                    )
                )
            continue  # an emptied optional precaution is removed
        if len(text) > AFTERCARE_TEXT_MAX:
            problems.append((key, f"Use at most {AFTERCARE_TEXT_MAX} characters."))
        stored.append(
            {
                "key": key,
                "text": text,
                "evidence": (
                    Evidence.LABEL_GUIDANCE if label else Evidence.OPTIONAL_PRECAUTION
                ).value,
                "source": default.source if default is not None else "",
            }
        )
    for default in DEFAULT_AFTERCARE:  # the label's advice always stays
        if default.evidence is Evidence.LABEL_GUIDANCE and default.key not in seen:
            stored.append(
                {
                    "key": default.key,
                    "text": default.text,
                    "evidence": default.evidence.value,
                    "source": default.source,
                }
            )
    if problems:
        raise AppError(problems)
    row = AftercareText.objects.select_for_update().filter(clinic=clinic).first()
    # Compared with what patients read until now (the standard advice when the clinic had none).
    before = (
        {str(i.get("key")): i.get("text") for i in row.items}
        if row is not None and row.items
        else {i.key: i.text for i in DEFAULT_AFTERCARE}
    )
    if row is None:
        row = AftercareText(clinic=clinic)
    row.items = stored
    try:
        row.full_clean()
    except ValidationError as error:
        raise AppError.from_validation(error) from None
    row.save()
    after = {i["key"]: i["text"] for i in stored}
    record(
        action="update",
        category="aftercare",
        clinic_id=clinic.pk,
        user=by,
        object_ref=f"aftercare:{row.pk}",
        detail={
            "items": len(stored),
            "added": sorted(set(after) - set(before)),
            "removed": sorted(set(before) - set(after)),
            "reworded": sorted(k for k in after if k in before and before[k] != after[k]),
        },
    )
    return row


@transaction.atomic
def reset_aftercare(*, clinic: Clinic, by: Any) -> bool:
    """Go back to cephalog's standard advice (the domain's); True when the clinic had its own."""
    _require_admin(by, clinic, "change the aftercare advice")
    deleted, _ = AftercareText.objects.filter(clinic=clinic).delete()
    if deleted:
        record(
            action="delete",
            category="aftercare",
            clinic_id=clinic.pk,
            user=by,
            detail={"reset": "standard advice"},
        )
    return bool(deleted)


# --- the clinic's protocol templates (the Protocol templates page) ------------------------------

#: Who keeps the clinic's protocol templates: clinic admins, and physicians (a template is a
#: clinical choice within PREEMPT; the domain's rules bound it whoever writes it). Nurses
#: choose a template when starting a session but do not change them.
PROTOCOL_EDITORS = (Role.CLINIC_ADMIN, Role.PHYSICIAN)
_FTP_MUSCLES = tuple(dosing.FTP_CAPS)


def _require_editor(by: Any, clinic: Clinic) -> None:
    require_role(by, clinic, PROTOCOL_EDITORS, "keep protocol templates")


def _plain_protocol_problem(problem: str) -> tuple[str, str]:
    """`dosing.validate_protocol`'s `"max_units: must be ..."` / `"ftp_caps[temporalis]: ..."`
    as (form field, words): the field is the page's (`ftp_temporalis`)."""
    m = re.match(r"^(?:definition: )?ftp_caps\[(\w+)\]: (.+)$", problem)
    if m:
        return f"ftp_{m[1]}", m[2][0].upper() + m[2][1:] + "."
    m = re.match(r"^(?:definition: )?(max_units|max_sites|name): (.+)$", problem)
    if m:
        return m[1], m[2][0].upper() + m[2][1:] + "."
    return "", problem


def _check_template(template: ProtocolTemplate) -> None:
    """Validated against the domain's dosing rules; refused field by field."""
    try:
        template.full_clean()
    except ValidationError as error:
        items: list[tuple[str, str]] = []
        for field, messages in error.message_dict.items():
            for message in messages:
                if field == "definition":
                    items.append(_plain_protocol_problem(message))
                elif field == "__all__" and "name" in message.lower():
                    items.append(("name", "Another template of this clinic has this short name."))
                else:
                    items.append((field if field != "__all__" else "", message))
        raise AppError(items) from None


def _definition(max_units: int, max_sites: int, ftp_caps: dict[str, int]) -> dict[str, Any]:
    return {
        "ftp_caps": {m.value: int(ftp_caps.get(m.value, 0)) for m in _FTP_MUSCLES},
        "max_units": max_units,
        "max_sites": max_sites,
    }


@transaction.atomic
def create_protocol_template(
    *,
    clinic: Clinic,
    by: Any,
    name: str,
    title: str,
    max_units: int,
    max_sites: int,
    ftp_caps: dict[str, int],
) -> ProtocolTemplate:
    """Add a clinic protocol: PREEMPT narrowed, never widened (`dosing.validate_protocol`).

    The 31 fixed sites at 5 U are always part of it; `ftp_caps` gives the extra
    follow-the-pain sites allowed in temporalis, occipitalis and trapezius.
    """
    _require_editor(by, clinic)
    template = ProtocolTemplate(
        clinic=clinic,
        name=(name or "").strip().lower(),
        title=" ".join((title or "").split()),
        definition=_definition(max_units, max_sites, ftp_caps),
        active=True,
    )
    _check_template(template)
    template.save()
    record(
        action="create",
        category="protocol_template",
        clinic_id=clinic.pk,
        user=by,
        object_ref=f"protocol_template:{template.pk}",
        detail={"name": template.name, "definition": template.definition},
    )
    return template


@transaction.atomic
def update_protocol_template(
    *,
    template: ProtocolTemplate,
    by: Any,
    title: str,
    max_units: int,
    max_sites: int,
    ftp_caps: dict[str, int],
) -> list[str]:
    """Change a template's title and limits (its short name is the key sessions store, so it
    stays). Sessions already started keep the protocol they were started with (their
    snapshot). Returns the fields changed; audited with before and after."""
    template = ProtocolTemplate.objects.select_for_update().get(pk=template.pk)
    _require_editor(by, template.clinic)
    before = {"title": template.title, "definition": template.definition}
    template.title = " ".join((title or "").split())
    template.definition = _definition(max_units, max_sites, ftp_caps)
    _check_template(template)
    changed = [f for f in before if getattr(template, f) != before[f]]
    if changed:
        template.save(update_fields=changed)
        record(
            action="update",
            category="protocol_template",
            clinic_id=template.clinic_id,
            user=by,
            object_ref=f"protocol_template:{template.pk}",
            detail={
                "changed": changed,
                "before": {f: before[f] for f in changed},
                "after": {f: getattr(template, f) for f in changed},
            },
        )
    return changed


@transaction.atomic
def set_protocol_template_active(
    *, template: ProtocolTemplate, by: Any, active: bool
) -> ProtocolTemplate:
    """Retire a template (it leaves the choice of protocols for new sessions; sessions that
    used it keep it) or bring it back (checked against the dosing rules again)."""
    template = ProtocolTemplate.objects.select_for_update().get(pk=template.pk)
    _require_editor(by, template.clinic)
    if template.active == active:
        return template
    template.active = active
    if active:
        _check_template(template)
    template.save(update_fields=["active"])
    record(
        action="update",
        category="protocol_template",
        clinic_id=template.clinic_id,
        user=by,
        object_ref=f"protocol_template:{template.pk}",
        detail={"changed": ["active"], "after": {"active": active}},
    )
    return template
