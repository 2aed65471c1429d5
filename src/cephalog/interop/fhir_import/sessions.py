"""Writing the treatment: sessions (Procedure) with their vials (Medication) and sites
(MedicationAdministration), and bridging treatments."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.apps import apps

from cephalog.domain import dosing
from cephalog.interop import codes as c
from cephalog.interop.fhir import Json
from cephalog.interop.fhir_import.reader import _display
from cephalog.interop.fhir_import.result import IMPORT_REASON
from cephalog.interop.fhir_import.values import (
    _choice,
    _date,
    _datetime,
    _int,
    _need_date,
    _number,
    code_of,
    extension,
)
from cephalog.interop.fhir_import.writer import _Writer


def write_sessions(writer: _Writer) -> dict[str, Any]:
    """Store each completed (or cancelled) onabotulinumtoxinA session with its vials, sites
    and a provenance addendum (`import_session`); the stored sessions by their entry's
    fullUrl."""
    administrations = _administrations(writer)
    out: dict[str, Any] = {}
    for url, proc in writer.r.of_type("Procedure"):
        status = _session_status(writer, proc)
        if status is None:
            continue
        where = f"Procedure {str((proc.get('performedPeriod') or {}).get('start', ''))[:10]}"
        problems: list[str] = []
        session = _session(writer, proc, status, where, problems)
        writer.problems.extend(problems)
        if not problems and _store_session(
            writer, proc, session, administrations.get(url, []), where
        ):
            out[url] = session
    return out


def _store_session(
    writer: _Writer, proc: Json, session: Any, administrations: list[Json], where: str
) -> bool:
    """Read the session's vials and sites and store them with it; True when stored."""
    from cephalog.treatment.import_actions import SessionPartsRefused, import_session
    from cephalog.treatment.models import SessionSite, Vial

    vials: list[tuple[str, Any]] = []  # (where, unsaved row)
    for vial_ref in proc.get("usedReference") or []:
        vial = writer.r.resolve(vial_ref, proc)
        if vial and vial.get("resourceType") == "Medication":
            writer.r.use(vial)
            row = _vial(writer, session, vial, where, Vial)
            if row is not None:
                vials.append((f"{where} vial {row.lot}", row))
    sites: list[tuple[str, Any]] = []
    for ma in administrations:
        writer.r.use(ma)
        row = _site(writer, session, ma, where, SessionSite)
        if row is not None:
            sites.append((f"{where} site {row.code}", row))
    provenance = _provenance(writer, proc)
    try:
        stored = writer.attempt(
            where,
            import_session,
            session=session,
            vials=[v for _, v in vials],
            sites=[s for _, s in sites],
            provenance=provenance,
            by=writer.by,
        )
    except SessionPartsRefused as refused:
        parts = {"vial": vials, "site": sites}
        for kind, index, error in refused.refused:
            writer.refused(parts[kind][index][0] if kind in parts else f"{where} provenance", error)
        return False
    if stored:
        writer.r.use(proc)
        writer.count("sessions")
        writer.count("vials", len(vials))
        writer.count("session_sites", len(sites))
    return stored


def _administrations(writer: _Writer) -> dict[str, list[Json]]:
    """The MedicationAdministrations (sites) by the fullUrl of the session they are part
    of; each is left out unless its session is imported."""
    administrations: dict[str, list[Json]] = {}
    for _, ma in writer.r.of_type("MedicationAdministration"):
        for part in ma.get("partOf") or []:
            administrations.setdefault(writer.r.url_of(part, ma), []).append(ma)
        writer.r.leave(ma, "not part of an imported onabotulinumtoxinA session")
    return administrations


def _session_status(writer: _Writer, proc: Json) -> str | None:
    """The session status a Procedure is imported with, or None when it is not imported
    as a session (bridging treatments are read by `write_bridging`)."""
    if code_of(proc.get("category"), c.PROCEDURE) == "bridging":
        return None
    if code_of(proc.get("code"), c.CPT) != c.CPT_CHEMODENERVATION:
        writer.r.ignore("Procedure", proc, "not an onabotulinumtoxinA session (CPT 64615)")
        return None
    status = {"completed": "completed", "not-done": "cancelled"}.get(proc.get("status", ""))
    if status is None:  # a session still open or planned in the source clinic
        writer.r.ignore("Procedure", proc, "a session not completed in the source system")
    return status


