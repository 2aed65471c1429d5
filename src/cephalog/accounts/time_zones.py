"""Time zones as people read them ("London (UK)"), and the staff forms' choices: the
clinic's zone first, then the zones common in the clinic's country, then every place.

The value stored is the IANA name, as before (`models.validate_time_zone`). The places
and their countries come from the tz database's own tables (zone.tab, iso3166.tab),
read where zoneinfo reads its zones: the system's TZPATH first, then the `tzdata`
package. Without them every zone is still offered, by its IANA name.
"""

from __future__ import annotations

import functools
import zoneinfo
from collections.abc import Iterable
from importlib import resources
from pathlib import Path

from cephalog.accounts.models import Clinic, Country, known_time_zones

#: Shorter than the tz database's names ("Britain (UK)", "United States").
COUNTRY_SHORT = {"GB": "UK", "US": "US"}

#: The zones most of a country's patients live in, in the order staff look for them:
#: one for the UK; the US's main zones, east to west. Every one exists in the tz database.
COMMON_ZONES: dict[str, tuple[str, ...]] = {
    Country.UNITED_KINGDOM: ("Europe/London",),
    Country.UNITED_STATES: (
        "America/New_York",
        "America/Chicago",
        "America/Denver",
        "America/Phoenix",
        "America/Los_Angeles",
        "America/Anchorage",
        "Pacific/Honolulu",
    ),
}

#: US zones named by the time people call them by ("Chicago (US Central)").
_US_REGION = {
    "America/New_York": "Eastern",
    "America/Chicago": "Central",
    "America/Denver": "Mountain",
    "America/Phoenix": "Arizona",
    "America/Los_Angeles": "Pacific",
    "America/Anchorage": "Alaska",
    "Pacific/Honolulu": "Hawaii",
}

CountryOf = dict[str, str]
Choices = list[tuple[str, str]]
GroupedChoices = list[tuple[str, Choices]]


def _table(name: str) -> str:
    """The text of one of the tz database's tables, where zoneinfo finds its zones."""
    for directory in zoneinfo.TZPATH:
        path = Path(directory) / name
        if path.is_file():
            return path.read_text(encoding="utf-8")
    try:
        return resources.files("tzdata.zoneinfo").joinpath(name).read_text(encoding="utf-8")
    except (ModuleNotFoundError, FileNotFoundError):
        return ""


def _rows(text: str) -> list[list[str]]:
    return [line.split("\t") for line in text.splitlines() if line and not line.startswith("#")]


@functools.cache
def _countries() -> tuple[CountryOf, dict[str, str]]:
    """(zone -> country code, country code -> country name), from zone.tab and iso3166.tab."""
    names = {row[0]: row[1] for row in _rows(_table("iso3166.tab")) if len(row) >= 2}
    names.update(COUNTRY_SHORT)
    zones: CountryOf = {}
    for row in _rows(_table("zone.tab")):
        if len(row) >= 3 and row[2] in known_time_zones():
            zones.setdefault(row[2], row[0])
    return zones, names


def country_name(code: str) -> str:
    return _countries()[1].get(code, code)


def time_zone_label(zone: str) -> str:
    """A zone as people read it: "London (UK)", "Auckland (New Zealand)",
    "Chicago (US Central)", "Knox, Indiana (US)"; a zone of no country ("UTC",
    "Etc/GMT+5") by its IANA name."""
    zones, _ = _countries()
    code = zones.get(zone)
    if code is None:
        return zone
    country = country_name(code)
    parts = [p.replace("_", " ") for p in zone.split("/")[1:]] or [zone]
    if len(parts) > 1 and parts[0] == country:
        parts = parts[1:]  # America/Argentina/Salta: "Salta (Argentina)"
    place = ", ".join(reversed(parts))
    if zone in _US_REGION:
        country = f"US {_US_REGION[zone]}"
    return place if place == country else f"{place} ({country})"


@functools.cache
def _all_places() -> tuple[Choices, Choices]:
    """(every zone of a country by its label A-Z, the other IANA names A-Z)."""
    zones, _ = _countries()
    places = sorted(((z, time_zone_label(z)) for z in zones), key=lambda c: (c[1], c[0]))
    others = sorted((z, z) for z in known_time_zones() - zones.keys())
    return places, others


def time_zone_choices(clinic_zones: list[str], countries: list[str]) -> GroupedChoices:
    """The staff forms' choices, grouped: the clinic's zone (or the clinics'), the zones
    common in its country, then every place A-Z and the remaining IANA names. A zone may
    appear in a first group and again in the full list; the value stored is the zone."""
    first = list(dict.fromkeys(z for z in clinic_zones if z in known_time_zones()))
    groups: GroupedChoices = []
    if first:
        label = "This clinic" if len(first) == 1 else "Your clinics"
        groups.append((label, [(z, time_zone_label(z)) for z in first]))
    for code in dict.fromkeys(countries):
        common = [z for z in COMMON_ZONES.get(code, ()) if z not in first]
        if common:
            groups.append(
                (f"Common in the {country_name(code)}", [(z, time_zone_label(z)) for z in common])
            )
    places, others = _all_places()
    groups.append(("All places, A to Z", list(places)))
    groups.append(("Other names (IANA)", list(others)))
    return groups


def choices_for_clinics(clinics: Iterable[Clinic]) -> GroupedChoices:
    """`time_zone_choices` for the clinics a form is about (their zones, their countries)."""
    listed = list(clinics)
    return time_zone_choices([c.time_zone for c in listed], [c.country for c in listed])
