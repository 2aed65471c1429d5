"""Validating a session's site record (§1.3, design note §1.4) and its totals."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType

from cephalog.domain.dosing.protocols import PREEMPT_155, Protocol
from cephalog.domain.dosing.sites import FTP_CAPS, SITES_BY_CODE, Muscle


class SiteStatus(StrEnum):
    """What happened at a site in a session (clinical-reference §1, design note)."""

    DONE = "done"  # fixed site injected
    SKIPPED = "skipped"  # fixed site not injected (documented deviation)
    ADDED = "added"  # follow-the-pain site injected


@dataclass(frozen=True)
class RecordedSite:
    """One site as recorded in a session."""

    code: str
    status: SiteStatus
    units: int
    skip_reason: str | None = None


@dataclass(frozen=True)
class SessionTotals:
    """What was given in a session, counted from the recorded sites."""

    units_given: int
    sites_injected: int
    sites_skipped: int
    ftp_sites: int
    ftp_units: int
    units_by_muscle: Mapping[Muscle, int]
    sites_by_muscle: Mapping[Muscle, int]


@dataclass(frozen=True)
class SessionCheck:
    """Totals and problems of a session record (empty `problems` means valid)."""

    totals: SessionTotals
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


def session_totals(sites: Iterable[RecordedSite]) -> SessionTotals:
    """Units and sites actually given, per muscle (clinical-reference §1.1–§1.2).

    Counts what was recorded, even when invalid, so the record of what the
    patient received stays true; `validate_session` reports the problems.
    Sites with unknown codes count in the totals but in no muscle.
    """
    units_by = dict.fromkeys(Muscle, 0)
    sites_by = dict.fromkeys(Muscle, 0)
    units = injected = skipped = ftp_sites = ftp_units = 0
    for r in sites:
        if r.status is SiteStatus.SKIPPED:
            skipped += 1
            continue
        units += r.units
        injected += 1
        if r.status is SiteStatus.ADDED:
            ftp_sites += 1
            ftp_units += r.units
        known = SITES_BY_CODE.get(r.code)
        if known is not None:
            units_by[known.muscle] += r.units
            sites_by[known.muscle] += 1
    return SessionTotals(
        units_given=units,
        sites_injected=injected,
        sites_skipped=skipped,
        ftp_sites=ftp_sites,
        ftp_units=ftp_units,
        units_by_muscle=MappingProxyType(units_by),
        sites_by_muscle=MappingProxyType(sites_by),
    )


def _muscle_of_code(code: str) -> Muscle | None:
    head = code.split("-", 1)[0]
    try:
        return Muscle(head)
    except ValueError:
        return None


def validate_session(
    sites: Sequence[RecordedSite], protocol: Protocol = PREEMPT_155
) -> SessionCheck:
    """Totals and problems of a session's site record (clinical-reference §1.1–§1.3, §1.4 design note).

    Rules: every fixed site of the protocol is recorded once, as done or
    skipped; a skipped site has 0 U and a reason; an injected site has
    exactly 5 U; follow-the-pain (`added`) sites only in the protocol's
    allowed muscles and within its per-muscle caps; session totals within
    the protocol's maximum units and sites.
    """
    problems: list[str] = []
    fixed_codes = {s.code for s in protocol.fixed_sites}
    seen: set[str] = set()
    ftp_count = dict.fromkeys(Muscle, 0)
    for i, r in enumerate(sites):
        where = f"sites[{i}]"
        if r.code in seen:
            problems.append(f"{where}.code: {r.code} recorded twice")
        seen.add(r.code)
        problems.extend(_units_problems(where, r, protocol))
        problems.extend(_status_problems(where, r, protocol, fixed_codes, ftp_count))
    for s in protocol.fixed_sites:
        if s.code not in seen:
            problems.append(f"{s.code}: fixed site not recorded (record it as done or skipped)")
    for muscle, n in ftp_count.items():
        cap = protocol.ftp_cap(muscle)
        if 0 < cap < n:
            problems.append(f"follow-the-pain: {n} {muscle} sites added, at most {cap} allowed")
    totals = session_totals(sites)
    problems.extend(_total_problems(totals, protocol))
    return SessionCheck(totals=totals, problems=tuple(problems))


def _units_problems(where: str, r: RecordedSite, protocol: Protocol) -> list[str]:
    """A skipped site has 0 U and a reason; any other has the protocol's units per site."""
    problems: list[str] = []
    if r.status is SiteStatus.SKIPPED:
        if r.units != 0:
            problems.append(f"{where}.units: {r.code} is skipped and must have 0 U, got {r.units}")
        if r.skip_reason is None or not r.skip_reason.strip():
            problems.append(f"{where}.skip_reason: {r.code} is skipped: give the reason")
    elif r.units != protocol.units_per_site:
        problems.append(
            f"{where}.units: {r.code} must have {protocol.units_per_site} U, got {r.units}"
        )
    return problems


def _status_problems(
    where: str,
    r: RecordedSite,
    protocol: Protocol,
    fixed_codes: set[str],
    ftp_count: dict[Muscle, int],
) -> list[str]:
    """A follow-the-pain site is added in an allowed muscle (counted in `ftp_count`);
    a fixed site is done or skipped."""
    known = SITES_BY_CODE.get(r.code)
    if r.status is SiteStatus.ADDED:
        muscle = known.muscle if known is not None else _muscle_of_code(r.code)
        if known is not None and not known.follow_the_pain:
            return [f"{where}.status: {r.code} is a fixed site; record it as done, not added"]
        if muscle is not None and FTP_CAPS.get(muscle, 0) == 0:
            return [
                f"{where}.code: follow-the-pain sites are allowed only in temporalis, "
                f"occipitalis and trapezius, got {muscle}"
            ]
        if known is None:
            return [f"{where}.code: unknown follow-the-pain site {r.code}"]
        if protocol.ftp_cap(known.muscle) == 0:
            return [
                f"{where}.code: protocol {protocol.name} allows no follow-the-pain "
                f"sites in {known.muscle}"
            ]
        ftp_count[known.muscle] += 1
        return []
    if known is None:
        return [f"{where}.code: unknown site {r.code}"]
    if known.follow_the_pain and r.status is SiteStatus.SKIPPED:
        return [
            f"{where}.status: {r.code} is a follow-the-pain site; leave it out "
            "instead of recording it as skipped"
        ]
    if r.code not in fixed_codes:
        return [f"{where}.status: {r.code} is a follow-the-pain site; record it as added"]
    return []


def _total_problems(totals: SessionTotals, protocol: Protocol) -> list[str]:
    problems: list[str] = []
    if totals.units_given > protocol.max_units:
        problems.append(
            f"total: {totals.units_given} U given, protocol {protocol.name} allows at most "
            f"{protocol.max_units} U"
        )
    if totals.sites_injected > protocol.max_sites:
        problems.append(
            f"total: {totals.sites_injected} sites injected, protocol {protocol.name} allows at "
            f"most {protocol.max_sites}"
        )
    return problems
