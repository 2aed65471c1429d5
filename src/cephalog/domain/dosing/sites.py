"""The PREEMPT injection sites (§1.1, §1.2): muscles, sides, codes and body-map points."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import NamedTuple


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
