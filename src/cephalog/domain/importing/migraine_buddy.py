"""Reading Migraine Buddy's CSV export, one attack per row (the notes: `mb_terms`)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from cephalog.domain.diary import AcuteMedication
from cephalog.domain.importing.days import AttackFacts, _add_medications
from cephalog.domain.importing.files import (
    AttacksFile,
    Row,
    _check_attack,
    _unique_keys,
    header_key,
    read_rows,
)
from cephalog.domain.importing.mb_terms import (
    _NO_MEDICATION,
    _ONE_SIDE,
    DATE_ORDERS,
    MB_ALIASES,
    MB_IMPORTED,
    MB_MEDICATION_COLUMNS,
    MB_ONGOING_ALIASES,
    MB_SYMPTOMS,
    _items,
    _offset,
    detect_date_order,
    parse_any_duration,
    parse_stamp,
    read_medicine,
    side_of,
)
from cephalog.domain.importing.values import (
    MAX_EXTERNAL_ID,
    MAX_NOTES,
    UTC,
    _quote,
    pain_to_intensity,
)


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
    """One attack, or None (its problems added to `out`); what is not understood is
    listed in `out` too. An attack still going is listed as not imported."""
    line, cells = row.line, row.cells
    problems: list[str] = []
    start, end, zone = _mb_times(row, tz, order, problems)
    lasted, ended = cells.get("lasted", ""), cells.get("ended", "")
    intensity = _mb_intensity(row, problems)
    aura = _mb_aura(row, out)
    notes = cells.get("notes", "")
    if len(notes) > MAX_NOTES:
        problems.append(f"line {line}: Notes: must be at most {MAX_NOTES} characters")
    external_id = cells.get("id", "")
    if len(external_id) > MAX_EXTERNAL_ID - 3:
        problems.append(f"line {line}: Id: must be at most {MAX_EXTERNAL_ID - 3} characters")
    if not lasted and not ended:  # still going when the file was exported
        # Listed as not imported, not a problem: the rest of the file imports.
        out.problems.extend(problems)
        if not problems:
            out.not_imported.append(f"line {line}: an attack still going (no duration yet)")
        return None
    valid = _check_attack(line, start, end, "Lasted" if lasted else "Ended", problems)
    out.problems.extend(problems)
    features = _mb_features(row, out)
    medications = _mb_medications(row, classes, out)
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


def _mb_times(
    row: Row, tz: dt.tzinfo, order: str, problems: list[str]
) -> tuple[dt.datetime | None, dt.datetime | None, dt.tzinfo | None]:
    """(start, end, zone of its dates) from Started, the offsets and Lasted (or Ended)."""
    line, cells = row.line, row.cells
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
    if start is not None and end is not None and start_off is not None:
        zone = _zone_for(start, end, start_off, end_off, tz)
    return start, end, zone


def _mb_intensity(row: Row, problems: list[str]) -> str | None:
    pain = row.cells["pain level"]
    if re.fullmatch(r"[0-9]{1,2}(\.0)?", pain) and float(pain) <= 10:
        return pain_to_intensity(int(float(pain)))
    problems.append(
        f"line {row.line}: Pain Level: must be a whole number from 0 to 10, got {_quote(pain)}"
    )
    return None


def _mb_aura(row: Row, out: MigraineBuddyFile) -> int:
    """Aura minutes; an aura named without a duration is listed as not understood."""
    aura_cell = row.cells.get("aura", "")
    if re.fullmatch(r"[0-9]{1,4}", aura_cell):
        return int(aura_cell)
    if aura_cell.lower() not in ("", "no", "false", "none", "no aura"):
        for item in _items(aura_cell) or [aura_cell]:
            out.ignored.setdefault(f"aura {_quote(item)} (no duration)", []).append(row.line)
    return 0


def _mb_features(row: Row, out: MigraineBuddyFile) -> set[str]:
    """The diary's features from Symptoms, Pain Type and Pain Position."""
    cells = row.cells
    features: set[str] = set()
    for symptom in _items(cells.get("symptoms", "")) + _items(cells.get("pain type", "")):
        feature = MB_SYMPTOMS.get(symptom.lower())
        if feature:
            features.add(feature)
        else:
            out.ignored.setdefault(f"symptom {_quote(symptom)}", []).append(row.line)
    positions = _items(cells.get("pain position", ""))
    if side_of(positions) or {p.lower() for p in positions} & _ONE_SIDE:
        features.add("unilateral")
    return features


def _mb_medications(
    row: Row, classes: Mapping[str, str], out: MigraineBuddyFile
) -> list[AcuteMedication]:
    """The medicines of the four effect columns (and the older Medication column)."""
    medications: list[AcuteMedication] = []
    sources = [(column, MB_MEDICATION_COLUMNS[column]) for column in MB_MEDICATION_COLUMNS]
    for column, effective in [*sources, ("medication", None)]:
        for item in _items(row.cells.get(column, "")):
            if item.lower() in _NO_MEDICATION:
                continue
            medicine, name = read_medicine(item, classes)
            if medicine is None:
                out.unknown_medicines.setdefault(name, []).append(row.line)
                continue
            if column != "medication":
                medicine = replace(medicine, effective=effective)
            medications = list(_add_medications(tuple(medications), [medicine]))
    return medications


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
