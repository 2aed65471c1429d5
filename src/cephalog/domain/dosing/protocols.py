"""The protocols (§1.1, §1.2): fixed sites, units per site, follow-the-pain caps."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from cephalog.domain.dosing.constants import MAX_SESSION_SITES, MAX_SESSION_UNITS, UNITS_PER_SITE
from cephalog.domain.dosing.sites import FIXED_SITES, FTP_CAPS, SITES_BY_CODE, Muscle, Site


@dataclass(frozen=True, eq=False)
class Protocol:
    """An injection protocol: fixed sites plus optional follow-the-pain (clinical-reference §1).

    `name` is the stable key stored on a session (e.g. `preempt-155`).
    """

    name: str
    fixed_sites: tuple[Site, ...]
    ftp_caps: Mapping[Muscle, int]
    max_units: int
    max_sites: int
    units_per_site: int = UNITS_PER_SITE
    title: str = ""

    @property
    def fixed_units(self) -> int:
        """Units given when every fixed site is injected."""
        return len(self.fixed_sites) * self.units_per_site

    def ftp_cap(self, muscle: Muscle) -> int:
        """Extra follow-the-pain sites this protocol allows in `muscle` (0 if none)."""
        return self.ftp_caps.get(muscle, 0)


#: PREEMPT as used in the trials and the EU SmPC: 155 U fixed, up to 195 U / 39 sites
#: with follow-the-pain in temporalis (+2), occipitalis (+2), trapezius (+4) (§1.1, §1.2).
PREEMPT_155 = Protocol(
    name="preempt-155",
    fixed_sites=FIXED_SITES,
    ftp_caps=FTP_CAPS,
    max_units=MAX_SESSION_UNITS,
    max_sites=MAX_SESSION_SITES,
    title="PREEMPT 155 U, 31 fixed sites, optional follow-the-pain up to 195 U / 39 sites",
)
#: The US label strictly: 155 U in the 31 fixed sites, no follow-the-pain (§1.2, §2.2).
US_LABEL_155 = Protocol(
    name="us-label-155",
    fixed_sites=FIXED_SITES,
    ftp_caps=MappingProxyType({}),
    max_units=155,
    max_sites=31,
    title="US label: 155 U in 31 fixed sites, no follow-the-pain",
)
PROTOCOLS: Mapping[str, Protocol] = MappingProxyType(
    {PREEMPT_155.name: PREEMPT_155, US_LABEL_155.name: US_LABEL_155}
)


def validate_protocol(p: Protocol) -> list[str]:
    """Problems with a clinic-defined protocol template; empty when valid (clinical-reference §1.1–§1.2).

    A template may narrow PREEMPT (lower caps, lower maxima) but never widen
    it: 5 U per site, the 31 fixed sites exactly, follow-the-pain only in
    temporalis/occipitalis/trapezius within 2/2/4, at most 195 U and 39 sites.
    """
    problems: list[str] = []
    if not p.name.strip():
        problems.append("name: must not be blank")
    if p.units_per_site != UNITS_PER_SITE:
        problems.append(
            f"units_per_site: must be {UNITS_PER_SITE} (5 U in 0.1 mL per site), "
            f"got {p.units_per_site}"
        )
    seen: set[str] = set()
    for i, s in enumerate(p.fixed_sites):
        known = SITES_BY_CODE.get(s.code)
        if s.code in seen:
            problems.append(f"fixed_sites[{i}]: duplicate site {s.code}")
        elif known is None or known.follow_the_pain:
            problems.append(f"fixed_sites[{i}]: {s.code} is not a PREEMPT fixed site")
        seen.add(s.code)
    missing = [s.code for s in FIXED_SITES if s.code not in seen]
    if missing:
        problems.append(
            "fixed_sites: all 31 PREEMPT fixed sites are required "
            f"(record deviations per session), missing {', '.join(missing)}"
        )
    for muscle, cap in p.ftp_caps.items():
        allowed = FTP_CAPS.get(muscle, 0)
        if cap < 0:
            problems.append(f"ftp_caps[{muscle}]: must not be negative, got {cap}")
        elif allowed == 0 and cap > 0:
            problems.append(
                f"ftp_caps[{muscle}]: follow-the-pain is allowed only in "
                f"temporalis, occipitalis and trapezius, got {cap} in {muscle}"
            )
        elif cap > allowed:
            problems.append(f"ftp_caps[{muscle}]: at most {allowed} extra sites, got {cap}")
    if not len(p.fixed_sites) <= p.max_sites <= MAX_SESSION_SITES:
        problems.append(
            f"max_sites: must be between {len(p.fixed_sites)} and {MAX_SESSION_SITES}, "
            f"got {p.max_sites}"
        )
    if not p.fixed_units <= p.max_units <= MAX_SESSION_UNITS:
        problems.append(
            f"max_units: must be between {p.fixed_units} and {MAX_SESSION_UNITS}, got {p.max_units}"
        )
    return problems
