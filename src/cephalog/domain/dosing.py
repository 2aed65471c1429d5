"""PREEMPT injection sites, session validation, vials, billing, interval and dose caps.

Implements clinical-reference.md §1 (PREEMPT paradigm, follow-the-pain,
reconstitution), §2.2 (dose, 12-week interval, 400 U cumulative cap), §2.8
(antibodies), §9.1 (ICD-10-CM chronic migraine codes) and §9.3 (CPT 64615,
HCPCS J0585 with JW/JZ). Decisions where the reference is silent are in
docs/domain-decisions.md.

Plain Python: no Django, no I/O, no wall clock. Problems are returned as
stable, human-readable strings that name the offending field
(`sites[3].units: frontalis-L-1 must have 5 U, got 10`), in the style of spec/assessment.md §1.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction
from types import MappingProxyType
from typing import NamedTuple

from cephalog.domain import intervals

# ---------------------------------------------------------------------------
# Constants (clinical-reference §0)
# ---------------------------------------------------------------------------

#: Units per injection site, 5 U in 0.1 mL (§1.1, §1.3).
UNITS_PER_SITE = 5
#: Concentration every vial must have after reconstitution: 5 U per 0.1 mL (§1.4).
REQUIRED_UNITS_PER_0_1_ML = Fraction(5)
#: BOTOX vial sizes listed in the reference (§1.4).
VIAL_SIZES_UNITS: tuple[int, ...] = (100, 200)
#: Reconstituted product must be used within 24 hours (§1.4).
MAX_RECONSTITUTED_AGE = dt.timedelta(hours=24)
#: Session maximum with follow-the-pain: 195 U in 39 sites (§1.2).
MAX_SESSION_UNITS = 195
MAX_SESSION_SITES = 39
#: Retreatment every 12 weeks (§2.2); 77 days = 12 weeks minus the 7-day COMPEL tolerance
#: (§6.5, §11.2). The numbers live in `cephalog.domain.intervals` (issue 14.5).
DUE_INTERVAL_DAYS = intervals.DUE_INTERVAL_DAYS
TOLERATED_INTERVAL_DAYS = intervals.EARLIEST_INTERVAL_DAYS
#: At most 400 U across all indications in a 3-month interval (§2.2, §14).
CUMULATIVE_CAP_UNITS = 400
#: Length of the rolling window used for the 3-month cap; see `check_cumulative_dose`.
CUMULATIVE_WINDOW_DAYS = 90
#: The only product the PREEMPT doses apply to; units are not interchangeable (§2.2).
PRODUCT = "onabotulinumtoxinA"
_PRODUCT_ALIASES = frozenset({"onabotulinumtoxina", "botox"})

_SRC_PROTOCOL = "clinical-reference §1.1–§1.2 (PREEMPT paradigm; EU SmPC; US label 155 U)"
_SRC_VIAL = "clinical-reference §1.4 (reconstitution and storage)"
_SRC_INTERVAL = (
    "BOTOX US label (retreatment every 12 weeks); clinical-reference §2.2, §2.8, §6.5, §11.2"
)
_SRC_CUMULATIVE = (
    "BOTOX US label (max 400 U in a 3-month interval, all indications); "
    "clinical-reference §2.2, §14"
)


# ---------------------------------------------------------------------------
# Sites (§1.1, §1.2)
# ---------------------------------------------------------------------------


class Muscle(StrEnum):
    """The seven PREEMPT muscle areas (clinical-reference §1.1)."""

    CORRUGATOR = "corrugator"
    PROCERUS = "procerus"
    FRONTALIS = "frontalis"
    TEMPORALIS = "temporalis"
    OCCIPITALIS = "occipitalis"
    CERVICAL_PARASPINAL = "cervical_paraspinal"
    TRAPEZIUS = "trapezius"


class Side(StrEnum):
    """Patient's left, right, or midline (clinical-reference §1.1)."""

    LEFT = "L"
    RIGHT = "R"
    MIDLINE = "M"


