"""Storing a session as another system recorded it (a FHIR import).

The session actions (`cephalog.treatment.actions`) record a session happening now: vial
expiry and reconstitution are checked against the current time, sites against the
protocol while it is open. An imported session is already completed (or cancelled), so
it has its own action: the session, its vials, its sites and its provenance addendum are
checked by their models (`full_clean`), saved together and audited with one row. Who may
import is checked by the importer (`cephalog.interop.fhir_import.import_bundle`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import IntegrityError, transaction

from cephalog.core.errors import AppError
from cephalog.core.writes import save_audited, save_validated
from cephalog.treatment.models import Session, SessionAddendum, SessionSite, Vial

#: A refused part of a session: ("vial" | "site" | "provenance", its index, why).
type RefusedPart = tuple[str, int, AppError | IntegrityError]


class SessionPartsRefused(Exception):
    """Some vials, sites or the provenance addendum were refused; nothing was stored."""

    def __init__(self, refused: Sequence[RefusedPart]) -> None:
        self.refused = list(refused)
        super().__init__(f"{len(self.refused)} part(s) of the session refused")


@transaction.atomic
def import_session(
    *,
    session: Session,
    vials: Sequence[Vial],
    sites: Sequence[SessionSite],
    provenance: str,
    by: Any,
) -> Session:
    """Store an imported session (unsaved, with its patient) with its vials and sites
    (unsaved) and an addendum by `by` saying where it came from (`provenance`): all of
    them or none. The session's own refusal raises `AppError` (or `IntegrityError`);
    its parts' refusals, each checked, raise `SessionPartsRefused` listing them all."""
    save_audited(
        session,
        action="import",
        category="session",
        patient=session.patient,
        user=by,
        detail={"vials": len(vials), "sites": len(sites)},
    )
    addendum = SessionAddendum(author=by, text=provenance)
    parts: list[tuple[str, int, Vial | SessionSite | SessionAddendum]] = [
        *(("vial", i, vial) for i, vial in enumerate(vials)),
        *(("site", i, site) for i, site in enumerate(sites)),
        ("provenance", 0, addendum),
    ]
    refused: list[RefusedPart] = []
    for kind, index, part in parts:
        part.session = session
        try:
            with transaction.atomic():  # a refused part leaves the others' savepoint usable
                save_validated(part)
        except (AppError, IntegrityError) as error:
            refused.append((kind, index, error))
    if refused:
        raise SessionPartsRefused(refused)
    return session
