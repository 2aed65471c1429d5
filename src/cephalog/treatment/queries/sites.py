"""The site map: labels, rows per muscle and the map's panels."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from cephalog.domain import dosing
from cephalog.treatment.models import (
    SessionSite,
)

_SIDE_WORD = {dosing.Side.LEFT: "Left", dosing.Side.RIGHT: "Right", dosing.Side.MIDLINE: ""}


def muscle_name(muscle: dosing.Muscle) -> str:
    return muscle.value.replace("_", " ")


def site_label(site: dosing.Site) -> str:
    """A screen-reader name: "Left temporalis 2", "Procerus (midline)"."""
    if site.side is dosing.Side.MIDLINE:
        return f"{muscle_name(site.muscle).capitalize()} (midline)"
    return f"{_SIDE_WORD[site.side]} {muscle_name(site.muscle)} {site.index}"


@dataclass
class SiteRow:
    site: dosing.Site
    label: str
    status: str  # done, skipped, added, pending (fixed, not recorded), unused (FTP slot)
    units: int
    skip_reason: str

    @property
    def code(self) -> str:
        return self.site.code

    @property
    def ftp(self) -> bool:
        return self.site.follow_the_pain

    @property
    def checked(self) -> bool:
        return self.status in ("done", "added")

    @property
    def state_text(self) -> str:
        return {
            "done": "done",
            "added": "added",
            "skipped": f"skipped: {self.skip_reason}",
            "pending": "not yet recorded",
            "unused": "not added",
        }[self.status]

    @property
    def aria_label(self) -> str:
        kind = " (follow-the-pain)" if self.ftp else ""
        return f"{self.label}{kind}, {dosing.UNITS_PER_SITE} units, {self.state_text}"


@dataclass
class MuscleGroup:
    muscle: dosing.Muscle
    name: str
    rows: list[SiteRow]
    ftp_cap: int

    @property
    def fixed_rows(self) -> list[SiteRow]:
        return [r for r in self.rows if not r.ftp]

    @property
    def ftp_rows(self) -> list[SiteRow]:
        return [r for r in self.rows if r.ftp]

    @property
    def done(self) -> int:
        return sum(1 for r in self.rows if r.status == "done")

    @property
    def added(self) -> int:
        return sum(1 for r in self.rows if r.status == "added")

    @property
    def skipped(self) -> list[SiteRow]:
        return [r for r in self.rows if r.status == "skipped"]

    @property
    def units(self) -> int:
        return sum(r.units for r in self.rows if r.checked)


@dataclass
class MapMarker:
    row: SiteRow
    x: int
    y: int


@dataclass
class MapPanel:
    key: str  # front, side-L, side-R, back
    title: str
    markers: list[MapMarker] = field(default_factory=list)


def site_rows(
    protocol: dosing.Protocol, recorded: Iterable[dosing.RecordedSite]
) -> list[MuscleGroup]:
    """Every fixed site of the protocol and every follow-the-pain slot it allows, by muscle."""
    by_code = {r.code: r for r in recorded}
    groups: dict[dosing.Muscle, MuscleGroup] = {
        m: MuscleGroup(m, muscle_name(m).capitalize(), [], protocol.ftp_cap(m))
        for m in dosing.Muscle
    }
    slots = [*protocol.fixed_sites, *(s for s in dosing.FTP_SITES if protocol.ftp_cap(s.muscle))]
    # Left then right within each muscle, fixed sites before follow-the-pain slots.
    slots.sort(key=lambda s: (s.follow_the_pain, s.side != dosing.Side.LEFT, s.index))
    for site in slots:
        r = by_code.get(site.code)
        if r is None:
            status = "unused" if site.follow_the_pain else "pending"
            row = SiteRow(site, site_label(site), status, 0, "")
        else:
            row = SiteRow(site, site_label(site), r.status.value, r.units, r.skip_reason or "")
        groups[site.muscle].rows.append(row)
    return [g for g in groups.values() if g.rows]


def map_panels(groups: Sequence[MuscleGroup]) -> list[MapPanel]:
    panels = {
        "front": MapPanel("front", "Front"),
        "side-L": MapPanel("side-L", "Left side"),
        "side-R": MapPanel("side-R", "Right side"),
        "back": MapPanel("back", "Back"),
    }
    for g in groups:
        for row in g.rows:
            for p in row.site.points:
                key = f"side-{row.site.side.value}" if p.view is dosing.View.SIDE else p.view.value
                panels[key].markers.append(MapMarker(row, p.x, p.y))
    return list(panels.values())


def recorded_sites(sites: Iterable[SessionSite]) -> list[dosing.RecordedSite]:
    return [
        dosing.RecordedSite(s.code, dosing.SiteStatus(s.status), s.units, s.skip_reason or None)
        for s in sites
    ]
