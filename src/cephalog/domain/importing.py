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
DAYS_HEADER: tuple[str, ...] = DAY_COLUMNS + DERIVED_COLUMNS

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
    intervals: Iterable[tuple[dt.datetime, dt.datetime]], tz: dt.tzinfo
) -> dict[dt.date, dt.timedelta]:
    """The union of the time the intervals cover, per local date: overlapping
    attacks on one date are not counted twice."""
    merged: list[list[dt.datetime]] = []
    for start, end in sorted((s.astimezone(UTC), e.astimezone(UTC)) for s, e in intervals):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    out: dict[dt.date, dt.timedelta] = {}
    for start, end in merged:
        for day, time in split_by_date(start, end, tz).items():
            out[day] = out.get(day, dt.timedelta(0)) + time
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


def days_from_attacks(attacks: Sequence[AttackFacts], tz: dt.tzinfo) -> dict[dt.date, DiaryDay]:
    """The diary day each covered local date gets from the attacks (see the module notes):
    hours = union of covered time, intensity = the highest, symptoms on every date
    covered, medicines and aura on the date the attack started."""
    painful = [a for a in attacks if a.peak_intensity]
    time = covered_time(((a.start, a.end) for a in painful), tz)
    days: dict[dt.date, DiaryDay] = {}

    def day(date: dt.date) -> DiaryDay:
        if date not in days:
            days[date] = DiaryDay(date=date, headache_hours=hours(time.get(date, dt.timedelta())))
        return days[date]

    for attack in attacks:
        dates = list(split_by_date(attack.start, attack.end, tz)) if attack.peak_intensity else []
        for date in dates:
            current = day(date)
            flags = {f: getattr(current, f) or f in attack.features for f in FLAGS}
            days[date] = _with(
                current,
                peak_intensity=max_intensity(current.peak_intensity, attack.peak_intensity),
                **flags,
            )
        first = attack.start.astimezone(tz).date()
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

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def guard_cell(text: str) -> str:
    """A free-text cell made safe for spreadsheets (CSV formula injection): a leading
    `=`, `+`, `-`, `@`, tab or carriage return gets a `'` in front."""
    return "'" + text if text.startswith(_FORMULA_START) else text


def unguard_cell(text: str) -> str:
    """The inverse of `guard_cell`, so exported files re-import unchanged."""
    return text[1:] if text.startswith("'") and text[1:].startswith(_FORMULA_START) else text


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


@dataclass(frozen=True, slots=True)
class Row:
    line: int
    cells: dict[str, str]


def read_rows(
    text: str, required: Sequence[str], *, aliases: Mapping[str, str] | None = None
) -> tuple[list[Row], list[str]]:
    """The rows of a CSV text keyed by column name, with the line each starts on.

    Column names are matched case-insensitively (and through `aliases`, lower
    case → canonical); blank lines are skipped. A missing required column or a
    row with more cells than the header is a problem.
    """
    problems: list[str] = []
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        return [], ["line 1: header: the file is empty"]
    except csv.Error as error:
        return [], [f"line 1: header: not readable as CSV ({error})"]
    names = [(aliases or {}).get(h.strip().lower(), h.strip().lower()) for h in header]
    missing = [c for c in required if c not in names]
    if missing:
        return [], [f"line 1: header: missing column(s) {', '.join(missing)}"]
    rows: list[Row] = []
    line = reader.line_num + 1
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
        line = reader.line_num + 1
    return rows, problems


def _prefixed(line: int, problems: Iterable[str]) -> list[str]:
    return [f"line {line}: {p}" for p in problems]


