"""The session page, read in a fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cephalog.accounts.models import Membership
from cephalog.domain import dosing
from cephalog.treatment.models import (
    Session,
    SessionStatus,
)
from cephalog.treatment.queries.protocols import session_protocol
from cephalog.treatment.queries.rules import RuleView, rule_view
from cephalog.treatment.queries.sites import (
    MapPanel,
    MuscleGroup,
    map_panels,
    recorded_sites,
    site_rows,
)
from cephalog.treatment.queries.staff import Experience, display_name, injector_experience


@dataclass(frozen=True)
class BillingRow:
    code: str
    modifier: str
    units: int
    description: str


@dataclass
class SessionPage:
    """Everything the session page shows, read in a fixed number of queries."""

    session: Session
    protocol: dosing.Protocol
    groups: list[MuscleGroup]
    panels: list[MapPanel]
    check: dosing.SessionCheck
    vials: list[Any]
    units_opened: int
    units_discarded: int | None
    billing: list[BillingRow]  # saved lines, or the domain's lines as a preview
    billing_is_preview: bool
    addenda: list[Any]
    rules: list[RuleView]
    injector: Experience | None
    signer_name: str

    @property
    def totals(self) -> dosing.SessionTotals:
        return self.check.totals

    @property
    def fixed_pending(self) -> int:
        return sum(1 for g in self.groups for r in g.rows if r.status == "pending")


def _billing(
    session: Session, recording: bool, given: int, waste: int | None
) -> tuple[list[BillingRow], bool]:
    """The saved billing lines, or the domain's lines as a preview (True) while open."""
    billing = [
        BillingRow(b.code, b.modifier, b.units, b.description)
        for b in ([] if recording else session.billing_lines.order_by("id"))
    ]
    preview = False
    if not billing and not session.is_locked and given > 0 and waste is not None:
        billing = [
            BillingRow(b.code, "-".join(b.modifiers), b.units, b.description)
            for b in dosing.billing_lines(given, waste)
        ]
        preview = True
    return billing, preview


def _people(session: Session) -> tuple[Experience | None, str]:
    """The injector's experience and the signer's name, with their roles in the clinic."""
    roles: dict[int, str] = {}
    users = [u for u in (session.injector, session.signed_by) if u is not None]
    if users:
        roles = dict(
            Membership.objects.filter(
                clinic_id=session.patient.clinic_id, user__in=users
            ).values_list("user_id", "role")
        )
    injector = None
    if session.injector is not None:
        injector = injector_experience([(session.injector, roles.get(session.injector.pk))])[
            session.injector.pk
        ]
    signer = (
        display_name(session.signed_by, roles.get(session.signed_by.pk))
        if session.signed_by is not None
        else ""
    )
    return injector, signer


def session_page(
    session: Session, *, posted_sites: list[dosing.RecordedSite] | None = None
) -> SessionPage:
    """The session page's data; `posted_sites` (a refused form) replaces the saved sites."""
    protocol = session_protocol(session)
    # Children in their own order: the models' default ("session", ...) would join the
    # session and the patient for Session's and Patient's default orderings.
    recorded = (
        posted_sites if posted_sites is not None else recorded_sites(session.sites.order_by("id"))
    )
    groups = site_rows(protocol, recorded)
    check = dosing.validate_session(recorded, protocol)
    vials = list(session.vials.order_by("id"))
    given = check.totals.units_given
    if session.is_locked and posted_sites is None and not recorded:
        # Sessions recorded before site-by-site recording (e.g. imported): trust the totals.
        given = session.total_units
    opened = dosing.units_opened(v.to_domain() for v in vials)
    waste = opened - given if opened >= given else None
    # Billing lines are saved on completion and addenda added after it: a session being
    # recorded has neither (the page previews the billing and shows no addenda).
    recording = session.status == SessionStatus.IN_PROGRESS and not session.is_locked
    billing, preview = _billing(session, recording, given, waste)
    injector, signer = _people(session)
    return SessionPage(
        session=session,
        protocol=protocol,
        groups=groups,
        panels=map_panels(groups),
        check=check,
        vials=vials,
        units_opened=opened,
        units_discarded=waste,
        billing=billing,
        billing_is_preview=preview,
        addenda=(
            []
            if recording
            else list(session.addenda.select_related("author").order_by("created_at", "id"))
        ),
        rules=[rule_view(r) for r in session.rule_results],
        injector=injector,
        signer_name=signer,
    )
