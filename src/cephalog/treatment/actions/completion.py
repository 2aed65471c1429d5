"""Completion (sign and lock), addenda and cancellation of a session."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.db import transaction

from cephalog.accounts.access import require_role
from cephalog.accounts.models import Clinic, Role, User
from cephalog.core.replan import replan
from cephalog.core.time import clinic_now
from cephalog.core.writes import save_recorded
from cephalog.domain import dosing, point_of_care
from cephalog.treatment import queries
from cephalog.treatment.actions.common import (
    CLINICAL,
    SessionError,
    _refused,
    _require_open,
    rule_dict,
)
from cephalog.treatment.actions.recording import _check_sites, _write_sites
from cephalog.treatment.models import BillingLine, Session, SessionAddendum, SessionStatus


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
    problems: list[str | tuple[str, str]] = []
    end = _end_time(session, clinic, ended_at, local_now, problems)

    check, vial_check, cumulative = _checks(session, sites, end, problems)
    given = check.totals.units_given
    discarded = vial_check.units_discarded
    assert discarded is not None
    _write_billing(session, dosing.billing_lines(given, discarded))
    rules = [r for r in session.rule_results if r.get("rule") != cumulative.rule]
    session.rule_results = [*rules, rule_dict(cumulative)]
    _fill(session, check.totals, vial_check.units_opened, discarded)
    session.ended_at = end
    session.topical_anaesthetic = topical_anaesthetic
    session.immediate_reactions = immediate_reactions.strip()
    session.notes = notes.strip()
    session.status = SessionStatus.COMPLETED
    session.signed_by = by
    session.signed_at = local_now
    session.locked = True
    _save_completed(session, check.totals.sites_injected, discarded)
    # The treatment calendar follows the session actually given (next due date, check-ins).
    replan(patient=patient, today=local_now.date())
    return session


def _checks(
    session: Session,
    sites: Sequence[dosing.RecordedSite] | None,
    end: dt.datetime,
    problems: list[str | tuple[str, str]],
) -> tuple[dosing.SessionCheck, dosing.VialCheck, dosing.RuleResult]:
    """The sites (saved first when given), the vials and the cumulative cap; refused with
    every problem, the end time's included."""
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
    cumulative = point_of_care.check_cap(
        queries.exposures(session.patient, session), session.date, given
    )
    if not cumulative.allowed:
        problems.append(("sites", cumulative.message))
    if given == 0:
        problems.append(("sites", "No units given: cancel the session instead."))
    if problems:
        raise SessionError(problems)
    assert vial_check.units_discarded is not None
    return check, vial_check, cumulative


def _fill(session: Session, totals: dosing.SessionTotals, opened: int, discarded: int) -> None:
    """The session's totals: units and sites given, units opened and discarded."""
    session.total_units = totals.units_given
    session.sites_injected = totals.sites_injected
    session.units_opened = opened
    session.units_discarded = discarded


def _save_completed(session: Session, sites_injected: int, discarded: int) -> None:
    """Save the signed session with its audit row: units, sites, waste and the billing lines."""
    save_recorded(
        session,
        action="update",
        category="session",
        patient=session.patient,
        detail={
            "completed": True,
            "units": session.total_units,
            "sites": sites_injected,
            "discarded": discarded,
            "billing": [str(b) for b in session.billing_lines.all()],
        },
    )


def _end_time(
    session: Session,
    clinic: Clinic,
    ended_at: dt.datetime | None,
    local_now: dt.datetime,
    problems: list[str | tuple[str, str]],
) -> dt.datetime:
    """The last injection's time: not before the start (its own minute allowed), not ahead."""
    end = clinic_now(clinic, ended_at or local_now)
    if session.started_at and end < session.started_at:
        # Times are entered to the minute: the start's own minute is not "before" it.
        if end < session.started_at.replace(second=0, microsecond=0):
            problems.append(
                ("ended_at", "The last injection cannot be before the session started.")
            )
        end = session.started_at
    if end > local_now + dt.timedelta(minutes=5):
        problems.append(("ended_at", "The last injection cannot be in the future."))
    return end


def _write_billing(session: Session, lines: Sequence[dosing.BillingLine]) -> None:
    """Replace the session's billing lines with the dosing rules' lines."""
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


@transaction.atomic
def add_addendum(*, session: Session, by: User, text: str) -> SessionAddendum:
    """A correction or late note on a completed session, signed by its author."""
    session = Session.objects.select_related("patient__clinic").get(pk=session.pk)
    require_role(by, session.patient.clinic, CLINICAL, "add an addendum", error=_refused)
    if not session.is_locked:
        raise SessionError([("", "This session is still open: change the record itself.")])
    addendum = SessionAddendum(session=session, author=by, text=text.strip())
    return save_recorded(
        addendum,
        action="create",
        category="session_addendum",
        ref=f"session:{session.pk}",
        patient=session.patient,
        detail=lambda row: {"addendum": row.pk},
    )


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
    return save_recorded(
        session,
        action="update",
        category="session",
        patient=session.patient,
        detail={"cancelled": True},
        update_fields=["status", "notes"],
    )