class View(StrEnum):
    """A view of the head map.

    Canvas 200 x 240 per view, origin top left. `front`: the patient faces
    the viewer, so the patient's left is on the viewer's right (x > 100).
    `back`: the patient's left is on the viewer's left (x < 100). `side`:
    a profile drawn twice, one panel per side; a left-side site's point is
    for the left profile (face towards x = 0), a right-side site's point is
    for the right profile (face towards x = 200), already mirrored.
    """

    FRONT = "front"
    SIDE = "side"
    BACK = "back"


class MapPoint(NamedTuple):
    """Where a site is drawn on one view (canvas 200 x 240)."""

    view: View
    x: int
    y: int


@dataclass(frozen=True)
class Site:
    """One injection site with a stable code `<muscle>-<side>-<n>` (clinical-reference §1)."""

    code: str
    muscle: Muscle
    side: Side
    index: int
    follow_the_pain: bool
    points: tuple[MapPoint, ...]

    def point(self, view: View) -> MapPoint | None:
        """The site's position on `view`, or None when it does not show there."""
        for p in self.points:
            if p.view is view:
                return p
        return None


#: Fixed-site count per muscle (§1.1).
FIXED_SITES_PER_MUSCLE: Mapping[Muscle, int] = MappingProxyType(
    {
        Muscle.CORRUGATOR: 2,
        Muscle.PROCERUS: 1,
        Muscle.FRONTALIS: 4,
        Muscle.TEMPORALIS: 8,
        Muscle.OCCIPITALIS: 6,
        Muscle.CERVICAL_PARASPINAL: 4,
        Muscle.TRAPEZIUS: 6,
    }
)
#: Follow-the-pain caps: extra sites allowed per muscle, only these three (§1.2).
FTP_CAPS: Mapping[Muscle, int] = MappingProxyType(
    {Muscle.TEMPORALIS: 2, Muscle.OCCIPITALIS: 2, Muscle.TRAPEZIUS: 4}
)

# Approximate map positions for the patient's LEFT side (or midline); right
# sides are mirrored (front/back: x -> 200 - x; side: the right profile is the
# left profile mirrored, x -> 200 - x). Fixed sites first, then follow-the-pain
# candidate slots, numbered on from the fixed ones.
_LEFT_POINTS: dict[tuple[Muscle, int], tuple[tuple[View, int, int], ...]] = {
    (Muscle.CORRUGATOR, 1): ((View.FRONT, 113, 90),),
    (Muscle.FRONTALIS, 1): ((View.FRONT, 118, 68),),
    (Muscle.FRONTALIS, 2): ((View.FRONT, 140, 62),),
    (Muscle.TEMPORALIS, 1): ((View.SIDE, 100, 92),),
    (Muscle.TEMPORALIS, 2): ((View.SIDE, 114, 76),),
    (Muscle.TEMPORALIS, 3): ((View.SIDE, 96, 64),),
    (Muscle.TEMPORALIS, 4): ((View.SIDE, 130, 84),),
    (Muscle.TEMPORALIS, 5): ((View.SIDE, 82, 80),),
    (Muscle.TEMPORALIS, 6): ((View.SIDE, 128, 62),),
    (Muscle.OCCIPITALIS, 1): ((View.BACK, 86, 112),),
    (Muscle.OCCIPITALIS, 2): ((View.BACK, 72, 100),),
    (Muscle.OCCIPITALIS, 3): ((View.BACK, 88, 90),),
    (Muscle.OCCIPITALIS, 4): ((View.BACK, 62, 114),),
    (Muscle.OCCIPITALIS, 5): ((View.BACK, 74, 80),),
    (Muscle.CERVICAL_PARASPINAL, 1): ((View.BACK, 90, 158),),
    (Muscle.CERVICAL_PARASPINAL, 2): ((View.BACK, 90, 176),),
    (Muscle.TRAPEZIUS, 1): ((View.BACK, 74, 198),),
    (Muscle.TRAPEZIUS, 2): ((View.BACK, 54, 206),),
    (Muscle.TRAPEZIUS, 3): ((View.BACK, 34, 214),),
    (Muscle.TRAPEZIUS, 4): ((View.BACK, 66, 216),),
    (Muscle.TRAPEZIUS, 5): ((View.BACK, 46, 224),),
    (Muscle.TRAPEZIUS, 6): ((View.BACK, 84, 214),),
    (Muscle.TRAPEZIUS, 7): ((View.BACK, 26, 230),),
}
_PROCERUS_POINTS = ((View.FRONT, 100, 98),)


