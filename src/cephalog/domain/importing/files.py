"""cephalog's own days and attacks CSV files: cells, reading rows, writing rows."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from cephalog.domain.case import parse_diary_entry
from cephalog.domain.csvcells import guard_cell, unguard_cell
from cephalog.domain.diary import AcuteMedication, DiaryDay, classify_day
from cephalog.domain.importing.days import AttackFacts, normalise_day
from cephalog.domain.importing.values import (
    DAY_COLUMNS,
    FLAGS,
    MAX_ATTACK,
    MAX_EXTERNAL_ID,
    MAX_NOTES,
    NOTES_COLUMN,
    _quote,
    hours,
    parse_aware_datetime,
    split_by_date,
)
from cephalog.domain.vocab import INTENSITY_CODES

if TYPE_CHECKING:
    from _csv import Reader

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
    names = csv_header(
        reader, required, lambda h: (aliases or {}).get(header_key(h), header_key(h))
    )
    if isinstance(names, str):
        return [], [f"line {first_line}: {names}"]
    rows: list[Row] = []
    for line, cells in csv_body(reader, len(names), at):
        if isinstance(cells, str):
            problems.append(f"line {line}: {cells}")
        else:
            rows.append(Row(line, {n: c.strip() for n, c in zip(names, cells, strict=True)}))
    return rows, problems


def csv_header(
    reader: Reader, required: Sequence[str], column: Callable[[str], str]
) -> list[str] | str:
    """The column names of a `csv.reader`'s header (each header cell through `column`), or
    the problem (a str) of an empty file, an unreadable header or a missing required column."""
    try:
        header = next(reader)
    except StopIteration:
        return "header: the file is empty"
    except csv.Error as error:
        return f"header: not readable as CSV ({error})"
    names = [column(h) for h in header]
    missing = [c for c in required if c not in names]
    if missing:
        return f"header: missing column(s) {', '.join(missing)}"
    return names


def csv_body(reader: Reader, width: int, at: int = 0) -> Iterator[tuple[int, list[str] | str]]:
    """The rows after the header of a `csv.reader` (`width` columns), each with the line
    it starts on (+ `at`): its `width` cells, or the problem (a str) of a row with more
    cells, or of the text that cannot be read as CSV (the last). Blank rows are skipped;
    a short row reads its missing cells as empty (the field rules then name them), never
    as absent keys."""
    line = reader.line_num + 1 + at
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            yield line, f"not readable as CSV ({error})"
            return
        if any(c.strip() for c in cells):
            if len(cells) > width:
                yield line, f"has {len(cells)} cells but the header has {width}"
            else:
                yield line, [*cells, *[""] * (width - len(cells))]
        line = reader.line_num + 1 + at


def _prefixed(line: int, problems: Iterable[str]) -> list[str]:
    return [f"line {line}: {p}" for p in problems]


def day_data(cells: Mapping[str, str]) -> tuple[dict[str, Any], list[str]]:
    """A day's cells (stripped, formula guard removed) as `parse_diary_entry` takes them,
    blank cells left out; and the problems of the medicines cell."""
    data: dict[str, Any] = {}
    problems: list[str] = []
    for name in DAY_COLUMNS:
        cell = cells[name]
        if not cell:
            continue
        if name == "headache_hours" or name == "aura_minutes":
            data[name] = _number(cell)
        elif name in FLAGS:
            data[name] = _boolean(cell)
        elif name == "peak_intensity":
            data[name] = cell.lower()
        elif name == "acute_medications":
            data[name], problems = decode_medications(cell)
        else:
            data[name] = cell
    return data, problems


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
        data, cell_problems = day_data(
            {name: unguard_cell(row.cells.get(name, "")) for name in DAY_COLUMNS}
        )
        out.problems.extend(_prefixed(row.line, cell_problems))
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
