"""Reading the diary: diary-day and attack Observations (windows and totals are recomputed
by cephalog, so those are listed as not imported)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from cephalog.diary.actions import DiaryError, validate_day
from cephalog.domain.diary import DiaryDay
from cephalog.domain.importing import AttackFacts
from cephalog.interop import codes as c
from cephalog.interop.fhir import FEATURES, Json
from cephalog.interop.fhir_import.reader import _Reader
from cephalog.interop.fhir_import.values import _datetime, _int, _number, code_of, extension

#: The longest diary note (DiaryEntry.notes).
MAX_DAY_NOTE = 2000


def read_diary(reader: _Reader) -> tuple[list[DiaryDay], list[AttackFacts]]:
    days: list[DiaryDay] = []
    attacks: list[AttackFacts] = []
    for _, obs in reader.of_type("Observation"):
        kind = code_of(obs.get("code"), c.OBS)
        if kind == c.OBS_DIARY_DAY:
            reader.use(obs)
            day = _day(reader, obs)
            if day is not None:
                days.append(day)
        elif kind == c.OBS_ATTACK:
            reader.use(obs)
            facts = _attack(reader, obs)
            if facts is not None:
                attacks.append(facts)
        elif kind is not None:  # windows and questionnaire totals are recomputed
            reader.ignore("Observation", obs, "worked out by cephalog from the diary")
        else:
            reader.ignore("Observation", obs, "not a cephalog diary day or attack")
    return days, attacks


def _day(reader: _Reader, obs: Json) -> DiaryDay | None:
    date = obs.get("effectiveDateTime", "")
    data: dict[str, Any] = {"date": str(date)[:10], "acute_medications": []}
    for comp in obs.get("component") or []:
        what = code_of(comp.get("code"), c.DIARY)
        feature = code_of(comp.get("code"), c.FEATURE)
        if feature in FEATURES:
            data[feature] = comp.get("valueBoolean") is True
        elif what == c.C_HOURS:
            data["headache_hours"] = _number(comp.get("valueQuantity"))
        elif what == c.C_INTENSITY:
            data["peak_intensity"] = code_of(comp.get("valueCodeableConcept"), c.INTENSITY)
        elif what == c.C_AURA:
            data["aura_minutes"] = _int(comp.get("valueQuantity"))
        elif what == c.C_MEDICINE:
            value = comp.get("valueCodeableConcept") or {}
            data["acute_medications"].append(
                {
                    "name": value.get("text", ""),
                    "class": code_of(value, c.ACUTE_CLASS),
                    "effective": extension(comp, c.EXT_MEDICINE_EFFECTIVE),
                }
            )
    if data.get("headache_hours") is None:
        data.pop("headache_hours", None)
    try:
        day = validate_day(data)
    except DiaryError as error:
        reader.problems.extend(f"Observation diary-day {date}: {p}" for p in error.problems)
        return None
    note = "\n".join(
        str(n.get("text", "")) for n in obs.get("note") or [] if isinstance(n, dict)
    ).strip()
    if len(note) > MAX_DAY_NOTE:
        reader.problems.append(
            f"Observation diary-day {date}: note: at most {MAX_DAY_NOTE} characters"
        )
    elif note:
        reader.day_notes[day.date] = note
    return day


def _attack(reader: _Reader, obs: Json) -> AttackFacts | None:
    period = obs.get("effectivePeriod") or {}
    where = f"Observation attack {period.get('start', '')}"
    start = _datetime(period.get("start"), f"{where}.start", reader.problems)
    end = _datetime(period.get("end"), f"{where}.end", reader.problems)
    intensity = code_of(obs.get("valueCodeableConcept"), c.INTENSITY)
    if start is None or end is None:
        return None
    external = next(
        (
            i.get("value", "")
            for i in obs.get("identifier") or []
            if i.get("system") == c.SID_ATTACK
        ),
        "",
    )
    return AttackFacts(
        start=start.astimezone(dt.UTC),
        end=end.astimezone(dt.UTC),
        peak_intensity=intensity,
        external_id=external,
        notes=" ".join(n.get("text", "") for n in obs.get("note") or []),
    )