def _points(muscle: Muscle, side: Side, index: int) -> tuple[MapPoint, ...]:
    if muscle is Muscle.PROCERUS:
        return tuple(MapPoint(v, x, y) for v, x, y in _PROCERUS_POINTS)
    left = _LEFT_POINTS[(muscle, index)]
    if side is Side.LEFT:
        return tuple(MapPoint(v, x, y) for v, x, y in left)
    return tuple(MapPoint(v, 200 - x, y) for v, x, y in left)


def site_code(muscle: Muscle, side: Side, index: int) -> str:
    """The stable code of a site, e.g. `temporalis-L-1` (clinical-reference §1.1)."""
    return f"{muscle.value}-{side.value}-{index}"


def _build_sites() -> tuple[tuple[Site, ...], tuple[Site, ...]]:
    fixed: list[Site] = []
    ftp: list[Site] = []
    for muscle, count in FIXED_SITES_PER_MUSCLE.items():
        if muscle is Muscle.PROCERUS:
            fixed.append(
                Site(
                    site_code(muscle, Side.MIDLINE, 1),
                    muscle,
                    Side.MIDLINE,
                    1,
                    False,
                    _points(muscle, Side.MIDLINE, 1),
                )
            )
            continue
        per_side = count // 2
        cap = FTP_CAPS.get(muscle, 0)
        for side in (Side.LEFT, Side.RIGHT):
            for i in range(1, per_side + 1):
                fixed.append(
                    Site(
                        site_code(muscle, side, i), muscle, side, i, False, _points(muscle, side, i)
                    )
                )
            # One candidate slot per allowed extra site on each side, so the
            # whole allowance can go on the painful side (§1.2, §14: unconfirmed).
            for i in range(per_side + 1, per_side + cap + 1):
                ftp.append(
                    Site(
                        site_code(muscle, side, i), muscle, side, i, True, _points(muscle, side, i)
                    )
                )
    return tuple(fixed), tuple(ftp)


#: The 31 fixed PREEMPT sites, 155 U (§1.1).
FIXED_SITES, FTP_SITES = _build_sites()
#: Every known site (fixed and follow-the-pain candidates) by code.
SITES_BY_CODE: Mapping[str, Site] = MappingProxyType(
    {s.code: s for s in (*FIXED_SITES, *FTP_SITES)}
)


def get_site(code: str) -> Site | None:
    """The fixed or follow-the-pain site with this code, or None (clinical-reference §1)."""
    return SITES_BY_CODE.get(code)


# ---------------------------------------------------------------------------
# Protocols (§1.1, §1.2)
# ---------------------------------------------------------------------------


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


