"""Diary files in and out (issue 3, part 6): cephalog's days and attacks CSV, and
Migraine Buddy's CSV export. Text in, domain objects and messages out; no I/O.

Every problem is one string naming the line of the file (the header is line 1)
and the field, e.g. `line 7: headache_hours: must be between 0 and 24, got 30`.
Day fields are validated by `cephalog.domain.case.parse_diary_entry`, so an
import gives the same messages as the forms, the API and `cephalog assess`.

Decisions (documented here because the export formats have no other spec):

- Pain level 0-10 (Migraine Buddy) maps to the diary's peak intensity:
  0 = no headache, 1-3 mild, 4-6 moderate, 7-10 severe (`pain_to_intensity`).
- A duration is days, hours and minutes in that order, each optional, at least
  one given: `01h 00m`, `1d 02h 15m`, `45m`, `2h`; 0 and more than 31 days are
  refused (`parse_duration`).
- An attack counts on every local date it covers, with the time it covers on
  that date; attacks on one date count as the union of the time they cover and
  the highest intensity (`covered_time`, `days_from_attacks`). Symptoms count on
  every date the attack covers; medicines and aura only on the date the attack
  started, so an overnight attack does not make two medication days.
- An imported day never erases what is already recorded for that date: hours,
  intensity and aura take the larger value, symptoms are OR-ed, medicines are
  added (`merge_days`). Re-importing a file therefore changes nothing.
- A medicine not in `cephalog.domain.catalogue` is reported, never guessed: it
  is left out of the day unless the importer names its class.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from cephalog.domain.case import parse_diary_entry
from cephalog.domain.catalogue import acute_class, normalise
from cephalog.domain.csvcells import guard_cell, unguard_cell
from cephalog.domain.diary import AcuteMedication, DiaryDay, classify_day
from cephalog.domain.vocab import INTENSITY_CODES

UTC = dt.UTC

#: The day's raw facts, in the case format's names (spec section 1).
FLAGS: tuple[str, ...] = (
    "unilateral",
    "pulsating",
    "aggravated_by_activity",
    "nausea",
    "vomiting",
    "photophobia",
    "phonophobia",
)
DAY_COLUMNS: tuple[str, ...] = (
    "date",
    "headache_hours",
    "peak_intensity",
    *FLAGS,
    "aura_minutes",
    "acute_medications",
)
#: Derived columns (spec section 2): written on export, ignored on import.
DERIVED_COLUMNS: tuple[str, ...] = (
    "recorded",
    "headache_day",
    "migraine_day",
    "moderate_severe_day",
    "headache_free",
    "acute_medication_classes",
    "reasons",
)
#: The day's free note (kept by imports and exports; not a case-format fact).
NOTES_COLUMN = "notes"
DAYS_HEADER: tuple[str, ...] = DAY_COLUMNS + (NOTES_COLUMN,) + DERIVED_COLUMNS

ATTACK_COLUMNS: tuple[str, ...] = ("start", "end", "peak_intensity", "external_id", "notes")
#: Written on export, ignored on import: minutes and the hours counted on each date.
ATTACK_DERIVED_COLUMNS: tuple[str, ...] = ("duration_minutes", "hours_by_date", "source")
ATTACKS_HEADER: tuple[str, ...] = ATTACK_COLUMNS + ATTACK_DERIVED_COLUMNS

#: The longest attack an import accepts; longer is taken for a typing error.
MAX_ATTACK = dt.timedelta(days=31)
MAX_NOTES = 2000
MAX_EXTERNAL_ID = 100
MAX_MEDICINE_NAME = 100

_RANK = {code: rank for rank, code in enumerate(INTENSITY_CODES, start=1)}


# --- Values ----------------------------------------------------------------------------------


_DURATION = re.compile(
    r"\s*(?:(?P<d>\d{1,3})\s*d)?\s*(?:(?P<h>\d{1,4})\s*h)?\s*(?:(?P<m>\d{1,6})\s*m(?:in)?)?\s*",
    re.IGNORECASE,
)


def parse_duration(text: str) -> dt.timedelta:
    """A Migraine Buddy duration: `01h 00m`, `1d 02h 15m`, `45m`, `2h` (days, hours,
    minutes, in that order, each optional). Raises ValueError with the message."""
    match = _DURATION.fullmatch(text)
    if match is None or not any(match.group(g) for g in "dhm"):
        raise ValueError(
            f'must be a duration such as "01h 00m", "1d 02h 15m" or "45m", got {_quote(text)}'
        )
    days, hours, minutes = (int(match.group(g) or 0) for g in "dhm")
    if (match.group("d") and hours >= 24) or (
        (match.group("d") or match.group("h")) and minutes >= 60
    ):
        raise ValueError(f"hours must be under 24 and minutes under 60, got {_quote(text)}")
    duration = dt.timedelta(days=days, hours=hours, minutes=minutes)
    if duration <= dt.timedelta(0):
        raise ValueError(f"must be longer than 0 minutes, got {_quote(text)}")
    if duration > MAX_ATTACK:
        raise ValueError(f"must be at most {MAX_ATTACK.days} days, got {_quote(text)}")
    return duration


def format_duration(duration: dt.timedelta) -> str:
    """The inverse of `parse_duration` for whole minutes: `1d 02h 15m`, `01h 00m`."""
    minutes = int(duration.total_seconds() // 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    text = f"{hours:02d}h {minutes:02d}m"
    return f"{days}d {text}" if days else text


def pain_to_intensity(level: int) -> str | None:
    """Pain 0-10 → peak intensity: 0 none (None), 1-3 mild, 4-6 moderate, 7-10 severe.

    The cut points follow the usual mapping of numeric rating scales to the
    4-point scale the diary uses (ICHD-3 criterion C(3) needs moderate or
    severe): 4 is the first "moderate" and 7 the first "severe".
    """
    if not 0 <= level <= 10:
        raise ValueError(f"pain level must be 0 to 10, got {level}")
    if level == 0:
        return None
    if level <= 3:
        return "mild"
    if level <= 6:
        return "moderate"
    return "severe"


def max_intensity(*values: str | None) -> str | None:
    ranked = [v for v in values if v]
    return max(ranked, key=lambda v: _RANK.get(v, 0)) if ranked else None


_LOCAL = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(:[0-9]{2})?")
_OFFSET = re.compile(r"(Z|[+-][0-9]{2}:[0-9]{2})")


def parse_local_datetime(text: str, tz: dt.tzinfo) -> dt.datetime:
    """`YYYY-MM-DD HH:MM[:SS]` in the patient's zone `tz` (or with a UTC offset or `Z`).

    Day-first and month-first dates are refused, since `01/03` is ambiguous.
    A wall time skipped or repeated by a clock change takes the first offset.
    """
    value = text.strip()
    local = _LOCAL.match(value)
    rest = value[local.end() :] if local else ""
    if local is None or (rest and not _OFFSET.fullmatch(rest)):
        raise ValueError(f"must be a date and time YYYY-MM-DD HH:MM, got {_quote(text)}")
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"is not a real date and time, got {_quote(text)}") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=tz)
    return parsed.astimezone(UTC)


def parse_aware_datetime(text: str) -> dt.datetime:
    """An ISO 8601 date and time with its UTC offset, as the attacks CSV writes it."""
    value = text.strip()
    local = _LOCAL.match(value)
    rest = value[local.end() :] if local else ""
    if local is None or not _OFFSET.fullmatch(rest):
        raise ValueError(
            f"must be a date and time with its offset, YYYY-MM-DDTHH:MM:SS+HH:MM, got {_quote(text)}"
        )
    try:
        return dt.datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)
    except ValueError:
        raise ValueError(f"is not a real date and time, got {_quote(text)}") from None


def _quote(text: str) -> str:
    shown = text if len(text) <= 40 else text[:37] + "..."
    return '"' + shown.replace('"', '\\"') + '"'


# --- Time on each date ----------------------------------------------------------------------


def _midnight(day: dt.date, tz: dt.tzinfo) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=tz).astimezone(UTC)


def split_by_date(
    start: dt.datetime, end: dt.datetime, tz: dt.tzinfo
) -> dict[dt.date, dt.timedelta]:
    """The time an interval covers on each local date in `tz` (spec: an attack crossing
    midnight counts on each date with that date's hours).

    Times are aware; arithmetic is done in UTC, so a date with a clock change
    has its real length (23 or 25 hours).
    """
    start_utc, end_utc = start.astimezone(UTC), end.astimezone(UTC)
    out: dict[dt.date, dt.timedelta] = {}
    day = start_utc.astimezone(tz).date()
    while True:
        day_start = max(start_utc, _midnight(day, tz))
        day_end = min(end_utc, _midnight(day + dt.timedelta(days=1), tz))
        if day_end > day_start:
            out[day] = day_end - day_start
        if end_utc <= _midnight(day + dt.timedelta(days=1), tz):
            return out
        day += dt.timedelta(days=1)


def covered_time(
    intervals: Iterable[tuple[dt.datetime, dt.datetime] | tuple[dt.datetime, dt.datetime, Any]],
    tz: dt.tzinfo,
) -> dict[dt.date, dt.timedelta]:
    """The union of the time the intervals cover, per local date: overlapping
    attacks on one date are not counted twice. An interval may carry its own
    zone as a third item (None: `tz`)."""
    pieces: dict[dt.date, list[tuple[dt.datetime, dt.datetime]]] = {}
    for interval in intervals:
        start, end = interval[0], interval[1]
        zone = (interval[2] if len(interval) > 2 else None) or tz
        start_utc, end_utc = start.astimezone(UTC), end.astimezone(UTC)
        for day, time in split_by_date(start_utc, end_utc, zone).items():
            day_start = max(start_utc, _midnight(day, zone))
            pieces.setdefault(day, []).append((day_start, day_start + time))
    out: dict[dt.date, dt.timedelta] = {}
    for day, spans in pieces.items():
        total = dt.timedelta(0)
        current: list[dt.datetime] | None = None
        for start, end in sorted(spans):
            if current is not None and start <= current[1]:
                current[1] = max(current[1], end)
                continue
            if current is not None:
                total += current[1] - current[0]
            current = [start, end]
        if current is not None:
            total += current[1] - current[0]
        out[day] = total
    return out


def hours(time: dt.timedelta) -> float:
    """Headache hours for a date, to the 0.01 h the diary stores; at most 24 (a date
    with a clock change can be 25 h long)."""
    return min(24.0, round(time.total_seconds() / 3600, 2))


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


# --- CSV cells ------------------------------------------------------------------------------

# Spreadsheet-safe cells (`guard_cell`, `unguard_cell`): cephalog.domain.csvcells, the one
# implementation for every CSV the product writes.

_EFFECT_CODES = {True: "yes", False: "no", None: "unknown"}
_EFFECTS: dict[str, bool | None] = {"yes": True, "no": False, "unknown": None, "": None}


def _escape(text: str) -> str:
    return text.replace("%", "%25").replace(":", "%3A").replace(";", "%3B")


def _unescape(text: str) -> str:
    return text.replace("%3B", ";").replace("%3A", ":").replace("%25", "%")


def encode_medications(medications: Iterable[AcuteMedication]) -> str:
    """`sumatriptan:triptan:yes;ibuprofen:simple_analgesic:unknown` (`%`, `:` and `;` in
    names are written as `%25`, `%3A`, `%3B`)."""
    return ";".join(
        f"{_escape(m.name)}:{m.drug_class}:{_EFFECT_CODES[m.effective]}" for m in medications
    )


def decode_medications(text: str) -> tuple[list[dict[str, Any]], list[str]]:
    """The items of an `acute_medications` cell in the case format, and its problems."""
    items: list[dict[str, Any]] = []
    problems: list[str] = []
    for index, raw in enumerate(p for p in text.split(";") if p.strip()):
        parts = [p.strip() for p in raw.split(":")]
        if len(parts) not in (2, 3) or (len(parts) == 3 and parts[2].lower() not in _EFFECTS):
            problems.append(
                f"acute_medications[{index}]: must be name:class:yes|no|unknown, got {_quote(raw)}"
            )
            continue
        item: dict[str, Any] = {"name": _unescape(parts[0]) or None, "class": parts[1]}
        if len(parts) == 3:
            item["effective"] = _EFFECTS[parts[2].lower()]
        items.append(item)
    return items, problems


_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?")
_BOOLEANS = {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False}


def _number(text: str) -> object:
    """A cell read as the JSON number it spells, else the text (for the validator's message)."""
    if _NUMBER.fullmatch(text):
        number = float(text)
        return int(number) if number.is_integer() and "." not in text else number
    return text


def _boolean(text: str) -> object:
    return _BOOLEANS.get(text.lower(), text)


def _yes_no(value: bool) -> str:
    return "true" if value else "false"


# --- Reading CSV text ------------------------------------------------------------------------


def header_key(name: str) -> str:
    """A column name as the readers compare it: lower case, single spaces, no BOM."""
    return " ".join(name.replace("\ufeff", "").strip().lower().split())


@dataclass(frozen=True, slots=True)
class Row:
    line: int
    cells: dict[str, str]


def read_rows(
    text: str,
    required: Sequence[str],
    *,
    aliases: Mapping[str, str] | None = None,
    first_line: int = 1,
) -> tuple[list[Row], list[str]]:
    """The rows of a CSV text keyed by column name, with the line each starts on.

    Column names are matched case-insensitively (and through `aliases`, lower
    case → canonical); blank lines are skipped. A missing required column or a
    row with more cells than the header is a problem.
    """
    problems: list[str] = []
    reader = csv.reader(io.StringIO(text, newline=""))
    at = first_line - 1
    try:
        header = next(reader)
    except StopIteration:
        return [], [f"line {first_line}: header: the file is empty"]
    except csv.Error as error:
        return [], [f"line {first_line}: header: not readable as CSV ({error})"]
    names = [(aliases or {}).get(header_key(h), header_key(h)) for h in header]
    missing = [c for c in required if c not in names]
    if missing:
        return [], [f"line {first_line}: header: missing column(s) {', '.join(missing)}"]
    rows: list[Row] = []
    line = reader.line_num + 1 + at
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            problems.append(f"line {line}: not readable as CSV ({error})")
            break
        if any(c.strip() for c in cells):
            if len(cells) > len(names):
                problems.append(
                    f"line {line}: has {len(cells)} cells but the header has {len(names)}"
                )
            else:
                # A short row reads its missing cells as empty (the field rules then
                # name them), never as absent keys.
                padded = [*cells, *[""] * (len(names) - len(cells))]
                rows.append(Row(line, {n: c.strip() for n, c in zip(names, padded, strict=True)}))
        line = reader.line_num + 1 + at
    return rows, problems


def _prefixed(line: int, problems: Iterable[str]) -> list[str]:
    return [f"line {line}: {p}" for p in problems]


@dataclass
class DaysFile:
    """A parsed days CSV: `days` as (line, day), valid only when `problems` is empty."""

    days: list[tuple[int, DiaryDay]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    #: The `notes` cell of each date that has one.
    notes: dict[dt.date, str] = field(default_factory=dict)


def read_days_csv(text: str) -> DaysFile:
    """Read cephalog's days CSV (header `DAYS_HEADER`; derived columns are ignored).

    Each row is validated by the case validator, so messages match the forms'.
    """
    rows, problems = read_rows(text, ("date", "headache_hours"))
    out = DaysFile(problems=problems)
    first: dict[dt.date, int] = {}
    for row in rows:
        data: dict[str, Any] = {}
        for name in DAY_COLUMNS:
            cell = unguard_cell(row.cells.get(name, ""))
            if not cell:
                continue
            if name == "headache_hours" or name == "aura_minutes":
                data[name] = _number(cell)
            elif name in FLAGS:
                data[name] = _boolean(cell)
            elif name == "peak_intensity":
                data[name] = cell.lower()
            elif name == "acute_medications":
                data[name], cell_problems = decode_medications(cell)
                out.problems.extend(_prefixed(row.line, cell_problems))
            else:
                data[name] = cell
        day, row_problems = parse_diary_entry(data, "")
        out.problems.extend(_prefixed(row.line, row_problems))
        if day is None:
            continue
        if day.date in first:
            out.problems.append(
                f"line {row.line}: date: {day.date.isoformat()} is also on line {first[day.date]}"
            )
            continue
        first[day.date] = row.line
        note = unguard_cell(row.cells.get(NOTES_COLUMN, ""))
        note = note if note.strip() else ""
        if len(note) > MAX_NOTES:
            out.problems.append(f"line {row.line}: notes: must be at most {MAX_NOTES} characters")
            continue
        if note:
            out.notes[day.date] = note
        out.days.append((row.line, normalise_day(day)))
    return out


def day_row(day: DiaryDay, notes: str = "") -> list[str]:
    """One row of the days CSV (`DAYS_HEADER`): raw facts, the note, then the derived flags."""
    c = classify_day(day)
    return [
        day.date.isoformat(),
        f"{day.headache_hours:g}",
        day.peak_intensity or "",
        *(_yes_no(getattr(day, f)) for f in FLAGS),
        str(day.aura_minutes),
        guard_cell(encode_medications(day.acute_medications)),
        guard_cell(notes),
        "true",
        _yes_no(c.headache_day),
        _yes_no(c.migraine_day),
        _yes_no(c.moderate_severe_day),
        _yes_no(c.headache_free),
        ";".join(c.acute_medication_classes),
        guard_cell("; ".join(c.reasons)),
    ]


def attack_row(attack: AttackFacts, tz: dt.tzinfo, source: str = "") -> list[str]:
    """One row of the attacks CSV (`ATTACKS_HEADER`), times in the patient's zone."""
    by_date = split_by_date(attack.start, attack.end, tz)
    return [
        attack.start.astimezone(tz).isoformat(),
        attack.end.astimezone(tz).isoformat(),
        attack.peak_intensity or "",
        guard_cell(attack.external_id),
        guard_cell(attack.notes),
        str(int((attack.end - attack.start).total_seconds() // 60)),
        ";".join(f"{d.isoformat()}={hours(t):g}" for d, t in by_date.items()),
        source,
    ]


@dataclass
class AttacksFile:
    """A parsed attacks file (cephalog's or Migraine Buddy's).

    `unknown_medicines` maps each medicine not in the catalogue to the lines
    naming it; `ignored` lists symptoms and other values that were not imported.
    """

    attacks: list[AttackFacts] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    unknown_medicines: dict[str, list[int]] = field(default_factory=dict)
    ignored: dict[str, list[int]] = field(default_factory=dict)


def _check_attack(
    line: int,
    start: dt.datetime | None,
    end: dt.datetime | None,
    field_name: str,
    problems: list[str],
) -> bool:
    if start is None or end is None:
        return False
    if end <= start:
        problems.append(f"line {line}: {field_name}: must be after the start")
        return False
    if end - start > MAX_ATTACK:
        problems.append(
            f"line {line}: {field_name}: an attack lasts at most {MAX_ATTACK.days} days"
        )
        return False
    return True


def _unique_keys(attacks: list[AttackFacts], problems: list[str]) -> list[AttackFacts]:
    """Refuse two rows for one attack (same id, or same start: one attack per start)."""
    seen_key: dict[str, int] = {}
    seen_start: dict[dt.datetime, int] = {}
    out = []
    for attack in attacks:
        if attack.external_id and attack.external_id in seen_key:
            problems.append(
                f"line {attack.line}: id: {_quote(attack.external_id)} is also on line "
                f"{seen_key[attack.external_id]}"
            )
        elif attack.start in seen_start:
            problems.append(
                f"line {attack.line}: start: another attack starts at the same time, on line "
                f"{seen_start[attack.start]}"
            )
        else:
            if attack.external_id:
                seen_key[attack.external_id] = attack.line
            seen_start[attack.start] = attack.line
            out.append(attack)
    return out


def read_attacks_csv(text: str) -> AttacksFile:
    """Read cephalog's attacks CSV (header `ATTACKS_HEADER`; derived columns ignored)."""
    rows, problems = read_rows(text, ("start", "end", "peak_intensity"))
    out = AttacksFile(problems=problems)
    for row in rows:
        row_problems: list[str] = []
        start = end = None
        try:
            start = parse_aware_datetime(row.cells["start"])
        except ValueError as error:
            row_problems.append(f"line {row.line}: start: {error}")
        try:
            end = parse_aware_datetime(row.cells["end"])
        except ValueError as error:
            row_problems.append(f"line {row.line}: end: {error}")
        intensity = row.cells["peak_intensity"].lower()
        if intensity not in INTENSITY_CODES:
            row_problems.append(
                f"line {row.line}: peak_intensity: must be one of {', '.join(INTENSITY_CODES)}; "
                f"got {_quote(intensity)}"
            )
        external_id = unguard_cell(row.cells.get("external_id", ""))
        notes = unguard_cell(row.cells.get("notes", ""))
        if len(external_id) > MAX_EXTERNAL_ID:
            row_problems.append(
                f"line {row.line}: external_id: must be at most {MAX_EXTERNAL_ID} characters"
            )
        if len(notes) > MAX_NOTES:
            row_problems.append(f"line {row.line}: notes: must be at most {MAX_NOTES} characters")
        valid = _check_attack(row.line, start, end, "end", row_problems)
        out.problems.extend(row_problems)
        if valid and not row_problems and start is not None and end is not None:
            out.attacks.append(
                AttackFacts(
                    start=start,
                    end=end,
                    peak_intensity=intensity,
                    external_id=external_id,
                    notes=notes,
                    line=row.line,
                )
            )
    out.attacks = _unique_keys(out.attacks, out.problems)
    return out


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


@dataclass
class MigraineBuddyFile(AttacksFile):
    """A parsed Migraine Buddy export.

    `not_imported` lists every column and table that is not imported;
    `date_order` the order the dates were read in ("" when the file needs the
    importer's choice: then `needs_date_order` is True and there is a problem).
    """

    not_imported: list[str] = field(default_factory=list)
    date_order: str = ""
    needs_date_order: bool = False


def _split_tables(text: str) -> tuple[int, list[str]]:
    """The line the attack table's header is on, and what the ongoing events table
    leaves out (one line per event), skipping that table when the file has it."""
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        first = next(reader)
    except (StopIteration, csv.Error):
        return 1, []
    names = [MB_ONGOING_ALIASES.get(header_key(h)) for h in first]
    if not names or names[0] is None or not {"period", "description"} <= set(names):
        return 1, []
    skipped: list[str] = []
    line = reader.line_num + 1
    try:
        for cells in reader:
            if cells and MB_ALIASES.get(header_key(cells[0])) == "row":
                return line, skipped  # the attack table, with no blank line before it
            if not any(c.strip() for c in cells):
                # The blank line between the tables; the attack table starts after it.
                rest = reader.line_num + 1
                for following in reader:
                    if any(c.strip() for c in following):
                        return rest, skipped
                    rest = reader.line_num + 1
                return rest, skipped
            joined = " ".join(c.strip() for c in cells).lower()
            if not re.search(r"\bno\b.*\bongoing\b|\bningún\b|\bsin eventos\b", joined):
                skipped.append(f"line {line}: ongoing event (not a diary fact)")
            line = reader.line_num + 1
    except csv.Error:
        pass
    return line, skipped


def read_migraine_buddy_csv(
    text: str,
    tz: dt.tzinfo,
    classes: Mapping[str, str] | None = None,
    *,
    date_order: str | None = None,
) -> MigraineBuddyFile:
    """Read Migraine Buddy's CSV export (see the notes above): one attack per row.

    `tz` is the patient's zone (used when the file has no offsets); `classes`
    names the class of medicines the catalogue lacks (normalised name → class);
    `date_order` ("mdy", "dmy" or "ymd") answers a file whose dates read both ways.
    """
    out = MigraineBuddyFile()
    start_line, skipped = _split_tables(text)
    out.not_imported.extend(skipped)
    body = "".join(io.StringIO(text, newline="").readlines()[start_line - 1 :])
    header = next(csv.reader(io.StringIO(body, newline="")), [])
    known = {header_key(h): MB_ALIASES.get(header_key(h)) for h in header}
    rows, problems = read_rows(
        body, ("started", "pain level"), aliases=MB_ALIASES, first_line=start_line
    )
    out.problems.extend(problems)
    have = {v for v in known.values() if v}
    if problems or not header:
        unknown = [h.strip() for h in header if not known.get(header_key(h)) and h.strip()]
        if unknown and problems:
            out.problems.append(
                f"line {start_line}: header: column(s) not recognised: "
                + ", ".join(_quote(h) for h in unknown[:8])
                + "; cephalog reads Migraine Buddy exports in English or Spanish"
            )
        return out
    if "lasted" not in have and "ended" not in have:
        out.problems.append(f"line {start_line}: header: missing column(s) lasted (or ended)")
        return out
    for h in header:
        if h.strip() and known.get(header_key(h)) not in MB_IMPORTED:
            out.not_imported.append(f"column {_quote(h.strip())}")
    if date_order is not None and date_order not in DATE_ORDERS:
        out.problems.append(f"date order: must be one of {', '.join(DATE_ORDERS)}")
        return out
    order = date_order
    if order is None:
        order, why = detect_date_order([(r.line, r.cells["started"]) for r in rows])
        if order is None:
            out.problems.append(why)
            out.needs_date_order = True
            return out
    out.date_order = order
    classes = classes or {}
    for row in rows:
        attack = _read_mb_row(row, tz, classes, order, out)
        if attack is not None:
            out.attacks.append(attack)
    out.attacks = _unique_keys(out.attacks, out.problems)
    return out


def _started(cell: str, order: str) -> dt.datetime:
    if re.fullmatch(r"\s*\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2})?\s*", cell):
        return dt.datetime.fromisoformat(cell.strip())
    return parse_stamp(cell, order)


def _place(local: dt.datetime, offset: int | None, tz: dt.tzinfo) -> dt.datetime:
    """A local time as an instant: less the phone's offset, else in the patient's zone."""
    zone = tz if offset is None else dt.timezone(dt.timedelta(minutes=offset))
    return local.replace(tzinfo=zone).astimezone(UTC)


def _read_mb_row(
    row: Row, tz: dt.tzinfo, classes: Mapping[str, str], order: str, out: MigraineBuddyFile
) -> AttackFacts | None:
    line, cells = row.line, row.cells
    problems: list[str] = []
    start = end = None
    local = None
    try:
        local = _started(cells["started"], order)
    except ValueError as error:
        problems.append(f"line {line}: Started: {error}")
    offsets: dict[str, int | None] = {"start offset": None, "end offset": None}
    for name in offsets:
        if cells.get(name, ""):
            try:
                offsets[name] = _offset(cells[name])
            except ValueError as error:
                label = "Start" if name == "start offset" else "End"
                problems.append(f"line {line}: {label} UTC Offset (min): {error}")
    start_off, end_off = offsets["start offset"], offsets["end offset"]
    if end_off is not None and start_off is None:
        start_off = end_off
    zone: dt.tzinfo | None = None
    if local is not None:
        start = _place(local, start_off, tz)
    lasted, ended = cells.get("lasted", ""), cells.get("ended", "")
    if lasted:
        try:
            duration = parse_any_duration(lasted)
            end = start + duration if start else None
        except ValueError as error:
            problems.append(f"line {line}: Lasted: {error}")
    elif ended:
        try:
            end = _place(_started(ended, order), end_off, tz)
        except ValueError as error:
            problems.append(f"line {line}: Ended: {error}")
    ongoing = not lasted and not ended  # still going when the file was exported
    if start is not None and end is not None and start_off is not None:
        zone = _zone_for(start, end, start_off, end_off, tz)
    intensity = None
    pain = cells["pain level"]
    if re.fullmatch(r"[0-9]{1,2}(\.0)?", pain) and float(pain) <= 10:
        intensity = pain_to_intensity(int(float(pain)))
    else:
        problems.append(
            f"line {line}: Pain Level: must be a whole number from 0 to 10, got {_quote(pain)}"
        )
    aura = 0
    aura_cell = cells.get("aura", "")
    if re.fullmatch(r"[0-9]{1,4}", aura_cell):
        aura = int(aura_cell)
    elif aura_cell.lower() in ("", "no", "false", "none", "no aura"):
        pass
    else:
        for item in _items(aura_cell) or [aura_cell]:
            out.ignored.setdefault(f"aura {_quote(item)} (no duration)", []).append(line)
    notes = cells.get("notes", "")
    if len(notes) > MAX_NOTES:
        problems.append(f"line {line}: Notes: must be at most {MAX_NOTES} characters")
    external_id = cells.get("id", "")
    if len(external_id) > MAX_EXTERNAL_ID - 3:
        problems.append(f"line {line}: Id: must be at most {MAX_EXTERNAL_ID - 3} characters")
    if ongoing:
        # Listed as not imported, not a problem: the rest of the file imports.
        out.problems.extend(problems)
        if not problems:
            out.not_imported.append(f"line {line}: an attack still going (no duration yet)")
        return None
    valid = _check_attack(line, start, end, "Lasted" if lasted else "Ended", problems)
    out.problems.extend(problems)

    features: set[str] = set()
    for symptom in _items(cells.get("symptoms", "")) + _items(cells.get("pain type", "")):
        feature = MB_SYMPTOMS.get(symptom.lower())
        if feature:
            features.add(feature)
        else:
            out.ignored.setdefault(f"symptom {_quote(symptom)}", []).append(line)
    positions = _items(cells.get("pain position", ""))
    if side_of(positions) or {p.lower() for p in positions} & _ONE_SIDE:
        features.add("unilateral")
    medications: list[AcuteMedication] = []
    sources = [(column, MB_MEDICATION_COLUMNS[column]) for column in MB_MEDICATION_COLUMNS]
    for column, effective in [*sources, ("medication", None)]:
        for item in _items(cells.get(column, "")):
            if item.lower() in _NO_MEDICATION:
                continue
            medicine, name = read_medicine(item, classes)
            if medicine is None:
                out.unknown_medicines.setdefault(name, []).append(line)
                continue
            if column != "medication":
                medicine = replace(medicine, effective=effective)
            medications = list(_add_medications(tuple(medications), [medicine]))

    if problems or not valid or start is None or end is None:
        return None
    return AttackFacts(
        start=start,
        end=end,
        peak_intensity=intensity,
        external_id=f"mb:{external_id}" if external_id else "",
        notes=notes,
        features=frozenset(features),
        aura_minutes=aura,
        medications=tuple(medications),
        line=line,
        tz=zone,
    )


def _zone_for(
    start: dt.datetime, end: dt.datetime, start_off: int, end_off: int | None, tz: dt.tzinfo
) -> dt.tzinfo | None:
    """The patient's zone when it agrees with the phone's offsets at the start and the end
    (a clock change inside the attack is then exact), else the phone's start offset."""
    end_off = start_off if end_off is None else end_off
    agrees = (start.astimezone(tz).utcoffset() == dt.timedelta(minutes=start_off)) and (
        end.astimezone(tz).utcoffset() == dt.timedelta(minutes=end_off)
    )
    return None if agrees else dt.timezone(dt.timedelta(minutes=start_off))


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
