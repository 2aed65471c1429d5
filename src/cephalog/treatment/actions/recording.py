"""Sites and vials of an open session."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

from django.db import transaction

from cephalog.accounts.access import require_role
from cephalog.accounts.models import User
from cephalog.audit.actions import record
from cephalog.core.time import clinic_now
from cephalog.core.writes import save_recorded
from cephalog.domain import dosing
from cephalog.treatment import queries
from cephalog.treatment.actions.common import (
    CLINICAL,
    SessionError,
    _refused,
    _require_open,
)
from cephalog.treatment.models import Session, SessionSite, Vial

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
    return save_recorded(
        vial,
        action="create",
        category="session_vial",
        ref=f"session:{session.pk}",
        patient=session.patient,
        detail={"lot": vial.lot, "size_units": vial.size_units},
    )


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