# ---------------------------------------------------------------------------
# Session validation (§1.3, design note §1.4)
# ---------------------------------------------------------------------------


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
        known = SITES_BY_CODE.get(r.code)
        if r.code in seen:
            problems.append(f"{where}.code: {r.code} recorded twice")
        seen.add(r.code)
        if r.status is SiteStatus.SKIPPED:
            if r.units != 0:
                problems.append(
                    f"{where}.units: {r.code} is skipped and must have 0 U, got {r.units}"
                )
            if r.skip_reason is None or not r.skip_reason.strip():
                problems.append(f"{where}.skip_reason: {r.code} is skipped: give the reason")
        elif r.units != protocol.units_per_site:
            problems.append(
                f"{where}.units: {r.code} must have {protocol.units_per_site} U, got {r.units}"
            )

        if r.status is SiteStatus.ADDED:
            muscle = known.muscle if known is not None else _muscle_of_code(r.code)
            if known is not None and not known.follow_the_pain:
                problems.append(
                    f"{where}.status: {r.code} is a fixed site; record it as done, not added"
                )
            elif muscle is not None and FTP_CAPS.get(muscle, 0) == 0:
                problems.append(
                    f"{where}.code: follow-the-pain sites are allowed only in temporalis, "
                    f"occipitalis and trapezius, got {muscle}"
                )
            elif known is None:
                problems.append(f"{where}.code: unknown follow-the-pain site {r.code}")
            elif protocol.ftp_cap(known.muscle) == 0:
                problems.append(
                    f"{where}.code: protocol {protocol.name} allows no follow-the-pain "
                    f"sites in {known.muscle}"
                )
            else:
                ftp_count[known.muscle] += 1
        elif known is None:
            problems.append(f"{where}.code: unknown site {r.code}")
        elif known.follow_the_pain and r.status is SiteStatus.SKIPPED:
            problems.append(
                f"{where}.status: {r.code} is a follow-the-pain site; leave it out "
                "instead of recording it as skipped"
            )
        elif r.code not in fixed_codes:
            problems.append(
                f"{where}.status: {r.code} is a follow-the-pain site; record it as added"
            )

    for s in protocol.fixed_sites:
        if s.code not in seen:
            problems.append(f"{s.code}: fixed site not recorded (record it as done or skipped)")
    for muscle, n in ftp_count.items():
        cap = protocol.ftp_cap(muscle)
        if 0 < cap < n:
            problems.append(f"follow-the-pain: {n} {muscle} sites added, at most {cap} allowed")
    totals = session_totals(sites)
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
    return SessionCheck(totals=totals, problems=tuple(problems))


# ---------------------------------------------------------------------------
# Vials (§1.4) and waste
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Vial:
    """One vial opened for a session (clinical-reference §1.4).

    `diluent_ml` as recorded (a Decimal from a form, or int/float/Fraction);
    a float is read as the decimal it prints as, so 2.0 means exactly 2 mL.
    """

    product: str
    lot: str
    expiry: dt.date
    size_units: int
    diluent_ml: Decimal | Fraction | float | int
    reconstituted_at: dt.datetime


def _exact(value: Decimal | Fraction | float | int) -> Fraction:
    # A float is read as the decimal it prints as (2.0 -> 2, 2.5 -> 5/2).
    if isinstance(value, float):
        return Fraction(repr(value))
    return Fraction(value)


def concentration_per_0_1_ml(
    size_units: int, diluent_ml: Decimal | Fraction | float | int
) -> Fraction:
    """Units per 0.1 mL after reconstitution: size / (diluent mL x 10) (clinical-reference §1.4)."""
    ml = _exact(diluent_ml)
    if ml <= 0:
        raise ValueError(f"diluent_ml: must be positive, got {diluent_ml}")
    return Fraction(size_units) / (ml * 10)


def _aware(value: dt.datetime) -> bool:
    return value.tzinfo is not None and value.utcoffset() is not None


