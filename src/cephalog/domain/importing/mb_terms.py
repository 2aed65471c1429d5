"""Migraine Buddy's export: its columns and words, and reading its dates, durations,
offsets and pain positions."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence

from cephalog.domain.catalogue import acute_class, normalise
from cephalog.domain.diary import AcuteMedication
from cephalog.domain.importing.values import MAX_ATTACK, MAX_MEDICINE_NAME, _quote, parse_duration

# --- Migraine Buddy --------------------------------------------------------------------------
#
# The app's CSV export ("Export to CSV" in Migraine Buddy) as it writes it:
#
#   "Date","Time Period","Description","Notes"          <- the ongoing events table
#   "...","...","...","a note that may
#   span lines"                                           (or one row: no ongoing events)
#                                                         <- a blank line
#   "#","Started","Lasted","Start UTC Offset (min)","End UTC Offset (min)","Pain Level",
#   "Pain Positions","Symptoms","Auras","Potential Triggers","Helpful Medication",
#   "Somewhat Helpful Medication","Unhelpful Medication","Unsure Medication",...,"Notes"
#
# `Started` is the phone's local time in its locale's format (M/D/YY H:MM, D/M/YY H:MM
# or ISO); the offsets are minutes east of UTC at the start and at the end. Files with
# the attack table alone (older versions: `Id`, `Medication`, `Pain Position`,
# `Started` as YYYY-MM-DD HH:MM) are read too. Decisions:
#
# - The date order is taken from the file when only one order fits every date; when
#   both month/day and day/month fit, the importer must say which (`date_order`),
#   never guessed.
# - The offsets place the attack: its instants are the local times less the offsets,
#   and its calendar dates are the phone's (the patient's zone when it agrees with
#   both offsets, so a clock change inside the attack is exact; otherwise the start
#   offset).
# - The four medication columns give `effective` True (helpful), None (somewhat
#   helpful, unsure) and False (unhelpful); "No medication" is none. Names not in the
#   catalogue are listed for the importer to classify, never guessed.
# - Every column not imported and every value not understood is listed.

#: Column names (compared by `header_key`) → the reader's names. English and Spanish.
MB_ALIASES: Mapping[str, str] = {
    "#": "row",
    "id": "id",
    "attack id": "id",
    "started": "started",
    "start": "started",
    "start time": "started",
    "comenzó": "started",
    "comenzo": "started",
    "inicio": "started",
    "empezó": "started",
    "ended": "ended",
    "end": "ended",
    "end time": "ended",
    "terminó": "ended",
    "fin": "ended",
    "lasted": "lasted",
    "duration": "lasted",
    "duró": "lasted",
    "duro": "lasted",
    "duración": "lasted",
    "start utc offset (min)": "start offset",
    "end utc offset (min)": "end offset",
    "desfase utc de inicio (min)": "start offset",
    "desfase utc de fin (min)": "end offset",
    "compensación utc de inicio (min)": "start offset",
    "compensación utc de fin (min)": "end offset",
    "pain level": "pain level",
    "pain intensity": "pain level",
    "intensity": "pain level",
    "nivel de dolor": "pain level",
    "intensidad del dolor": "pain level",
    "pain position": "pain position",
    "pain positions": "pain position",
    "pain location": "pain position",
    "posiciones del dolor": "pain position",
    "ubicación del dolor": "pain position",
    "pain type": "pain type",
    "symptoms": "symptoms",
    "síntomas": "symptoms",
    "sintomas": "symptoms",
    "aura": "aura",
    "auras": "aura",
    "medication": "medication",
    "medications": "medication",
    "acute medication": "medication",
    "helpful medication": "helpful",
    "somewhat helpful medication": "somewhat helpful",
    "unhelpful medication": "unhelpful",
    "unsure medication": "unsure",
    "medicación útil": "helpful",
    "medicación algo útil": "somewhat helpful",
    "medicación no útil": "unhelpful",
    "medicación inútil": "unhelpful",
    "medicación incierta": "unsure",
    "medicación dudosa": "unsure",
    "notes": "notes",
    "note": "notes",
    "notas": "notes",
}
#: The ongoing events table's columns, English and Spanish.
MB_ONGOING_ALIASES: Mapping[str, str] = {
    "date": "date",
    "time period": "period",
    "description": "description",
    "notes": "notes",
    "fecha": "date",
    "período de tiempo": "period",
    "periodo de tiempo": "period",
    "descripción": "description",
    "notas": "notes",
}
#: The reader's names that become diary facts; every other column is listed as not imported.
MB_IMPORTED = frozenset(
    {
        "row",
        "id",
        "started",
        "ended",
        "lasted",
        "start offset",
        "end offset",
        "pain level",
        "pain position",
        "pain type",
        "symptoms",
        "aura",
        "medication",
        "helpful",
        "somewhat helpful",
        "unhelpful",
        "unsure",
        "notes",
    }
)
#: The medication columns and the `effective` each gives.
MB_MEDICATION_COLUMNS: Mapping[str, bool | None] = {
    "helpful": True,
    "somewhat helpful": None,
    "unhelpful": False,
    "unsure": None,
}
_NO_MEDICATION = {"no medication", "none", "sin medicación", "sin medicacion", "ninguna", "-"}

#: Symptom names (lower case) → the diary's feature; other symptoms are reported as ignored.
MB_SYMPTOMS: Mapping[str, str] = {
    "nausea": "nausea",
    "náuseas": "nausea",
    "nauseas": "nausea",
    "vomiting": "vomiting",
    "vómitos": "vomiting",
    "vomitos": "vomiting",
    "sensitivity to light": "photophobia",
    "light sensitivity": "photophobia",
    "photophobia": "photophobia",
    "sensibilidad a la luz": "photophobia",
    "sensitivity to sound": "phonophobia",
    "sound sensitivity": "phonophobia",
    "sensitivity to noise": "phonophobia",
    "noise sensitivity": "phonophobia",
    "phonophobia": "phonophobia",
    "sensibilidad al sonido": "phonophobia",
    "sensibilidad al ruido": "phonophobia",
    "throbbing": "pulsating",
    "throbbing pain": "pulsating",
    "pulsating": "pulsating",
    "pulsating pain": "pulsating",
    "pounding": "pulsating",
    "dolor pulsátil": "pulsating",
    "dolor palpitante": "pulsating",
    "worse with activity": "aggravated_by_activity",
    "worse with physical activity": "aggravated_by_activity",
    "worse with movement": "aggravated_by_activity",
    "aggravated by activity": "aggravated_by_activity",
    "worsened by physical activity": "aggravated_by_activity",
    "empeora con la actividad física": "aggravated_by_activity",
}
_ONE_SIDE = {"one side", "unilateral"}
_LEFT = {"left", "izquierdo", "izquierda"}
_RIGHT = {"right", "derecho", "derecha"}
_EFFECT_WORDS: dict[str, bool | None] = {
    "helpful": True,
    "very helpful": True,
    "effective": True,
    "worked": True,
    "not helpful": False,
    "unhelpful": False,
    "not effective": False,
    "didn't work": False,
    "did not work": False,
    "somewhat helpful": None,
    "unsure": None,
    "don't know": None,
}
_LIST_SPLIT = re.compile(r"[;,|](?![^()]*\))")
_PARENS = re.compile(r"\s*\(([^()]*)\)\s*")

DATE_ORDERS: Mapping[str, str] = {
    "mdy": "month/day/year (US)",
    "dmy": "day/month/year (UK, Europe, Australia)",
    "ymd": "year-month-day (ISO)",
}
_STAMP = re.compile(
    r"\s*(\d{1,4})[/.\-](\d{1,2})[/.\-](\d{1,4})(?:,?\s+|T)(\d{1,2}):(\d{2})(?::(\d{2}))?"
    r"\s*([AaPp])?\.?(?:[Mm]\.?)?\s*"
)
#: The largest UTC offset in use (UTC+14:00), in minutes.
MAX_OFFSET = 14 * 60


def _items(cell: str) -> list[str]:
    return [item.strip() for item in _LIST_SPLIT.split(cell) if item.strip()]


def read_medicine(item: str, classes: Mapping[str, str]) -> tuple[AcuteMedication | None, str]:
    """A medication item such as `Sumatriptan 50mg (Helpful)`: the medicine with its
    class from the catalogue (or from `classes`, keyed by `catalogue.normalise`d
    name), or None and the name to report as unknown."""
    effective: bool | None = None
    for note in _PARENS.findall(item):
        if note.strip().lower() in _EFFECT_WORDS:
            effective = _EFFECT_WORDS[note.strip().lower()]
    name = _PARENS.sub(" ", item).strip()[:MAX_MEDICINE_NAME]
    drug_class = acute_class(name) or classes.get(normalise(name))
    if drug_class is None:
        return None, name
    return AcuteMedication(name=name, drug_class=drug_class, effective=effective), name


def _year(text: str) -> int:
    year = int(text)
    return year + 2000 if len(text) <= 2 else year


def date_orders(text: str) -> set[str]:
    """The date orders under which `text` (a `Started` cell) is a real date."""
    match = _STAMP.fullmatch(text)
    if match is None:
        return set()
    a, b, c = match.group(1), match.group(2), match.group(3)
    out = set()
    for order, (y, m, d) in (("ymd", (a, b, c)), ("mdy", (c, a, b)), ("dmy", (c, b, a))):
        if (order == "ymd") != (len(a) == 4) or len(y) not in (2, 4):
            continue
        try:
            dt.date(_year(y), int(m), int(d))
        except ValueError:
            continue
        out.add(order)
    return out


def parse_stamp(text: str, order: str) -> dt.datetime:
    """A `Started` cell as a naive local date and time, the date read in `order`."""
    match = _STAMP.fullmatch(text)
    if match is None:
        raise ValueError(
            f'must be a date and time such as "3/14/24 8:30", "14/3/24 8:30" or '
            f'"2024-03-14 08:30", got {_quote(text)}'
        )
    if order not in date_orders(text):
        raise ValueError(f"is not a real date read as {DATE_ORDERS[order]}, got {_quote(text)}")
    a, b, c, hh, mm, ss, half = match.groups()
    y, m, d = {"ymd": (a, b, c), "mdy": (c, a, b), "dmy": (c, b, a)}[order]
    hour = int(hh)
    if half:
        if not 1 <= hour <= 12:
            raise ValueError(f"has an hour outside 1-12 before AM/PM, got {_quote(text)}")
        hour = hour % 12 + (12 if half.lower() == "p" else 0)
    try:
        return dt.datetime(_year(y), int(m), int(d), hour, int(mm), int(ss or 0))
    except ValueError:
        raise ValueError(f"is not a real date and time, got {_quote(text)}") from None


def detect_date_order(stamps: Sequence[tuple[int, str]]) -> tuple[str | None, str]:
    """The one date order every `Started` cell fits, or (None, why) naming the ambiguity.

    ISO dates fit only year-month-day; a file whose slashed dates all have a day of
    12 or less fits both month/day and day/month and must be answered by the
    importer (`date_order`).
    """
    slashed = [
        (line, text)
        for line, text in stamps
        if _STAMP.fullmatch(text) and not re.match(r"\s*\d{4}", text)
    ]
    if not slashed:
        return "ymd", ""
    fits = {"mdy", "dmy"}
    for _, text in slashed:
        orders = date_orders(text) & {"mdy", "dmy"}
        if orders:
            fits &= orders
    if len(fits) == 1:
        return fits.pop(), ""
    if fits:
        line, text = slashed[0]
        return None, (
            f"line {line}: Started: dates such as {_quote(text)} read as month/day or as "
            "day/month, and no date in the file tells which; choose the date order "
            "(month first: mdy, day first: dmy)"
        )
    only = {
        order: next(
            (
                (line, text)
                for line, text in slashed
                if date_orders(text) & {"mdy", "dmy"} == {order}
            ),
            (0, ""),
        )
        for order in ("mdy", "dmy")
    }
    (day_line, day_text), (month_line, month_text) = only["dmy"], only["mdy"]
    return None, (
        f"line {day_line}: Started: {_quote(day_text)} reads only day first, but line "
        f"{month_line} has {_quote(month_text)}, which reads only month first; choose the "
        "date order (mdy or dmy) to see every line that does not fit it"
    )


_DURATION_WORDS = re.compile(
    r"(\d{1,6})\s*(d|days?|días?|dias?|h|hrs?|hours?|horas?|m|mins?|minutes?|minutos?)\.?",
    re.IGNORECASE,
)


def parse_any_duration(text: str) -> dt.timedelta:
    """`Lasted` as the app writes it: `5h 20m`, `1d 02h 15m`, `45m`, `2 hours 5 min`,
    `3 horas` or `2:30` (hours and minutes)."""
    clock = re.fullmatch(r"\s*(\d{1,3}):([0-5]\d)\s*", text)
    if clock:
        return parse_duration(f"{int(clock.group(1))}h {clock.group(2)}m")
    parts = _DURATION_WORDS.findall(text)
    leftover = _DURATION_WORDS.sub("", text).strip(" ,")
    if parts and not leftover:
        amounts = {"d": 0, "h": 0, "m": 0}
        for number, unit in parts:
            amounts[unit[0].lower()] += int(number)
        total = dt.timedelta(days=amounts["d"], hours=amounts["h"], minutes=amounts["m"])
        if total <= dt.timedelta(0):
            raise ValueError(f"must be longer than 0 minutes, got {_quote(text)}")
        if total > MAX_ATTACK:
            raise ValueError(f"must be at most {MAX_ATTACK.days} days, got {_quote(text)}")
        return total
    return parse_duration(text)


def _offset(cell: str) -> int | None:
    if not re.fullmatch(r"[+-]?\d{1,4}", cell.strip()):
        raise ValueError(f"must be minutes east of UTC, e.g. -300 or 60, got {_quote(cell)}")
    minutes = int(cell)
    if abs(minutes) > MAX_OFFSET:
        raise ValueError(f"must be within ±{MAX_OFFSET} minutes, got {_quote(cell)}")
    return minutes


def side_of(positions: Sequence[str]) -> str | None:
    """ "left" or "right" when every pain position is on that side, else None."""
    sides = set()
    for position in positions:
        words = set(re.findall(r"[^\W\d_]+", position.lower()))
        side = {"left"} if words & _LEFT else set()
        side |= {"right"} if words & _RIGHT else set()
        if len(side) != 1:
            return None
        sides |= side
    return sides.pop() if len(sides) == 1 else None
