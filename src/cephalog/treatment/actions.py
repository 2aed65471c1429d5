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
import zoneinfo
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from cephalog.accounts.access import role_in
from cephalog.accounts.models import Clinic, Role, User
from cephalog.audit.actions import record
from cephalog.domain import dosing
from cephalog.patients.models import Patient
from cephalog.treatment import queries
from cephalog.treatment.models import (
    BillingLine,
    InjectorTraining,
    Session,
    SessionAddendum,
    SessionSite,
    SessionStatus,
    Vial,
)

CLINICAL = (Role.PHYSICIAN, Role.NURSE)

#: Point-of-care sources (clinical-reference §2.4 contraindications, §2.5 pregnancy, §11.6).
SRC_INFECTION = (
    "BOTOX US label §4 (contraindication: infection at the injection site); clinical-reference §2.4"
)
SRC_PREGNANCY = "BOTOX US label §8.1 (no adequate human data); clinical-reference §2.5"
SRC_RED_FLAGS = "BOTOX US label, boxed warning; clinical-reference §2.3, §11.6"
SRC_ELIGIBILITY = "clinical-reference §5, §11.1 (eligibility gates)"


class SessionError(ValueError):
    """A refused session change: `problems` holds one message per problem, each naming the field."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = list(problems)


def clinic_now(clinic: Clinic, now: dt.datetime | None = None) -> dt.datetime:
    """`now` in the clinic's time zone: session dates are the clinic's local dates."""
    return (now or timezone.now()).astimezone(zoneinfo.ZoneInfo(clinic.time_zone))


def _require_role(user: User, clinic: Clinic, roles: Sequence[str], doing: str) -> None:
    if role_in(user, clinic) not in roles:
        allowed = " or ".join(str(Role(r).label).split(" (")[0].lower() for r in roles)
        raise SessionError([f"user: only a {allowed} of {clinic.name} may {doing}"])


def _require_open(session: Session) -> None:
    if session.is_locked:
        raise SessionError(["session: completed and locked; add an addendum instead"])
    if session.status != SessionStatus.IN_PROGRESS:
        raise SessionError([f"session: is {session.get_status_display().lower()}, not in progress"])


def rule_dict(result: dosing.RuleResult) -> dict[str, Any]:
    return {
        "rule": result.rule,
        "status": result.status.value,
        "message": result.message,
        "source": result.source,
    }


# ---------------------------------------------------------------------------
# Point-of-care checks (before the first injection)
# ---------------------------------------------------------------------------


def point_of_care_results(
    *,
    eligibility: queries.Eligibility,
    infection_at_sites: bool,
    red_flags_since_last: bool,
    pregnant: bool,
    precheck_reason: str,
) -> list[dict[str, Any]]:
    """The injector's answers as rule results (same shape as dosing.RuleResult).

    Infection at the sites is a contraindication: refused, no override.
    Pregnancy, new red-flag symptoms and an eligibility that is not
    confirmed each need the documented reason.
    """
    reason = precheck_reason.strip()

    def needs(rule: str, message: str, source: str) -> dict[str, Any]:
        if reason:
            status, text = (
                "overridden",
                f"{message} Proceeding with the documented reason: {reason}",
            )
        else:
            status, text = "needs_override", f"{message} Document a reason to proceed."
        return {"rule": rule, "status": status, "message": text, "source": source}

    results: list[dict[str, Any]] = []
    if eligibility.eligible is True:
        results.append(
            {
                "rule": "eligibility",
                "status": "ok",
                "message": eligibility.summary,
                "source": eligibility.source,
            }
        )
    elif eligibility.hard_stop:
        results.append(
            {
                "rule": "eligibility",
                "status": "refused",
                "message": eligibility.summary,
                "source": eligibility.source,
            }
        )
    else:
        results.append(needs("eligibility", eligibility.summary, eligibility.source))
    if infection_at_sites:
        results.append(
            {
                "rule": "infection_at_sites",
                "status": "refused",
                "message": "Infection at the injection sites today: do not inject.",
                "source": SRC_INFECTION,
            }
        )
    else:
        results.append(
            {
                "rule": "infection_at_sites",
                "status": "ok",
                "message": "No infection at the injection sites today.",
                "source": SRC_INFECTION,
            }
        )
    if red_flags_since_last:
        results.append(
            needs(
                "red_flags",
                "New red-flag symptoms since the last session (swallowing, speech, breathing, "
                "generalised weakness or vision).",
                SRC_RED_FLAGS,
            )
        )
    else:
        results.append(
            {
                "rule": "red_flags",
                "status": "ok",
                "message": "No new red-flag symptoms since the last session.",
                "source": SRC_RED_FLAGS,
            }
        )
    if pregnant:
        results.append(
            needs(
                "pregnancy",
                "The patient is or may be pregnant; there are no adequate human data.",
                SRC_PREGNANCY,
            )
        )
    else:
        results.append(
            {
                "rule": "pregnancy",
                "status": "ok",
                "message": "Not pregnant.",
                "source": SRC_PREGNANCY,
            }
        )
    return results


def continuation_rule(patient: Patient, precheck_reason: str) -> dict[str, Any]:
    """The latest continuation decision (issue 6): a pause or stop needs the documented reason."""
    from cephalog.outcomes.actions import decision_effect

    effect = decision_effect(patient)
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
        "message": f"{message} Document a reason to proceed.",
        "source": source,
    }


def _problems_of(results: Sequence[dict[str, Any]]) -> list[str]:
    return [
        f"{r['rule']}: {r['message']} (source: {r['source']})"
        for r in results
        if r["status"] in (dosing.RuleStatus.REFUSED, dosing.RuleStatus.NEEDS_OVERRIDE)
    ]


@transaction.atomic
def start_session(
    *,
    patient: Patient,
    by: User,
    injector: User,
    protocol_key: str = dosing.PREEMPT_155.name,
    infection_at_sites: bool,
    red_flags_since_last: bool,
    pregnant: bool,
    precheck_reason: str = "",
    override_reason: str = "",
    now: dt.datetime | None = None,
) -> Session:
    """Open today's session after the point-of-care checks and the interval and dose rules.

    Refused (SessionError listing every problem) when: infection at the
    sites; pregnancy, new red flags or unconfirmed eligibility without a
    reason; the interval rule refuses or needs an antibody-risk reason
    (dosing.check_interval); the protocol's fixed dose would break the
    400 U cumulative cap (dosing.check_cumulative_dose).
    """
    clinic = patient.clinic
    _require_role(by, clinic, CLINICAL, "start a session")
    problems: list[str] = []
    if role_in(injector, clinic) not in CLINICAL:
        problems.append(f"injector: must be a physician or nurse of {clinic.name}")
    local_now = clinic_now(clinic, now)
    today = local_now.date()
    if Session.objects.filter(patient=patient, date=today).exclude(status="cancelled").exists():
        raise SessionError(["date: this patient already has a session today"])
    try:
        protocol, snapshot = queries.resolve_protocol(clinic, protocol_key)
    except KeyError:
        raise SessionError([f"protocol: unknown protocol {protocol_key!r}"]) from None

    checks = point_of_care_results(
        eligibility=queries.eligibility_status(patient, today),
        infection_at_sites=infection_at_sites,
        red_flags_since_last=red_flags_since_last,
        pregnant=pregnant,
        precheck_reason=precheck_reason,
    )
    interval = dosing.check_interval(
        queries.last_session_date(patient, today),
        today,
        clinic.minimum_interval_days,
        override_reason.strip() or None,
    )
    cumulative = dosing.check_cumulative_dose(
        queries.toxin_exposures(patient), today, protocol.fixed_units
    )
    rules = [
        *checks,
        continuation_rule(patient, precheck_reason),
        rule_dict(interval),
        rule_dict(cumulative),
    ]
    problems += _problems_of(rules)
    if problems:
        raise SessionError(problems)

    session = Session(
        patient=patient,
        date=today,
        status=SessionStatus.IN_PROGRESS,
        protocol=protocol.name,
        protocol_definition=snapshot,
        injector=injector,
        started_at=local_now,
        prechecks={
            "infection_at_sites": infection_at_sites,
            "red_flags_since_last": red_flags_since_last,
            "pregnant": pregnant,
            "reason": precheck_reason.strip(),
            "answered_by": by.pk,
            "answered_at": local_now.isoformat(),
        },
        override_reason=override_reason.strip(),
        rule_results=rules,
    )
    session.full_clean()
    try:
        with transaction.atomic():
            session.save()
    except IntegrityError:
        raise SessionError(["date: this patient already has a session today"]) from None
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
    _require_role(by, session.patient.clinic, CLINICAL, "record injection sites")
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
    _require_role(by, clinic, CLINICAL, "record a vial")
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
    _require_role(by, session.patient.clinic, CLINICAL, "remove a vial")
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
    _require_role(by, clinic, (Role.PHYSICIAN,), "complete and sign a session")
    _require_open(session)
    local_now = clinic_now(clinic, now)
    end = clinic_now(clinic, ended_at or local_now)
    problems: list[str] = []
    if session.started_at and end < session.started_at:
        # Times are entered to the minute: the start's own minute is not "before" it.
        if end < session.started_at.replace(second=0, microsecond=0):
            problems.append("ended_at: before the session started")
        end = session.started_at
    if end > local_now + dt.timedelta(minutes=5):
        problems.append("ended_at: in the future")

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
    cumulative = dosing.check_cumulative_dose(
        queries.toxin_exposures(patient, session), session.date, given
    )
    if not cumulative.allowed:
        problems.append(f"{cumulative.rule}: {cumulative.message} (source: {cumulative.source})")
    if given == 0:
        problems.append("sites: no units given; cancel the session instead")
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
    from cephalog.scheduling.actions import sync_plan

    sync_plan(patient=patient, today=local_now.date())
    return session


@transaction.atomic
def add_addendum(*, session: Session, by: User, text: str) -> SessionAddendum:
    """A correction or late note on a completed session, signed by its author."""
    session = Session.objects.select_related("patient__clinic").get(pk=session.pk)
    _require_role(by, session.patient.clinic, CLINICAL, "add an addendum")
    if not session.is_locked:
        raise SessionError(["session: still open; change the record itself"])
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
    _require_role(by, session.patient.clinic, CLINICAL, "cancel a session")
    _require_open(session)
    if not reason.strip():
        raise SessionError(["reason: required to cancel a session"])
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
    if role_in(by, clinic) != Role.CLINIC_ADMIN:
        raise PermissionDenied("Only a clinic admin of this clinic records training.")
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