def check_vial(vial: Vial, *, used_at: dt.datetime, prefix: str = "vial") -> list[str]:
    """Problems that forbid using `vial` at `used_at` (clinical-reference §1.4, §2.2).

    - product must be onabotulinumtoxinA (units are not interchangeable, §2.2);
    - size 100 or 200 U;
    - expired lot refused when expiry < the session date (usable through
      its expiry date);
    - concentration exactly 5 U per 0.1 mL (100 U + 2 mL, 200 U + 4 mL);
    - reconstituted at most 24 h before use (exactly 24 h is allowed) and
      not after it.
    `used_at` and `reconstituted_at` must be timezone-aware; the session
    date is `used_at`'s local date.
    """
    problems: list[str] = []
    if vial.product.strip().lower() not in _PRODUCT_ALIASES:
        problems.append(
            f"{prefix}.product: must be {PRODUCT} (BOTOX); units are not interchangeable "
            f"between botulinum toxin products, got {vial.product!r}"
        )
    if not vial.lot.strip():
        problems.append(f"{prefix}.lot: required")
    if vial.size_units not in VIAL_SIZES_UNITS:
        problems.append(f"{prefix}.size_units: must be one of 100, 200, got {vial.size_units}")
    if not _aware(used_at):
        problems.append(f"{prefix}: used_at must be timezone-aware")
    elif vial.expiry < used_at.date():
        problems.append(
            f"{prefix}.expiry: lot {vial.lot} expired on {vial.expiry.isoformat()}, "
            f"before the session on {used_at.date().isoformat()}"
        )
    try:
        conc = concentration_per_0_1_ml(vial.size_units, vial.diluent_ml)
    except (ValueError, ZeroDivisionError, TypeError, OverflowError) as e:
        problems.append(f"{prefix}.diluent_ml: must be a positive volume in mL ({e})")
    else:
        if vial.size_units > 0 and conc != REQUIRED_UNITS_PER_0_1_ML:
            ml = Fraction(vial.size_units, 50)
            problems.append(
                f"{prefix}.diluent_ml: {vial.size_units} U in {vial.diluent_ml} mL gives "
                f"{float(conc):g} U per 0.1 mL; 5 U per 0.1 mL needs {float(ml):g} mL"
            )
    if not _aware(vial.reconstituted_at):
        problems.append(f"{prefix}.reconstituted_at: must be timezone-aware")
    elif _aware(used_at):
        age = used_at - vial.reconstituted_at
        if age < dt.timedelta(0):
            problems.append(
                f"{prefix}.reconstituted_at: the reconstitution time "
                f"{vial.reconstituted_at:%Y-%m-%d %H:%M} is later than the time of use "
                f"{used_at:%Y-%m-%d %H:%M}"
            )
        elif age > MAX_RECONSTITUTED_AGE:
            hours = age.total_seconds() / 3600
            problems.append(
                f"{prefix}.reconstituted_at: reconstituted {hours:.1f} h before use; "
                "must be used within 24 h"
            )
    return problems


def units_opened(vials: Iterable[Vial]) -> int:
    """Total units in the vials opened for a session (clinical-reference §1.4)."""
    return sum(v.size_units for v in vials)


def units_discarded(opened: int, given: int) -> int:
    """Waste = units opened − units given (clinical-reference §1.4, §9.3 JW).

    Raises ValueError when more was given than opened (a record error),
    or when either is negative.
    """
    if opened < 0 or given < 0:
        raise ValueError(f"units must not be negative, got opened={opened}, given={given}")
    if given > opened:
        raise ValueError(f"{given} U given but only {opened} U opened")
    return opened - given


@dataclass(frozen=True)
class VialCheck:
    """Result of checking all vials of a session."""

    units_opened: int
    units_discarded: int | None  # None when more was given than opened
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


def check_vials(vials: Sequence[Vial], *, used_at: dt.datetime, units_given: int) -> VialCheck:
    """Check every vial and the session's waste (clinical-reference §1.4, §9.3)."""
    problems: list[str] = []
    if not vials and units_given > 0:
        problems.append("vials: at least one vial must be recorded when units are given")
    for i, v in enumerate(vials):
        problems.extend(check_vial(v, used_at=used_at, prefix=f"vials[{i}]"))
    opened = units_opened(vials)
    waste: int | None
    try:
        waste = units_discarded(opened, units_given)
    except ValueError as e:
        waste = None
        problems.append(f"vials: {e}")
    return VialCheck(units_opened=opened, units_discarded=waste, problems=tuple(problems))


