"""Attacks into diary days, and merging imported days (and notes) with recorded ones."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from cephalog.domain.catalogue import normalise
from cephalog.domain.diary import AcuteMedication, DiaryDay
from cephalog.domain.importing.values import (
    FLAGS,
    MAX_NOTES,
    covered_time,
    hours,
    max_intensity,
    split_by_date,
)

# --- Attacks → days -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AttackFacts:
    """One attack with what an import knows about it.

    `peak_intensity` is None for a row with pain 0 (no headache), which then
    records its date without headache hours. `features` are names of `FLAGS`.
    """

    start: dt.datetime
    end: dt.datetime
    peak_intensity: str | None
    external_id: str = ""
    notes: str = ""
    features: frozenset[str] = frozenset()
    aura_minutes: int = 0
    medications: tuple[AcuteMedication, ...] = ()
    line: int = 0
    #: Where the attack happened when the file says (a phone's UTC offsets); None:
    #: the patient's zone. Places the attack on the patient's calendar dates.
    tz: dt.tzinfo | None = None


def days_from_attacks(attacks: Sequence[AttackFacts], tz: dt.tzinfo) -> dict[dt.date, DiaryDay]:
    """The diary day each covered local date gets from the attacks (see the module notes):
    hours = union of covered time, intensity = the highest, symptoms on every date
    covered, medicines and aura on the date the attack started."""
    painful = [a for a in attacks if a.peak_intensity]
    time = covered_time(((a.start, a.end, a.tz) for a in painful), tz)
    days: dict[dt.date, DiaryDay] = {}

    def day(date: dt.date) -> DiaryDay:
        if date not in days:
            days[date] = DiaryDay(date=date, headache_hours=hours(time.get(date, dt.timedelta())))
        return days[date]

    for attack in attacks:
        zone = attack.tz or tz
        dates = list(split_by_date(attack.start, attack.end, zone)) if attack.peak_intensity else []
        for date in dates:
            current = day(date)
            flags = {f: getattr(current, f) or f in attack.features for f in FLAGS}
            days[date] = _with(
                current,
                peak_intensity=max_intensity(current.peak_intensity, attack.peak_intensity),
                **flags,
            )
        first = attack.start.astimezone(zone).date()
        current = day(first)
        days[first] = replace(
            current,
            aura_minutes=max(current.aura_minutes, attack.aura_minutes),
            acute_medications=_add_medications(current.acute_medications, attack.medications),
        )
    return days


def _with(day: DiaryDay, **changes: Any) -> DiaryDay:
    """`dataclasses.replace` for changes built as a mapping (the flags)."""
    return replace(day, **changes)


def _same_medicine(a: AcuteMedication, b: AcuteMedication) -> bool:
    return a.drug_class == b.drug_class and normalise(a.name) == normalise(b.name)


def _add_medications(
    existing: tuple[AcuteMedication, ...], new: Iterable[AcuteMedication]
) -> tuple[AcuteMedication, ...]:
    """`existing` plus the medicines of `new` not already in it; a known effect fills an
    unknown one."""
    out = list(existing)
    for medicine in new:
        for index, have in enumerate(out):
            if _same_medicine(have, medicine):
                if have.effective is None and medicine.effective is not None:
                    out[index] = replace(have, effective=medicine.effective)
                break
        else:
            out.append(medicine)
    return tuple(out)


def merge_days(existing: DiaryDay | None, imported: DiaryDay) -> DiaryDay:
    """The day after importing `imported` over `existing`: nothing recorded is erased.

    Hours, intensity and aura take the larger value, symptoms are OR-ed and
    medicines are added, so merging the same import twice changes nothing.
    """
    if existing is None:
        return imported
    headache_hours = max(existing.headache_hours, imported.headache_hours)
    return _with(
        existing,
        headache_hours=headache_hours,
        peak_intensity=(
            max_intensity(existing.peak_intensity, imported.peak_intensity)
            if headache_hours > 0
            else None
        ),
        aura_minutes=max(existing.aura_minutes, imported.aura_minutes),
        acute_medications=_add_medications(existing.acute_medications, imported.acute_medications),
        **{f: getattr(existing, f) or getattr(imported, f) for f in FLAGS},
    )


def normalise_day(day: DiaryDay) -> DiaryDay:
    """The day as the diary stores it: hours to 0.01, no intensity without headache."""
    headache_hours = round(day.headache_hours, 2)
    return replace(
        day,
        headache_hours=headache_hours,
        peak_intensity=day.peak_intensity if headache_hours > 0 else None,
    )


def day_to_case(day: DiaryDay) -> dict[str, Any]:
    """A day in the case format (spec section 1), for `save_day`."""
    data: dict[str, Any] = {"date": day.date.isoformat(), "headache_hours": day.headache_hours}
    if day.peak_intensity:
        data["peak_intensity"] = day.peak_intensity
    data.update({f: getattr(day, f) for f in FLAGS})
    data["aura_minutes"] = day.aura_minutes
    data["acute_medications"] = [
        {"name": m.name, "class": m.drug_class, "effective": m.effective}
        for m in day.acute_medications
    ]
    return data


def notes_by_date(attacks: Iterable[AttackFacts], tz: dt.tzinfo) -> dict[dt.date, str]:
    """The attacks' notes on the date each started, one paragraph per distinct note."""
    out: dict[dt.date, list[str]] = {}
    for attack in attacks:
        note = attack.notes.strip()
        if not note:
            continue
        date = attack.start.astimezone(attack.tz or tz).date()
        if note not in out.setdefault(date, []):
            out[date].append(note)
    return {date: "\n\n".join(notes)[:MAX_NOTES] for date, notes in out.items()}


def merge_notes(stored: str, imported: str) -> str | None:
    """The day's note after an import: the stored one when it already holds the imported
    one, the imported one when nothing is stored; None when they differ (a difference
    the importer must confirm: a note recorded since is never replaced silently)."""
    if not imported.strip() or imported.strip() in stored:
        return stored
    if not stored.strip():
        return imported
    return None