def _session(writer: _Writer, proc: Json, status: str, where: str, problems: list[str]) -> Any:
    from cephalog.treatment.models import Session

    period = proc.get("performedPeriod") or {}
    start_text = str(period.get("start", ""))
    date = _need_date(start_text, f"{where}.performedPeriod.start", problems)
    started = _datetime(start_text, f"{where}.start", []) if "T" in start_text else None
    end_text = str(period.get("end", ""))
    ended = _datetime(end_text, f"{where}.end", []) if "T" in end_text else None
    return Session(
        patient=writer.patient,
        date=date,
        status=status,
        protocol=extension(proc, c.EXT_PROTOCOL, dosing.PREEMPT_155.name),
        total_units=_int(extension(proc, c.EXT_UNITS_GIVEN)) or 0,
        sites_injected=extension(proc, c.EXT_SITES_INJECTED, 0),
        units_opened=_int(extension(proc, c.EXT_UNITS_OPENED)) or 0,
        units_discarded=_int(extension(proc, c.EXT_UNITS_DISCARDED)) or 0,
        started_at=started,
        ended_at=ended,
        topical_anaesthetic=code_of(extension(proc, c.EXT_TOPICAL), c.TOPICAL) or "",
        immediate_reactions="\n".join(x.get("text", "") for x in proc.get("complication") or []),
        notes="\n".join(n.get("text", "") for n in proc.get("note") or [] if "time" not in n),
    )


def _vial(writer: _Writer, session: Any, med: Json, where: str, model: Any) -> Any:
    """The unsaved vial of a Medication, or None when a value of it could not be read."""
    batch = med.get("batch") or {}
    problems: list[str] = []
    reconstituted = _datetime(
        extension(med, c.EXT_RECONSTITUTED_AT), f"{where} vial.reconstituted", problems
    )
    try:
        diluent = Decimal(str(_number(extension(med, c.EXT_DILUENT)) or 0))
    except InvalidOperation:
        diluent = Decimal(0)
    vial = model(
        session=session,
        product=(med.get("code") or {}).get("text") or dosing.PRODUCT,
        lot=batch.get("lotNumber", ""),
        expiry=_date(batch.get("expirationDate"), f"{where} vial.expiry", problems),
        size_units=_int((med.get("amount") or {}).get("numerator")) or 0,
        diluent_ml=diluent,
        reconstituted_at=reconstituted,
    )
    writer.problems.extend(problems)
    return None if problems else vial


def _site(writer: _Writer, session: Any, ma: Json, where: str, model: Any) -> Any:
    """The unsaved site of a MedicationAdministration, or None (a session recorded as
    totals only, or an unknown site: a problem)."""
    dosage = ma.get("dosage") or {}
    code = code_of(dosage.get("site"), c.SITE)
    if code is None:  # a session recorded as totals only
        return None
    site = dosing.get_site(code)
    if site is None:
        writer.problems.append(f"{where} site: unknown injection site {code!r}")
        return None
    done = ma.get("status") == "completed"
    status = code_of(ma.get("category"), c.cs("site-status")) or (
        ("added" if site.follow_the_pain else "done") if done else "skipped"
    )
    return model(
        session=session,
        code=code,
        muscle=site.muscle.value,
        side=site.side.value,
        status=status,
        units=_int(dosage.get("dose")) or 0 if done else 0,
        skip_reason=""
        if done
        else " ".join(r.get("text", "") for r in ma.get("statusReason") or []),
    )


def _provenance(writer: _Writer, proc: Json) -> str:
    lines = [f"{IMPORT_REASON} from {writer.source} on {writer.today.isoformat()}."]
    for performer in proc.get("performer") or []:
        role = code_of(performer.get("function"), c.PERFORMER_FUNCTION)
        actor = writer.r.resolve(performer.get("actor"), proc)
        writer.r.use(actor)
        name = _display(actor)
        if name:
            lines.append(f"{'Signed by' if role == 'signer' else 'Injector'}: {name}.")
    for note in proc.get("note") or []:
        if "time" in note:
            author_resource = writer.r.resolve(note.get("authorReference"), proc)
            writer.r.use(author_resource)
            author = _display(author_resource)
            lines.append(
                f"Addendum ({author or 'unknown author'}, {note['time'][:16]}): {note.get('text', '')}"
            )
    return "\n".join(lines)


def write_bridging(writer: _Writer) -> None:
    if not apps.is_installed("cephalog.outcomes"):
        return
    from cephalog.outcomes.import_actions import import_bridging
    from cephalog.outcomes.models import BridgingKind, BridgingTreatment

    for _, proc in writer.r.of_type("Procedure"):
        if code_of(proc.get("category"), c.PROCEDURE) != "bridging":
            continue
        where = "Procedure bridging"
        problems: list[str] = []
        row = BridgingTreatment(
            patient=writer.patient,
            date=_need_date(proc.get("performedDateTime"), f"{where}.performed", problems),
            kind=_choice(
                code_of(proc.get("code"), c.BRIDGING), BridgingKind.values, where, problems
            ),
            notes="\n".join(n.get("text", "") for n in proc.get("note") or []),
            recorded_by=writer.by,
        )
        writer.problems.extend(problems)
        writer.r.use(proc)
        if not problems and writer.attempt(where, import_bridging, treatment=row, by=writer.by):
            writer.count("bridging_treatments")