# ---------------------------------------------------------------------------
# Billing (§9.3, US)
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class BillingLine:
    """One claim line (clinical-reference §9.3)."""

    code: str
    modifiers: tuple[str, ...]
    units: int
    description: str


def billing_lines(units_given: int, units_discarded: int) -> tuple[BillingLine, ...]:
    """US claim lines for one session (clinical-reference §9.3).

    CPT 64615 once (no modifier 50: already bilateral); HCPCS J0585 x units
    given (1 billing unit = 1 U); waste as a separate J0585-JW line with the
    units discarded, or, when nothing was discarded, the JZ modifier on the
    J0585 line. Raises ValueError when no units were given (nothing to bill)
    or waste is negative.
    """
    if units_given <= 0:
        raise ValueError(f"units_given: must be positive to bill a session, got {units_given}")
    if units_discarded < 0:
        raise ValueError(f"units_discarded: must not be negative, got {units_discarded}")
    lines = [
        BillingLine(
            "64615",
            (),
            1,
            "Chemodenervation of muscles innervated by facial, trigeminal, cervical spinal "
            "and accessory nerves, bilateral (chronic migraine)",
        )
    ]
    drug = "Injection, onabotulinumtoxinA, 1 unit"
    if units_discarded > 0:
        lines.append(BillingLine("J0585", (), units_given, drug))
        lines.append(BillingLine("J0585", ("JW",), units_discarded, f"{drug}: amount discarded"))
    else:
        lines.append(BillingLine("J0585", ("JZ",), units_given, f"{drug}: zero amount discarded"))
    return tuple(lines)


# ---------------------------------------------------------------------------
# Interval and cumulative dose (§2.2, §2.8, §11.2)
# ---------------------------------------------------------------------------


class RuleStatus(StrEnum):
    """Outcome of a scheduling rule."""

    OK = "ok"  # allowed, nothing to note
    WARNING = "warning"  # allowed; show the message
    OVERRIDDEN = "overridden"  # allowed only because of the documented reason
    NEEDS_OVERRIDE = "needs_override"  # allowed with a documented reason, none given
    REFUSED = "refused"  # not allowed


@dataclass(frozen=True)
class RuleResult:
    """A rule's outcome with its message and the source it comes from."""

    rule: str
    status: RuleStatus
    message: str
    source: str

    @property
    def allowed(self) -> bool:
        return self.status in (RuleStatus.OK, RuleStatus.WARNING, RuleStatus.OVERRIDDEN)


# The retreatment interval check (before the earliest day only with a structured reason)
# is in cephalog.domain.point_of_care.check_interval.