@dataclass
class DaysFile:
    """A parsed days CSV: `days` as (line, day), valid only when `problems` is empty."""

    days: list[tuple[int, DiaryDay]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


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
        out.days.append((row.line, normalise_day(day)))
    return out


def day_row(day: DiaryDay) -> list[str]:
    """One row of the days CSV (`DAYS_HEADER`): raw facts, then the derived flags."""
    c = classify_day(day)
    return [
        day.date.isoformat(),
        f"{day.headache_hours:g}",
        day.peak_intensity or "",
        *(_yes_no(getattr(day, f)) for f in FLAGS),
        str(day.aura_minutes),
        guard_cell(encode_medications(day.acute_medications)),
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

#: Migraine Buddy's column names (lower case) and the ones other versions use.
MB_ALIASES: Mapping[str, str] = {
    "id": "id",
    "attack id": "id",
    "started": "started",
    "start": "started",
    "start time": "started",
    "ended": "ended",
    "end": "ended",
    "end time": "ended",
    "lasted": "lasted",
    "duration": "lasted",
    "pain level": "pain level",
    "pain intensity": "pain level",
    "intensity": "pain level",
    "pain position": "pain position",
    "pain location": "pain position",
    "pain type": "pain type",
    "symptoms": "symptoms",
    "aura": "aura",
    "medication": "medication",
    "medications": "medication",
    "acute medication": "medication",
    "notes": "notes",
    "note": "notes",
}

#: Symptom names (lower case) → the diary's feature; other symptoms are reported as ignored.
MB_SYMPTOMS: Mapping[str, str] = {
    "nausea": "nausea",
    "vomiting": "vomiting",
    "sensitivity to light": "photophobia",
    "light sensitivity": "photophobia",
    "photophobia": "photophobia",
    "sensitivity to sound": "phonophobia",
    "sound sensitivity": "phonophobia",
    "sensitivity to noise": "phonophobia",
    "noise sensitivity": "phonophobia",
    "phonophobia": "phonophobia",
    "throbbing": "pulsating",
    "throbbing pain": "pulsating",
    "pulsating": "pulsating",
    "pounding": "pulsating",
    "worse with activity": "aggravated_by_activity",
    "worse with physical activity": "aggravated_by_activity",
    "worse with movement": "aggravated_by_activity",
    "aggravated by activity": "aggravated_by_activity",
}
_ONE_SIDE = {"left", "right", "left side", "right side", "one side", "unilateral"}
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


def read_migraine_buddy_csv(
    text: str, tz: dt.tzinfo, classes: Mapping[str, str] | None = None
) -> AttacksFile:
    """Read Migraine Buddy's CSV export: one row per attack.

    Columns (any order, case-insensitive): `Started` (local time
    `YYYY-MM-DD HH:MM`), `Lasted` (`01h 00m`, `1d 02h 15m`) or `Ended`,
    `Pain Level` 0-10, and optionally `Id`, `Pain Position`, `Pain Type`,
    `Symptoms`, `Aura` (minutes), `Medication` (a list: `Sumatriptan 50mg
    (Helpful), Ibuprofen 400mg`) and `Notes`. Other columns (triggers,
    weather, ...) are not diary facts and are ignored.
    """
    rows, problems = read_rows(text, ("started", "pain level"), aliases=MB_ALIASES)
    out = AttacksFile(problems=problems)
    if rows and "lasted" not in rows[0].cells and "ended" not in rows[0].cells:
        out.problems.append("line 1: header: missing column(s) lasted (or ended)")
        return out
    for row in rows:
        attack = _read_mb_row(row, tz, classes or {}, out)
        if attack is not None:
            out.attacks.append(attack)
    out.attacks = _unique_keys(out.attacks, out.problems)
    return out


def _read_mb_row(
    row: Row, tz: dt.tzinfo, classes: Mapping[str, str], out: AttacksFile
) -> AttackFacts | None:
    line, cells = row.line, row.cells
    problems: list[str] = []
    start = end = None
    try:
        start = parse_local_datetime(cells["started"], tz)
    except ValueError as error:
        problems.append(f"line {line}: Started: {error}")
    lasted, ended = cells.get("lasted", ""), cells.get("ended", "")
    if lasted:
        try:
            duration = parse_duration(lasted)
            end = start + duration if start else None
        except ValueError as error:
            problems.append(f"line {line}: Lasted: {error}")
    elif ended:
        try:
            end = parse_local_datetime(ended, tz)
        except ValueError as error:
            problems.append(f"line {line}: Ended: {error}")
    else:
        problems.append(f"line {line}: Lasted: required (an attack still going cannot be imported)")
    intensity = None
    pain = cells["pain level"]
    if re.fullmatch(r"[0-9]{1,2}", pain) and int(pain) <= 10:
        intensity = pain_to_intensity(int(pain))
    else:
        problems.append(
            f"line {line}: Pain Level: must be a whole number from 0 to 10, got {_quote(pain)}"
        )
    aura = 0
    aura_cell = cells.get("aura", "").lower()
    if re.fullmatch(r"[0-9]{1,4}", aura_cell):
        aura = int(aura_cell)
    elif aura_cell in ("yes", "true"):
        out.ignored.setdefault("aura without a duration", []).append(line)
    elif aura_cell not in ("", "no", "false", "none"):
        problems.append(
            f"line {line}: Aura: must be minutes (a whole number) or no, got {_quote(aura_cell)}"
        )
    notes = cells.get("notes", "")
    if len(notes) > MAX_NOTES:
        problems.append(f"line {line}: Notes: must be at most {MAX_NOTES} characters")
    external_id = cells.get("id", "")
    if len(external_id) > MAX_EXTERNAL_ID - 3:
        problems.append(f"line {line}: Id: must be at most {MAX_EXTERNAL_ID - 3} characters")
    valid = _check_attack(line, start, end, "Lasted" if lasted else "Ended", problems)
    out.problems.extend(problems)

    features: set[str] = set()
    for symptom in _items(cells.get("symptoms", "")) + _items(cells.get("pain type", "")):
        feature = MB_SYMPTOMS.get(symptom.lower())
        if feature:
            features.add(feature)
        else:
            out.ignored.setdefault(f"symptom {_quote(symptom)}", []).append(line)
    if {p.lower() for p in _items(cells.get("pain position", ""))} & _ONE_SIDE:
        features.add("unilateral")
    medications = []
    for item in _items(cells.get("medication", "")):
        medicine, name = read_medicine(item, classes)
        if medicine is None:
            out.unknown_medicines.setdefault(name, []).append(line)
        else:
            medications.append(medicine)

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
    )