def check_cumulative_dose(
    exposures: Iterable[tuple[dt.date, int]],
    proposed_date: dt.date,
    proposed_units: int,
) -> RuleResult:
    """At most 400 U of BOTOX, all indications, in any 3-month window (clinical-reference §2.2, §14).

    `exposures` are onabotulinumtoxinA doses only: other products' units are not
    interchangeable and never added (spec 11.5; see point_of_care.check_cap).

    A 3-month window is 90 consecutive days `[s, s + 89]`. Every window
    that contains `proposed_date` (s from `proposed_date − 89` to
    `proposed_date`) is checked, so recorded or planned exposures up to 89
    days *after* the proposed date count too. 90 days covers the payer
    wording (400 U per 84 days): any 84-day window lies inside a 90-day one.
    `exposures` are the other toxin doses (any indication) and must not
    include the proposed session itself. Refused above the cap; no override.
    """
    rule = "cumulative_dose"
    if proposed_units < 0:
        raise ValueError(f"proposed_units: must not be negative, got {proposed_units}")
    span = CUMULATIVE_WINDOW_DAYS - 1
    near: list[tuple[dt.date, int]] = []
    for d, u in exposures:
        if u < 0:
            raise ValueError(f"exposure on {d.isoformat()}: units must not be negative, got {u}")
        if abs((d - proposed_date).days) <= span:
            near.append((d, u))
    worst_total = -1
    worst_start = proposed_date
    for offset in range(span, -1, -1):
        start = proposed_date - dt.timedelta(days=offset)
        end = start + dt.timedelta(days=span)
        total = proposed_units + sum(u for d, u in near if start <= d <= end)
        if total > worst_total:
            worst_total, worst_start = total, start
    worst_end = worst_start + dt.timedelta(days=span)
    window = f"{worst_start.isoformat()} to {worst_end.isoformat()}"
    if worst_total > CUMULATIVE_CAP_UNITS:
        return RuleResult(
            rule,
            RuleStatus.REFUSED,
            f"{worst_total} U of onabotulinumtoxinA (all indications) between {window} "
            f"including this session's {proposed_units} U; at most {CUMULATIVE_CAP_UNITS} U "
            f"in {CUMULATIVE_WINDOW_DAYS} days.",
            _SRC_CUMULATIVE,
        )
    return RuleResult(
        rule,
        RuleStatus.OK,
        f"At most {worst_total} U in any {CUMULATIVE_WINDOW_DAYS}-day window around this "
        f"session (highest {window}); limit {CUMULATIVE_CAP_UNITS} U.",
        _SRC_CUMULATIVE,
    )


# ---------------------------------------------------------------------------
# ICD-10-CM (§9.1)
# ---------------------------------------------------------------------------


class Icd10Code(NamedTuple):
    """A billable ICD-10-CM code and its description (clinical-reference §9.1)."""

    code: str
    description: str


def icd10_code(with_aura: bool, intractable: bool, status_migrainosus: bool) -> Icd10Code:
    """The billable ICD-10-CM chronic migraine code (clinical-reference §9.1, §14).

    Without aura G43.7-, with aura G43.E- (FY2024+); 5th character 1 =
    intractable, 0 = not intractable; 6th character 1 = with status
    migrainosus, 9 = without. "Intractable" includes pharmacoresistant,
    treatment-resistant, refractory and poorly controlled migraine.
    """
    stem = "G43.E" if with_aura else "G43.7"
    code = f"{stem}{1 if intractable else 0}{1 if status_migrainosus else 9}"
    description = (
        f"Chronic migraine {'with' if with_aura else 'without'} aura, "
        f"{'intractable' if intractable else 'not intractable'}, "
        f"{'with' if status_migrainosus else 'without'} status migrainosus"
    )
    return Icd10Code(code, description)


__all__ = [
    "CUMULATIVE_CAP_UNITS",
    "CUMULATIVE_WINDOW_DAYS",
    "DUE_INTERVAL_DAYS",
    "FIXED_SITES",
    "FIXED_SITES_PER_MUSCLE",
    "FTP_CAPS",
    "FTP_SITES",
    "MAX_RECONSTITUTED_AGE",
    "MAX_SESSION_SITES",
    "MAX_SESSION_UNITS",
    "PREEMPT_155",
    "PRODUCT",
    "PROTOCOLS",
    "SITES_BY_CODE",
    "TOLERATED_INTERVAL_DAYS",
    "UNITS_PER_SITE",
    "US_LABEL_155",
    "VIAL_SIZES_UNITS",
    "BillingLine",
    "Icd10Code",
    "MapPoint",
    "Muscle",
    "Protocol",
    "RecordedSite",
    "RuleResult",
    "RuleStatus",
    "SessionCheck",
    "SessionTotals",
    "Side",
    "Site",
    "SiteStatus",
    "View",
    "Vial",
    "VialCheck",
    "billing_lines",
    "check_cumulative_dose",
    "check_vial",
    "check_vials",
    "concentration_per_0_1_ml",
    "get_site",
    "icd10_code",
    "session_totals",
    "site_code",
    "units_discarded",
    "units_opened",
    "validate_protocol",
    "validate_session",
]
