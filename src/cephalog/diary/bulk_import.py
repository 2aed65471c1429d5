"""Bulk import of diary days for a whole clinic or registry (issue 10, part 3).

One CSV holds many patients' days: an `mrn` column naming the patient by their
MRN in the clinic, then the columns of cephalog's own days CSV
(`domain.importing.DAY_COLUMNS`; the derived columns of an export are ignored):

    mrn,date,headache_hours,peak_intensity,unilateral,...,aura_minutes,acute_medications
    MRN-1001,2026-03-02,6.5,severe,true,...,0,sumatriptan:triptan:yes

The rules are the per-patient days import's (cephalog.diary.imports,
docs/adr/0004-diary-imports.md) and so are the messages: every row is checked
before anything is stored; each problem is `line N: field: message` (the header
is line 1), the first `MAX_PROBLEMS` are listed, and any problem stores nothing.
Two rows for one patient's date, an MRN the clinic does not have, and a date
after the patient's local today are problems too. A row replaces the day it
names: a day equal to the stored one is counted as unchanged and left alone, a
changed day keeps its previous version as a `DiaryEntryRevision` and gets
version + 1, so importing the same file again changes nothing.

Who: the clinic's physicians and nurses, for its own patients only; an MRN of
another clinic is "no patient with this MRN in this clinic". Clinic admins may
export but not import (ADR 0004).

Speed (the goal is 200,000 rows/s on PostgreSQL): the rows are read and checked
column by column with Polars, one vectorised expression per rule over the whole
file and no Python loop per row; cheap exact checks come first (a column with no
whitespace is not stripped, a flag column of `true`/`false` is not lower-cased, a
file sorted by patient and date has no duplicates). Only the listed problem
lines are worded in Python, by the same code as the per-patient import. On
PostgreSQL the checked rows go into temporary staging tables with a binary COPY
and are stored by a few set-based statements; elsewhere (SQLite) with
`executemany`. Either way in one transaction.

Audit: one `import` row for the import as a whole (counts only) and one per
patient whose diary it changed (counts only), never diary contents.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import time
import uuid
import zoneinfo
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import numpy as np
import polars as pl
from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.utils import timezone

from cephalog.accounts.access import CLINICAL_ROLES
from cephalog.accounts.models import Clinic, Membership
from cephalog.audit.actions import record, record_many
from cephalog.diary.actions import FLAGS, MAX_MEDICINE_NAME, MAX_MEDICINES_PER_DAY
from cephalog.diary.models import AcuteMedicationTaken, DiaryEntry, DiaryEntryRevision, EntrySource
from cephalog.domain.case import describe, parse_diary_entry
from cephalog.domain.importing import (
    DAY_COLUMNS,
    DERIVED_COLUMNS,
    NOTES_COLUMN,
    _boolean,
    _number,
    decode_medications,
)
from cephalog.domain.vocab import ACUTE_CLASS_CODES, INTENSITY_CODES
from cephalog.ops.db import retry_on_serialization_failure
from cephalog.patients.models import Patient

#: The column naming the patient (their MRN in the clinic).
PATIENT_COLUMN = "mrn"
REQUIRED_COLUMNS = (PATIENT_COLUMN, "date", "headache_hours")
#: Problems listed in full; the rest are counted.
MAX_PROBLEMS = 50
#: Larger files are refused before they are read (a million days is about 80 MB).
MAX_FILE_BYTES = 2 * 1024**3
#: The largest aura the diary stores (a PositiveSmallIntegerField).
MAX_AURA_MINUTES = 32767

type Progress = Callable[[str], None]

#: What Python's str.strip() removes (the per-patient import strips every cell).
WHITESPACE = "".join(chr(c) for c in range(0x110000) if chr(c).isspace())
_WS = "[" + "".join(f"\\x{{{ord(c):x}}}" for c in WHITESPACE) + "]"
_FORMULA_START = ["=", "+", "-", "@", "\t", "\r"]
_TRUE = ["true", "yes", "1"]
_FALSE = ["false", "no", "0"]
_NUMBER = r"^-?[0-9]+(\.[0-9]+)?$"
_DATE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
_EFFECTS = {"yes": True, "no": False}
#: Intensity codes in the staging table: 0 none, then INTENSITY_CODES in order.
_INTENSITIES = ("", *INTENSITY_CODES)


@dataclass
class BulkImportResult:
    """What a bulk import did, or why it stored nothing (`problems`)."""

    rows: int = 0
    patients: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    medicines: int = 0
    problems: list[str] = field(default_factory=list)
    #: Lines with at least one problem (all of them, listed or not).
    problem_lines: int = 0
    backend: str = ""
    seconds: float = 0.0
    #: Seconds per phase (read, check, store), for progress and benchmarks.
    timings: dict[str, float] = field(default_factory=dict)
    #: Columns of the file that are not imported, one line each (nothing silently).
    not_imported: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


# --- Who -------------------------------------------------------------------------------------


def check_importer(clinic: Clinic, by: Any) -> None:
    """Only the clinic's physicians and nurses import diaries (ADR 0004)."""
    if not getattr(by, "is_authenticated", False) or not (
        Membership.objects.filter(user=by, clinic=clinic, role__in=CLINICAL_ROLES).exists()
    ):
        raise PermissionDenied("only the clinic's physicians and nurses may import diaries")


# --- Reading the file ------------------------------------------------------------------------


@dataclass
class Table:
    """The file's rows as strings (`_line`: each row's line in the file), or the problems
    that stop it being read. `plain`: no cell holds whitespace (nothing to strip)."""

    frame: pl.DataFrame | None
    problems: list[tuple[int, str]] = field(default_factory=list)
    plain: bool = False


def _file_bytes(file: IO[bytes] | IO[str] | bytes | str | Path) -> bytes:
    if isinstance(file, Path):
        return file.read_bytes()
    data = file if isinstance(file, bytes | str) else file.read()
    return data.encode() if isinstance(data, str) else data


def read_table(data: bytes) -> Table:
    """Read the CSV with Polars (every column a string); line numbers are exact.

    A file Polars cannot read as one record per line (a quoted cell holding a
    line break, a row with more cells than the header, a bare CR line end, ...)
    is read again with the csv module, as the per-patient import reads it.
    """
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if len(data) > MAX_FILE_BYTES:
        return Table(None, [(0, f"file: larger than {MAX_FILE_BYTES // 1024**3} GB; split it")])
    if b"\x00" in data:
        return Table(None, [(0, "file: not a text file; export a CSV file and use that")])
    end = data.find(b"\n")
    first = data[: end if end >= 0 else len(data)]
    try:
        header = next(csv.reader([first.decode("utf-8").rstrip("\r")]), [])
    except (UnicodeDecodeError, csv.Error):
        header = []
    names = [h.strip().lower() for h in header]
    if not any(names):
        return _read_slowly(data)
    missing = [c for c in REQUIRED_COLUMNS if c not in names]
    if missing:
        return Table(None, [(1, f"header: missing column(s) {', '.join(missing)}")])
    if len(set(names)) != len(names) or not _no_bare_cr(data):
        return _read_slowly(data)
    try:
        frame = pl.read_csv(
            data, has_header=True, new_columns=names, infer_schema=False, raise_if_empty=False
        )
    except pl.exceptions.PolarsError:
        return _read_slowly(data)
    # Polars keeps a blank line as a row of nulls, so one row per line after the header
    # means no record spans lines (a quoted line break) and row i is line i + 2.
    lines = data.count(b"\n") + (0 if data.endswith(b"\n") else 1)
    if frame.height + 1 != lines:
        return _read_slowly(data)
    # An ASCII file without spaces, tabs and the like has nothing to strip (CR only
    # ends lines here: a bare CR was sent to the slow reading above).
    plain = data.isascii() and not any(c in data for c in b" \t\x0b\x0c\x1c\x1d\x1e\x1f")
    frame = frame.with_columns(_line=pl.int_range(2, frame.height + 2, dtype=pl.Int32))
    return Table(_drop_blank_rows(frame, plain), plain=plain)


def _no_bare_cr(data: bytes) -> bool:
    """CR only before LF (a bare CR ends a line for the csv module, not for Polars)."""
    return b"\r" not in data or data.count(b"\r") == data.count(b"\r\n")


def _read_slowly(data: bytes) -> Table:
    """The csv module's reading (as `domain.importing.read_rows`), into a string frame."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return Table(
            None, [(0, "file: not UTF-8 text; save the file as CSV (UTF-8) and try again")]
        )
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        return Table(None, [(1, "header: the file is empty")])
    except csv.Error as error:
        return Table(None, [(1, f"header: not readable as CSV ({error})")])
    names = [h.strip().lower() for h in header]
    missing = [c for c in REQUIRED_COLUMNS if c not in names]
    if missing:
        return Table(None, [(1, f"header: missing column(s) {', '.join(missing)}")])
    # A repeated column name: the last one counts (as in read_rows, a dict).
    last = {name: index for index, name in enumerate(names)}
    columns: dict[str, list[str]] = {name: [] for name in last}
    line_numbers: list[int] = []
    problems: list[tuple[int, str]] = []
    line = reader.line_num + 1
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            problems.append((line, f"not readable as CSV ({error})"))
            break
        if any(c.strip() for c in cells):
            if len(cells) > len(names):
                problems.append((line, f"has {len(cells)} cells but the header has {len(names)}"))
            else:
                padded = [*cells, *[""] * (len(names) - len(cells))]
                for name, index in last.items():
                    columns[name].append(padded[index])
                line_numbers.append(line)
        line = reader.line_num + 1
    frame = pl.DataFrame(
        {**columns, "_line": line_numbers},
        schema={**dict.fromkeys(columns, pl.String), "_line": pl.Int32},
    )
    return Table(frame, problems)


def _blank(name: str, plain: bool) -> pl.Expr:
    cell = pl.col(name)
    return cell.is_null() | ((cell == "") if plain else (cell.str.strip_chars(WHITESPACE) == ""))


def _drop_blank_rows(frame: pl.DataFrame, plain: bool) -> pl.DataFrame:
    """Rows whose cells are all blank are skipped (read_rows does the same). A blank row
    has a blank MRN, so only those rows are looked at closely."""
    maybe = frame.filter(_blank(PATIENT_COLUMN, plain))
    if not maybe.height:
        return frame
    cells = [c for c in frame.columns if c != "_line"]
    blank_lines = maybe.filter(pl.all_horizontal(_blank(c, plain) for c in cells))["_line"]
    return frame.filter(~pl.col("_line").is_in(blank_lines.implode()))


# --- Checking the rows (vectorised) ----------------------------------------------------------


@dataclass
class Checked:
    """The rows ready to store, or (`bad`) the rows with problems.

    `days`: n (row), p (index into `patients`), date, h100 (hundredths of an hour),
    peak_intensity ("" without headache) and its code (0 none, 1 mild, ...), the
    FLAGS, aura_minutes, late. `medicines`: n, p, date, ord (order within the day),
    name, drug_class, effective (null: unknown). `patients`: p, patient (id).
    """

    days: pl.DataFrame
    medicines: pl.DataFrame
    patients: pl.DataFrame
    bad: pl.DataFrame


def _clean(frame: pl.DataFrame, name: str, plain: bool) -> pl.Series:
    """A column as the per-patient import reads its cells: stripped, formula guard removed."""
    if name not in frame.columns:
        return pl.Series(name, [""] * frame.height, dtype=pl.String)
    cells = frame[name].fill_null("")
    if not plain and cells.str.contains(f"^{_WS}|{_WS}$").any():
        cells = cells.str.strip_chars(WHITESPACE)
    if name != PATIENT_COLUMN and cells.str.starts_with("'").any():
        guarded = cells.str.starts_with("'") & cells.str.slice(1, 1).is_in(_FORMULA_START)
        cells = pl.select(pl.when(guarded).then(cells.str.slice(1)).otherwise(cells)).to_series()
    return cells.alias(name)


def _lower(cells: pl.Series, usual: Sequence[str]) -> pl.Series:
    """Lower-cased, unless every cell is already one of `usual` (the common case)."""
    return cells if cells.is_in(usual).all() else cells.str.to_lowercase()


def check_rows(
    table: Table,
    patients: pl.DataFrame,
    *,
    today: dt.date | None = None,
    now: dt.datetime | None = None,
) -> Checked:
    """Every rule of the days import, vectorised over the whole file.

    `patients` maps the clinic's MRNs to patient ids and time zones. A date is
    in the future after the patient's local today (`today` overrides it for all).
    """
    assert table.frame is not None
    frame = table.frame
    cells = pl.DataFrame(
        [
            frame["_line"],
            *(_clean(frame, name, table.plain) for name in (PATIENT_COLUMN, *DAY_COLUMNS)),
        ]
    ).with_row_index("n")

    now = now or timezone.now()
    zones = patients["time_zone"].unique().to_list()
    todays = pl.DataFrame(
        {
            "time_zone": zones,
            "today": [today or now.astimezone(zoneinfo.ZoneInfo(z)).date() for z in zones],
        },
        schema={"time_zone": pl.String, "today": pl.Date},
    )
    patients = (
        patients.with_row_index("p")
        .join(todays, on="time_zone", how="left")
        .select("p", PATIENT_COLUMN, "patient", "today")
    )
    p = cells[PATIENT_COLUMN].replace_strict(
        patients[PATIENT_COLUMN], patients["p"], default=None, return_dtype=pl.UInt32
    )
    cells = cells.with_columns(p=p, today=patients["today"].gather(p))

    date = cells["date"]
    parsed = date.str.to_date("%Y-%m-%d", strict=False)
    day = pl.select(
        pl.when(date.str.contains(_DATE) & (parsed.dt.year() >= 1)).then(parsed)
    ).to_series()
    hours_cell = cells["headache_hours"]
    hours = pl.select(
        pl.when(hours_cell.str.contains(_NUMBER)).then(hours_cell.cast(pl.Float64, strict=False))
    ).to_series()
    intensity = _lower(cells["peak_intensity"], _INTENSITIES)
    aura_cell = cells["aura_minutes"]
    aura = pl.select(
        pl.when(aura_cell == "")
        .then(pl.lit(0.0))
        .when(aura_cell.str.contains(_NUMBER))
        .then(aura_cell.cast(pl.Float64, strict=False))
    ).to_series()
    flags: dict[str, pl.Series] = {}
    bad_flags = pl.Series(np.zeros(cells.height, dtype=bool))
    for name in FLAGS:
        cell = cells[name]
        value = cell == "true"
        if not (value | (cell == "false") | (cell == "")).all():
            lower = cell.str.to_lowercase()
            value = lower.is_in(_TRUE)
            bad_flags = bad_flags | ~lower.is_in(["", *_TRUE, *_FALSE])
        flags[name] = value.alias(name)

    rules = cells.with_columns(
        day=day,
        hours_value=hours,
        intensity=intensity,
        aura_value=aura,
        bad_patient=pl.col("p").is_null(),
        bad_date=day.is_null(),
        bad_hours=hours.is_null() | ~hours.is_between(0.0, 24.0),
        bad_intensity=((intensity != "") & ~intensity.is_in(INTENSITY_CODES))
        | ((intensity == "") & hours.is_not_null() & (hours > 0)),
        bad_flags=bad_flags,
        bad_aura=aura.is_null()
        | (aura != aura.floor())
        | ~aura.is_between(0.0, float(MAX_AURA_MINUTES)),
    ).with_columns(
        bad_future=pl.col("day").is_not_null()
        & pl.col("today").is_not_null()
        & (pl.col("day") > pl.col("today")),
    )

    # The medicine rules run once per distinct cell (a registry has few) and the
    # verdicts are mapped back to the rows by the cell's code.
    cell = cells["acute_medications"]
    distinct = cell.unique()
    code = cell.replace_strict(distinct, range(len(distinct)), return_dtype=pl.UInt32)
    items = _medicines(
        pl.DataFrame({"code": range(len(distinct)), "acute_medications": distinct}),
        table.plain,
    )
    bad_codes = (
        items.group_by("code")
        .agg(
            bad=(~pl.col("well_formed") | ~pl.col("class_ok") | ~pl.col("name_ok")).any()
            | (pl.len() > MAX_MEDICINES_PER_DAY)
        )
        .filter("bad")["code"]
    )
    rules = rules.with_columns(code=code, bad_medicines=code.is_in(bad_codes.implode()))
    row_rules = [
        "bad_patient",
        "bad_date",
        "bad_hours",
        "bad_intensity",
        "bad_flags",
        "bad_aura",
        "bad_future",
        "bad_medicines",
    ]
    rules = rules.with_columns(bad_row=pl.any_horizontal(*row_rules))
    rules = _duplicates(rules)
    is_bad = pl.col("bad_row") | pl.col("bad_duplicate")
    if rules.select(is_bad.any()).item():
        bad = rules.filter(is_bad).select(
            "_line",
            "p",
            "first_line",
            *(PATIENT_COLUMN, *DAY_COLUMNS),
            *row_rules,
            "bad_duplicate",
        )
        return Checked(rules.clear(), items.clear(), patients, bad)

    h100 = _hundredths(rules)
    intensity_code = pl.col("intensity").cast(pl.Enum(_INTENSITIES)).to_physical().cast(pl.Int16)
    days = rules.select(
        "n",
        "p",
        pl.col("day").alias("date"),
        h100.alias("h100"),
        pl.when(h100 > 0).then(pl.col("intensity")).otherwise(pl.lit("")).alias("peak_intensity"),
        pl.when(h100 > 0).then(intensity_code).otherwise(pl.lit(0, pl.Int16)).alias("intensity"),
        pl.col("aura_value").cast(pl.Int16).alias("aura_minutes"),
        (pl.col("day") < pl.col("today")).alias("late"),
    ).with_columns(**flags)
    # Each row's medicines: its cell's items, in order (rows in file order).
    item = pl.struct("ord", "name", "drug_class", "effective")
    by_code = (
        pl.DataFrame({"code": range(len(distinct))}, schema={"code": pl.UInt32})
        .join(items.group_by("code").agg(items=item), on="code", how="left")
        .sort("code")["items"]
    )
    taking = rules.filter(pl.col("code").is_in(items["code"].unique().implode()))
    medicines = (
        taking.select("n", "p", pl.col("day").alias("date"))
        .with_columns(items=by_code.gather(taking["code"]))
        .explode("items")
        .unnest("items")
    )
    return Checked(days, medicines, patients, rules.clear())


def _duplicates(rules: pl.DataFrame) -> pl.DataFrame:
    """Two rows for one patient's date: the later ones are problems (among rows that are
    otherwise valid, as in read_days_csv). A file sorted by patient and date has none."""
    key = (pl.col("p").cast(pl.Int64) * 4_000_000 + pl.col("day").cast(pl.Int32)).alias("key")
    good = rules.filter(~pl.col("bad_row")).select("n", "_line", key)
    none = pl.lit(None, pl.Int32)
    if good.height < 2 or good.select((pl.col("key").diff().drop_nulls() > 0).all()).item():
        return rules.with_columns(first_line=none, bad_duplicate=pl.lit(False))
    repeated = good.filter(pl.col("key").is_duplicated())
    if not repeated.height:
        return rules.with_columns(first_line=none, bad_duplicate=pl.lit(False))
    repeated = repeated.with_columns(first_line=pl.col("_line").min().over("key")).filter(
        pl.col("first_line") != pl.col("_line")
    )
    return rules.join(
        repeated.select("n", "first_line"), on="n", how="left", maintain_order="left"
    ).with_columns(bad_duplicate=pl.col("first_line").is_not_null())


def _hundredths(rules: pl.DataFrame) -> pl.Expr:
    """Hours to 0.01 h as the per-patient import stores them: `round(float(cell), 2)`.

    A cell with at most two decimals is exact; a longer one (rare) is rounded by
    Python itself, so half-way cases match `round` (`2.675` -> 2.67).
    """
    value = pl.col("hours_value")
    long = pl.col("headache_hours").str.contains(r"\.[0-9]{3,}$")
    if rules.select(long.any()).item():
        return (
            pl.when(long)
            .then(value.map_elements(lambda v: round(round(v, 2) * 100), return_dtype=pl.Int64))
            .otherwise((value * 100).round(0).cast(pl.Int64))
            .cast(pl.Int16)
        )
    return (value * 100).round(0).cast(pl.Int16)


def _medicines(cells: pl.DataFrame, plain: bool) -> pl.DataFrame:
    """One row per medicine item of the `acute_medications` cells (`name:class:yes|no|unknown`,
    `;` between items; `%25`, `%3A`, `%3B` in names), with the rules it breaks; `code`
    names the cell, `ord` the item's place in it."""

    def strip(text: pl.Expr) -> pl.Expr:
        return text if plain else text.str.strip_chars(WHITESPACE)

    items = (
        cells.filter(pl.col("acute_medications") != "")
        .select(
            "code",
            item=pl.col("acute_medications")
            .str.split(";")
            .list.eval(pl.element().filter(strip(pl.element()) != "")),
        )
        .with_columns(ord=pl.int_ranges(0, pl.col("item").list.len(), dtype=pl.Int16))
        .explode("item", "ord")
        .drop_nulls("item")
    )
    parts = pl.col("item").str.split(":")
    items = items.with_columns(
        count=parts.list.len(),
        p0=strip(parts.list.get(0, null_on_oob=True)),
        p1=strip(parts.list.get(1, null_on_oob=True)),
        p2=strip(parts.list.get(2, null_on_oob=True)).str.to_lowercase(),
    )
    name = (
        pl.col("p0")
        .str.replace_all("%3B", ";", literal=True)
        .str.replace_all("%3A", ":", literal=True)
        .str.replace_all("%25", "%", literal=True)
    )
    return items.select(
        "code",
        "ord",
        well_formed=pl.col("count").is_between(2, 3)
        & ((pl.col("count") == 2) | pl.col("p2").is_in(["yes", "no", "unknown", ""])),
        class_ok=pl.col("p1").is_in(ACUTE_CLASS_CODES),
        name=pl.when(name == "").then(pl.col("p1")).otherwise(name),
        drug_class=pl.col("p1"),
        effective=pl.col("p2").replace_strict(_EFFECTS, default=None, return_dtype=pl.Boolean),
    ).with_columns(name_ok=pl.col("name").str.len_chars() <= MAX_MEDICINE_NAME)


# --- Messages for the problem lines (the per-patient import's own code) ----------------------


def _row_messages(row: dict[str, Any]) -> list[str]:
    """The problems of one row, worded by the same code as `read_days_csv` and the forms."""
    messages: list[str] = []
    mrn = row[PATIENT_COLUMN]
    if not mrn:
        messages.append(f"{PATIENT_COLUMN}: required")
    elif row["p"] is None:
        messages.append(f"{PATIENT_COLUMN}: no patient with the MRN {describe(mrn)} in this clinic")
    data: dict[str, Any] = {}
    for name in DAY_COLUMNS:
        cell = row[name]  # already stripped and unguarded, as read_days_csv reads it
        if not cell:
            continue
        if name in ("headache_hours", "aura_minutes"):
            data[name] = _number(cell)
        elif name in FLAGS:
            data[name] = _boolean(cell)
        elif name == "peak_intensity":
            data[name] = cell.lower()
        elif name == "acute_medications":
            data[name], cell_problems = decode_medications(cell)
            messages.extend(cell_problems)
        else:
            data[name] = cell
    day, problems = parse_diary_entry(data, "")
    messages.extend(problems)
    if day is not None:
        if day.aura_minutes > MAX_AURA_MINUTES:
            messages.append(
                f"aura_minutes: Ensure this value is less than or equal to {MAX_AURA_MINUTES}."
            )
        if len(day.acute_medications) > MAX_MEDICINES_PER_DAY:
            messages.append(
                f"acute_medications: at most {MAX_MEDICINES_PER_DAY} medicines in a day"
            )
        messages.extend(
            f"acute_medications[{i}].name: at most {MAX_MEDICINE_NAME} characters"
            for i, m in enumerate(day.acute_medications)
            if len(m.name or "") > MAX_MEDICINE_NAME
        )
        if row["bad_future"]:
            messages.append(f"date: {day.date.isoformat()} is in the future")
        if row["bad_duplicate"]:
            messages.append(
                f"date: {day.date.isoformat()} is also on line {row['first_line']} "
                f"for this {PATIENT_COLUMN}"
            )
    if not messages:  # the vectorised rules and these disagree: still say where
        broken = [k[4:] for k, v in row.items() if k.startswith("bad_") and v is True]
        messages.append(f"row: not valid ({', '.join(broken) or 'unknown rule'})")
    return messages


def render_problems(
    structural: Iterable[tuple[int, str]], bad: pl.DataFrame, limit: int = MAX_PROBLEMS
) -> tuple[list[str], int]:
    """The first `limit` problems in line order (then a line counting the rest), and the
    number of lines with problems."""
    problems = sorted(structural)
    lines_total = len({line for line, _ in problems} | set(bad["_line"].to_list()))
    for row in bad.sort("_line").head(limit).iter_rows(named=True):
        problems.extend((row["_line"], message) for message in _row_messages(row))
    problems.sort(key=lambda p: p[0])
    shown = problems[:limit]
    listed = [f"line {line}: {message}" if line else message for line, message in shown]
    unlisted = lines_total - len({line for line, _ in shown if line})
    if unlisted > 0:
        listed.append(
            f"file: {unlisted:,} more line(s) with problems are not listed; "
            "fix the lines above and check the file again"
        )
    elif len(problems) > limit:
        listed.append("file: more problems on the lines above are not listed")
    return listed, lines_total


# --- Storing ---------------------------------------------------------------------------------


@dataclass
class Stored:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    medicines: int = 0
    #: patient id -> (created, updated), for the per-patient audit rows.
    by_patient: dict[str, tuple[int, int]] = field(default_factory=dict)

    def count(self, patient: str, created: int = 0, updated: int = 0) -> None:
        before = self.by_patient.get(patient, (0, 0))
        self.by_patient[patient] = (before[0] + created, before[1] + updated)
        self.created += created
        self.updated += updated


_DAY_FIELDS = ("headache_hours", "peak_intensity", *FLAGS, "aura_minutes")


def _tables() -> dict[str, str]:
    q = connection.ops.quote_name
    return {
        "entry": q(DiaryEntry._meta.db_table),
        "medicine": q(AcuteMedicationTaken._meta.db_table),
        "revision": q(DiaryEntryRevision._meta.db_table),
        "patient": q(Patient._meta.db_table),
    }


# PostgreSQL's binary COPY: a header, then per row the number of fields and each field
# as its length and big-endian bytes; every field here has a fixed width, so a row is
# one record of a numpy structured array.
_COPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + (0).to_bytes(4, "big") + (0).to_bytes(4, "big")
_COPY_TRAILER = (-1).to_bytes(2, "big", signed=True)
_PG_EPOCH = (dt.date(2000, 1, 1) - dt.date(1970, 1, 1)).days


def _binary_copy(fields: Sequence[tuple[str, np.ndarray[Any, Any]]]) -> bytes:
    """COPY BINARY data for fixed-width columns: (numpy dtype, values) per field."""
    rows = len(fields[0][1]) if fields else 0
    layout: list[tuple[str, Any]] = [("count", ">i2")]
    for i, (dtype, _) in enumerate(fields):
        layout += [(f"size{i}", ">i4"), (f"value{i}", dtype)]
    template = np.zeros(1, dtype=np.dtype(layout))  # the field count and sizes, every row
    template["count"] = len(fields)
    for i, (dtype, _) in enumerate(fields):
        template[f"size{i}"] = np.dtype(dtype).itemsize
    out = np.empty(rows, dtype=template.dtype)
    out[:] = template
    for i, (_, values) in enumerate(fields):
        out[f"value{i}"] = values
    return _COPY_HEADER + out.tobytes() + _COPY_TRAILER


def _uuids(patients: pl.DataFrame, p: pl.Series) -> np.ndarray[Any, Any]:
    table = np.frombuffer(
        b"".join(uuid.UUID(x).bytes for x in patients["patient"].to_list()) or b"\0" * 16,
        dtype="V16",
    )
    picked: np.ndarray[Any, Any] = table[p.to_numpy()]
    return picked


def _pg_dates(dates: pl.Series) -> np.ndarray[Any, Any]:
    return dates.cast(pl.Int32).to_numpy() - _PG_EPOCH


_STAGING = ", ".join(
    f"pg_temp.cephalog_bulk_{name}"
    for name in ("days", "medicines", "names", "existing", "changed")
)


def _flag(i: int) -> str:
    return f"(s.flags & {1 << i}) <> 0"


def may_skip_key_triggers() -> bool:
    """Whether the database role may set `session_replication_role` (a superuser, or
    `GRANT SET ON PARAMETER session_replication_role` on PostgreSQL 15 and later)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('is_superuser') = 'on'")
        if cursor.fetchone()[0]:
            return True
        if connection.pg_version < 150000:  # type: ignore[attr-defined]
            return False
        cursor.execute("SELECT has_parameter_privilege('session_replication_role', 'SET')")
        return bool(cursor.fetchone()[0])


def _store_postgresql(
    checked: Checked,
    *,
    by_id: int | None,
    reason: str,
    now: dt.datetime,
    key_checks_per_row: bool | None = None,
) -> Stored:
    """Binary COPY into temporary staging tables, then set-based SQL, in the caller's
    transaction.

    The new days and medicines reference only rows this transaction has locked
    (the clinic's patients, FOR KEY SHARE) or written itself (the days), so their
    foreign keys cannot fail. When the role may, the per-row foreign-key triggers
    are skipped for those two INSERTs (`session_replication_role = replica`, the
    way pg_restore loads data): a million deferred checks at commit cost about as
    much as the inserts themselves. `key_checks_per_row=True` keeps them.
    """
    skip_key_triggers = not key_checks_per_row and may_skip_key_triggers()
    t = _tables()
    # Rows go in in the order of the (patient_id, date) indexes: B-tree inserts in key
    # order touch each leaf page once (and append on an empty table), instead of one
    # descent to a random leaf per row.
    patients = checked.patients["patient"]
    rank = np.empty(len(patients), dtype=np.int64)
    rank[patients.arg_sort().to_numpy()] = np.arange(len(patients))
    days = (
        checked.days.with_columns(rank=pl.Series(rank).gather(checked.days["p"]))
        .sort("rank", "date")
        .drop("rank")
    )
    medicines = checked.medicines
    intensity = "(ARRAY[" + ", ".join(f"'{c}'" for c in _INTENSITIES) + "])[s.intensity + 1]"
    drug_class = "(ARRAY[" + ", ".join(f"'{c}'" for c in ACUTE_CLASS_CODES) + "])[b.drug_class + 1]"
    effective = "NULLIF(b.effective, -1) = 1"
    flag_values = ", ".join(_flag(i) for i in range(len(FLAGS)))
    late = _flag(len(FLAGS))
    same = " AND ".join(
        ["e.headache_hours * 100 = s.h100", f"e.peak_intensity = {intensity}"]
        + [f"e.{f} = ({_flag(i)})" for i, f in enumerate(FLAGS)]
        + ["e.aura_minutes = s.aura_minutes"]
    )
    patient_ids = [checked.patients["patient"][p] for p in days["p"].unique().sort().to_list()]
    flag_bits = np.zeros(days.height, dtype=np.int16)
    for i, f in enumerate((*FLAGS, "late")):
        flag_bits |= days[f].to_numpy().astype(np.int16) << i
    days_data = _binary_copy(
        [
            (">i4", days["n"].to_numpy()),
            ("V16", _uuids(checked.patients, days["p"])),
            (">i4", _pg_dates(days["date"])),
            (">i2", days["h100"].to_numpy()),
            (">i2", days["intensity"].to_numpy()),
            (">i2", flag_bits),
            (">i2", days["aura_minutes"].to_numpy()),
        ]
    )
    names = medicines["name"].unique(maintain_order=True)
    class_codes = {c: i for i, c in enumerate(ACUTE_CLASS_CODES)}
    medicines_data = _binary_copy(
        [
            (">i4", medicines["n"].to_numpy()),
            ("V16", _uuids(checked.patients, medicines["p"])),
            (">i4", _pg_dates(medicines["date"])),
            (">i2", medicines["ord"].to_numpy()),
            (
                ">i4",
                medicines["name"]
                .replace_strict(names, range(len(names)), return_dtype=pl.Int32)
                .to_numpy(),
            ),
            (
                ">i2",
                medicines["drug_class"]
                .replace_strict(class_codes, return_dtype=pl.Int16)
                .to_numpy(),
            ),
            (
                ">i2",
                medicines["effective"].cast(pl.Int16).fill_null(-1).to_numpy(),
            ),
        ]
    )
    with connection.cursor() as cursor:
        pg = cursor.cursor  # psycopg's own cursor, for COPY
        cursor.execute("SET LOCAL work_mem = '256MB'")
        # ON COMMIT DROP removes them, unless the import runs inside a larger transaction.
        cursor.execute(f"DROP TABLE IF EXISTS {_STAGING}")
        # Nobody removes a patient while their days go in (what each row's foreign-key
        # check locks, taken once per patient and in one order).
        cursor.execute(
            f"SELECT count(*) FROM (SELECT 1 FROM {t['patient']} WHERE id = ANY(%s::uuid[]) "
            "ORDER BY id FOR KEY SHARE) p",
            [patient_ids],
        )
        cursor.execute(
            "CREATE TEMP TABLE cephalog_bulk_days (n int4, patient uuid, date date, h100 int2,"
            " intensity int2, flags int2, aura_minutes int2) ON COMMIT DROP;"
            "CREATE TEMP TABLE cephalog_bulk_medicines (n int4, patient uuid, date date,"
            " ord int2, name int4, drug_class int2, effective int2) ON COMMIT DROP;"
            "CREATE TEMP TABLE cephalog_bulk_names (code int4, name text) ON COMMIT DROP"
        )
        with pg.copy("COPY cephalog_bulk_days FROM STDIN (FORMAT binary)") as copy:
            copy.write(days_data)
        with pg.copy("COPY cephalog_bulk_medicines FROM STDIN (FORMAT binary)") as copy:
            copy.write(medicines_data)
        with pg.copy("COPY cephalog_bulk_names (code, name) FROM STDIN") as copy:
            for code, name in enumerate(names.to_list()):
                copy.write_row((code, name))
        # Hash joins over the staging tables (without statistics on them the planner may
        # pick sort-and-merge joins of a million rows).
        cursor.execute("SET LOCAL enable_mergejoin = off")
        cursor.execute("SET LOCAL jit = off")

        # Days already stored: the same (unchanged) or changed.
        cursor.execute(
            "CREATE TEMP TABLE cephalog_bulk_existing ON COMMIT DROP AS "
            f"SELECT s.n, e.id, ({same}) AS same_fields FROM cephalog_bulk_days s "
            f"JOIN {t['entry']} e ON e.patient_id = s.patient AND e.date = s.date "
            "WHERE e.patient_id = ANY(%s::uuid[])",
            [patient_ids],
        )
        cursor.execute(
            "CREATE TEMP TABLE cephalog_bulk_changed ON COMMIT DROP AS "
            "SELECT x.n, x.id FROM cephalog_bulk_existing x "
            "LEFT JOIN (SELECT m.entry_id, string_agg(ROW(m.name, m.drug_class, m.effective)::text,"
            " ';' ORDER BY m.id) AS meds"
            f" FROM {t['medicine']} m JOIN cephalog_bulk_existing x2 ON m.entry_id = x2.id"
            " WHERE x2.same_fields GROUP BY m.entry_id) em ON em.entry_id = x.id "
            "LEFT JOIN (SELECT b.n, string_agg("
            f"ROW(nm.name, {drug_class}, {effective})::text, ';' ORDER BY b.ord) AS meds"
            " FROM cephalog_bulk_medicines b JOIN cephalog_bulk_existing x3 ON b.n = x3.n"
            " JOIN cephalog_bulk_names nm ON nm.code = b.name"
            " WHERE x3.same_fields GROUP BY b.n) sm ON sm.n = x.n "
            "WHERE NOT x.same_fields OR coalesce(em.meds, '') <> coalesce(sm.meds, '')"
        )
        cursor.execute(
            "SELECT (SELECT count(*) FROM cephalog_bulk_existing),"
            " (SELECT count(*) FROM cephalog_bulk_changed)"
        )
        existing, changed = cursor.fetchone()
        stored = Stored(unchanged=existing - changed)

        if changed:
            # Lock the changed days, keep their current version, then replace them.
            cursor.execute(
                f"SELECT count(*) FROM (SELECT 1 FROM {t['entry']} e "
                "JOIN cephalog_bulk_changed c ON c.id = e.id ORDER BY e.id FOR UPDATE OF e) l"
            )
            snapshot_flags = ", ".join(f"'{f}', e.{f}" for f in FLAGS)
            cursor.execute(
                f"INSERT INTO {t['revision']} (patient_id, date, version, snapshot, changed_by_id,"
                " change, reason, changed_at) "
                "SELECT e.patient_id, e.date, e.version,"
                " jsonb_build_object('date', to_char(e.date, 'YYYY-MM-DD'),"
                "  'headache_hours', e.headache_hours)"
                " || CASE WHEN e.peak_intensity <> ''"
                "  THEN jsonb_build_object('peak_intensity', e.peak_intensity)"
                "  ELSE '{}'::jsonb END"
                f" || jsonb_build_object({snapshot_flags}, 'aura_minutes', e.aura_minutes,"
                "  'acute_medications', coalesce(am.meds, '[]'::jsonb)),"
                " %s, 'edit', %s, %s "
                f"FROM {t['entry']} e JOIN cephalog_bulk_changed c ON c.id = e.id "
                "LEFT JOIN (SELECT m.entry_id, jsonb_agg(jsonb_build_object('name', m.name,"
                " 'class', m.drug_class, 'effective', m.effective) ORDER BY m.id) AS meds"
                f" FROM {t['medicine']} m JOIN cephalog_bulk_changed c2 ON c2.id = m.entry_id"
                " GROUP BY m.entry_id) am ON am.entry_id = e.id",
                [by_id, reason[:300], now],
            )
            cursor.execute(
                f"DELETE FROM {t['medicine']} m USING cephalog_bulk_changed c "
                "WHERE m.entry_id = c.id"
            )
            assignments = ", ".join(f"{f} = {_flag(i)}" for i, f in enumerate(FLAGS))
            cursor.execute(
                f"WITH up AS (UPDATE {t['entry']} e SET headache_hours = s.h100 / 100.0,"
                f" peak_intensity = {intensity}, {assignments},"
                f" aura_minutes = s.aura_minutes, late = {late}, source = %s,"
                " version = e.version + 1, updated_at = %s "
                "FROM cephalog_bulk_changed c JOIN cephalog_bulk_days s ON s.n = c.n "
                "WHERE e.id = c.id RETURNING e.patient_id) "
                "SELECT patient_id, count(*) FROM up GROUP BY patient_id",
                [EntrySource.IMPORT, now],
            )
            for patient_id, updated in cursor.fetchall():
                stored.count(str(patient_id), updated=updated)

        if skip_key_triggers:
            cursor.execute("SET LOCAL session_replication_role = replica")
        if changed:
            cursor.execute(
                f"INSERT INTO {t['medicine']} (entry_id, name, drug_class, effective) "
                f"SELECT c.id, nm.name, {drug_class}, {effective} "
                "FROM cephalog_bulk_medicines b JOIN cephalog_bulk_changed c ON c.n = b.n "
                "JOIN cephalog_bulk_names nm ON nm.code = b.name ORDER BY b.n, b.ord"
            )
            stored.medicines += cursor.rowcount

        # New days, and their medicines in the order of the file.
        cursor.execute(
            "WITH ins AS ("
            f" INSERT INTO {t['entry']} (patient_id, date, headache_hours, peak_intensity,"
            f"  {', '.join(FLAGS)}, aura_minutes, notes, late, source, version, created_at,"
            "  updated_at)"
            f" SELECT s.patient, s.date, s.h100 / 100.0, {intensity}, {flag_values},"
            f"  s.aura_minutes, '', {late}, %s, 1, %s, %s"
            " FROM cephalog_bulk_days s"
            " WHERE NOT EXISTS (SELECT 1 FROM cephalog_bulk_existing x WHERE x.n = s.n)"
            " RETURNING id, patient_id, date"
            "), meds AS ("
            f" INSERT INTO {t['medicine']} (entry_id, name, drug_class, effective)"
            f" SELECT ins.id, nm.name, {drug_class}, {effective} FROM ins"
            " JOIN cephalog_bulk_medicines b ON b.patient = ins.patient_id AND b.date = ins.date"
            " JOIN cephalog_bulk_names nm ON nm.code = b.name"
            " ORDER BY ins.id, b.ord RETURNING 1"
            ") SELECT patient_id, count(*), (SELECT count(*) FROM meds) FROM ins"
            " GROUP BY patient_id",
            [EntrySource.IMPORT, now, now],
        )
        new_medicines = 0
        for patient_id, created, medicine_count in cursor.fetchall():
            stored.count(str(patient_id), created=created)
            new_medicines = medicine_count
        stored.medicines += new_medicines
        if skip_key_triggers:
            cursor.execute("SET LOCAL session_replication_role = origin")
        cursor.execute(f"DROP TABLE {_STAGING}")
    return stored


def _store_generic(checked: Checked, *, by_id: int | None, reason: str, now: dt.datetime) -> Stored:
    """The fallback for databases without COPY (SQLite): executemany, in the caller's
    transaction. The same rules: unchanged days are left alone, changed ones keep
    their previous version as a revision."""
    t = _tables()
    ops = connection.ops
    days = checked.days
    patient_pk = Patient._meta.pk
    assert patient_pk is not None
    patients = checked.patients.filter(pl.col("p").is_in(days["p"].unique().implode()))
    to_db = {
        p: patient_pk.get_db_prep_value(uuid.UUID(patient), connection)
        for p, patient in patients.select("p", "patient").iter_rows()
    }
    from_db = pl.DataFrame(
        {"db_patient": [str(v) for v in to_db.values()], "p": list(to_db)},
        schema={"db_patient": pl.String, "p": pl.UInt32},
    )
    db_patients = list(to_db.values())
    columns = ["id", "patient_id", f"{ops.quote_name('date')} || ''", *_DAY_FIELDS, "version"]
    entry_rows: list[tuple[Any, ...]] = []
    medicine_rows: list[tuple[Any, ...]] = []
    with connection.cursor() as cursor:
        for chunk in _chunks(db_patients, 500):
            marks = ", ".join(["%s"] * len(chunk))
            cursor.execute(
                f"SELECT {', '.join(columns)} FROM {t['entry']} WHERE patient_id IN ({marks})",
                chunk,
            )
            entry_rows.extend(cursor.fetchall())
            cursor.execute(
                f"SELECT m.entry_id, m.id, m.name, m.drug_class, m.effective FROM {t['medicine']} m"
                f" JOIN {t['entry']} e ON e.id = m.entry_id WHERE e.patient_id IN ({marks})",
                chunk,
            )
            medicine_rows.extend(cursor.fetchall())
    existing = (
        pl.DataFrame(
            [
                (
                    r[0],
                    str(r[1]),
                    r[2],
                    round(float(r[3]) * 100),
                    r[4],
                    *(bool(v) for v in r[5 : 5 + len(FLAGS)]),
                    int(r[5 + len(FLAGS)]),
                    int(r[6 + len(FLAGS)]),
                )
                for r in entry_rows
            ],
            schema={
                "id": pl.Int64,
                "db_patient": pl.String,
                "date": pl.String,
                "e_h100": pl.Int16,
                "e_peak_intensity": pl.String,
                **{f"e_{f}": pl.Boolean for f in FLAGS},
                "e_aura_minutes": pl.Int16,
                "version": pl.Int64,
            },
            orient="row",
        )
        .with_columns(pl.col("date").str.to_date("%Y-%m-%d"))
        .join(from_db, on="db_patient")
        .drop("db_patient")
    )
    stored_medicines = pl.DataFrame(
        [(r[0], r[1], r[2], r[3], None if r[4] is None else bool(r[4])) for r in medicine_rows],
        schema={
            "id": pl.Int64,
            "m_id": pl.Int64,
            "name": pl.String,
            "drug_class": pl.String,
            "effective": pl.Boolean,
        },
        orient="row",
    )
    key = _medicine_key(stored_medicines.sort("m_id"), "id")
    new_key = _medicine_key(checked.medicines.sort("n", "ord"), "n")
    matched = (
        days.join(existing, on=["p", "date"], how="inner")
        .join(key, on="id", how="left")
        .join(new_key.rename({"meds": "new_meds"}), on="n", how="left")
    )
    same = pl.all_horizontal(
        pl.col("h100") == pl.col("e_h100"),
        *(pl.col(f) == pl.col(f"e_{f}") for f in ("peak_intensity", *FLAGS, "aura_minutes")),
        pl.col("meds").fill_null("") == pl.col("new_meds").fill_null(""),
    )
    changed = matched.filter(~same)
    result = Stored(unchanged=matched.height - changed.height)
    new = days.join(existing.select("p", "date"), on=["p", "date"], how="anti")
    patient_of = dict(patients.select("p", "patient").iter_rows())

    def hours(h100: int) -> str:
        return f"{h100 // 100}.{h100 % 100:02d}"

    stamp = ops.adapt_datetimefield_value(now)
    with connection.cursor() as cursor:
        if changed.height:
            ids = changed["id"].to_list()
            medicines_by_entry: dict[int, list[dict[str, Any]]] = {}
            for row in (
                stored_medicines.filter(pl.col("id").is_in(ids)).sort("m_id").iter_rows(named=True)
            ):
                medicines_by_entry.setdefault(row["id"], []).append(
                    {"name": row["name"], "class": row["drug_class"], "effective": row["effective"]}
                )
            revisions = []
            for row in changed.iter_rows(named=True):
                snapshot: dict[str, Any] = {
                    "date": row["date"].isoformat(),
                    "headache_hours": row["e_h100"] / 100,
                }
                if row["e_peak_intensity"]:
                    snapshot["peak_intensity"] = row["e_peak_intensity"]
                snapshot.update({f: row[f"e_{f}"] for f in FLAGS})
                snapshot["aura_minutes"] = row["e_aura_minutes"]
                snapshot["acute_medications"] = medicines_by_entry.get(row["id"], [])
                revisions.append(
                    DiaryEntryRevision(
                        patient_id=uuid.UUID(patient_of[row["p"]]),
                        date=row["date"],
                        version=row["version"],
                        snapshot=snapshot,
                        changed_by_id=by_id,
                        change="edit",
                        reason=reason[:300],
                    )
                )
            DiaryEntryRevision.objects.bulk_create(revisions, batch_size=500)
            cursor.executemany(
                f"DELETE FROM {t['medicine']} WHERE entry_id = %s", [(i,) for i in ids]
            )
            sets = ", ".join(f"{f} = %s" for f in (*_DAY_FIELDS, "late", "source"))
            cursor.executemany(
                f"UPDATE {t['entry']} SET {sets}, version = version + 1, updated_at = %s "
                "WHERE id = %s",
                [
                    (
                        hours(r["h100"]),
                        r["peak_intensity"],
                        *(r[f] for f in FLAGS),
                        r["aura_minutes"],
                        r["late"],
                        EntrySource.IMPORT,
                        stamp,
                        r["id"],
                    )
                    for r in changed.iter_rows(named=True)
                ],
            )
            for p, count in changed.group_by("p").len().iter_rows():
                result.count(patient_of[p], updated=count)

        entry_ids = changed.select("n", entry_id="id")
        if new.height:
            # SQLite: this transaction holds the database's write lock (BEGIN IMMEDIATE), so
            # the ids after the table's largest (AUTOINCREMENT: and its sequence) are free.
            sqlite = connection.vendor == "sqlite"
            columns = ["patient_id", "date", *_DAY_FIELDS, "notes", "late", "source", "version"]
            columns += ["created_at", "updated_at"]
            # In the order of the (patient_id, date) index, as on PostgreSQL.
            new = new.with_columns(
                patient_id=pl.col("p").replace_strict(list(to_db), [str(v) for v in to_db.values()])
            ).sort("patient_id", "date")
            values = new.select(
                "patient_id",
                pl.col("date").dt.to_string("%Y-%m-%d"),
                (pl.col("h100") / 100).alias("headache_hours"),
                "peak_intensity",
                *FLAGS,
                "aura_minutes",
                notes=pl.lit(""),
                late="late",
                source=pl.lit(str(EntrySource.IMPORT)),
                version=pl.lit(1),
                created_at=pl.lit(stamp),
                updated_at=pl.lit(stamp),
            )
            if sqlite:
                first = _next_id(cursor, DiaryEntry._meta.db_table)
                values = values.with_columns(
                    id=pl.int_range(first, first + new.height, dtype=pl.Int64)
                )
                columns.append("id")
                entry_ids = pl.concat(
                    [entry_ids, new.select("n", entry_id=values["id"])], how="vertical_relaxed"
                )
            marks = ", ".join(["%s"] * len(columns))
            cursor.executemany(
                f"INSERT INTO {t['entry']} ({', '.join(columns)}) VALUES ({marks})",
                values.select(columns).rows(),
            )
            for p, count in new.group_by("p").len().iter_rows():
                result.count(patient_of[p], created=count)
            if not sqlite:  # other databases: the new ids read back by (patient, date)
                entry_ids = pl.concat(
                    [entry_ids, _new_ids(cursor, new, db_patients, from_db)],
                    how="vertical_relaxed",
                )

        # Medicines of the new and changed days, in the order of the file.
        medicines = checked.medicines.join(entry_ids, on="n", how="inner").sort("n", "ord")
        if medicines.height:
            cursor.executemany(
                f"INSERT INTO {t['medicine']} (entry_id, name, drug_class, effective) "
                "VALUES (%s, %s, %s, %s)",
                medicines.select("entry_id", "name", "drug_class", "effective").rows(),
            )
            result.medicines = medicines.height
    return result


def _next_id(cursor: Any, table: str) -> int:
    """SQLite: the first id after the table's largest and its AUTOINCREMENT sequence."""
    cursor.execute(f"SELECT max(id) FROM {connection.ops.quote_name(table)}")
    largest = cursor.fetchone()[0] or 0
    cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
    sequence = cursor.fetchone()
    return int(max(largest, sequence[0] if sequence else 0)) + 1


def _new_ids(
    cursor: Any, new: pl.DataFrame, db_patients: Sequence[Any], from_db: pl.DataFrame
) -> pl.DataFrame:
    """The ids of the days just inserted (n, entry_id), read back by (patient, date)."""
    keys: list[tuple[Any, ...]] = []
    for chunk in _chunks(db_patients, 500):
        marks = ", ".join(["%s"] * len(chunk))
        cursor.execute(
            f"SELECT id, patient_id, {connection.ops.quote_name('date')} || '' "
            f"FROM {_tables()['entry']} WHERE patient_id IN ({marks})",
            chunk,
        )
        keys.extend((r[0], str(r[1]), r[2]) for r in cursor.fetchall())
    stored = (
        pl.DataFrame(
            keys,
            schema={"entry_id": pl.Int64, "db_patient": pl.String, "date": pl.String},
            orient="row",
        )
        .with_columns(pl.col("date").str.to_date("%Y-%m-%d"))
        .join(from_db, on="db_patient")
    )
    return new.select("n", "p", "date").join(stored, on=["p", "date"]).select("n", "entry_id")


def _medicine_key(medicines: pl.DataFrame, by: str) -> pl.DataFrame:
    """One text per day naming its medicines in order, to compare stored and imported days."""
    effective = (
        pl.when(pl.col("effective").is_null())
        .then(pl.lit("?"))
        .when(pl.col("effective"))
        .then(pl.lit("y"))
        .otherwise(pl.lit("n"))
    )
    item = pl.concat_str(
        pl.col("name")
        .str.replace_all("%", "%25", literal=True)
        .str.replace_all(";", "%3B", literal=True)
        .str.replace_all(":", "%3A", literal=True),
        pl.col("drug_class"),
        effective,
        separator=":",
    )
    return medicines.group_by(by, maintain_order=True).agg(meds=item.str.join(";"))


def _chunks[T](items: Sequence[T], size: int) -> Iterable[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


# --- The action ------------------------------------------------------------------------------


def import_diaries_csv(
    clinic: Clinic,
    file: IO[bytes] | IO[str] | bytes | str | Path,
    by: Any,
    *,
    today: dt.date | None = None,
    progress: Progress | None = None,
    filename: str = "",
    limit: int = MAX_PROBLEMS,
    key_checks_per_row: bool | None = None,
) -> BulkImportResult:
    """Import a clinic's diary days from one CSV (see the module notes): all or nothing.

    `by` must be a physician or nurse of `clinic` (PermissionDenied otherwise).
    `today` overrides each patient's local today (tests). `progress` is told
    what happened after each phase. `key_checks_per_row=True` keeps PostgreSQL's
    per-row foreign-key checks even when the role may skip them (`_store_postgresql`).
    """
    check_importer(clinic, by)
    started = time.perf_counter()
    result = BulkImportResult(backend=connection.vendor)
    say = progress or (lambda message: None)

    def lap(phase: str, since: float) -> float:
        now = time.perf_counter()
        result.timings[phase] = round(now - since, 4)
        return now

    table = read_table(_file_bytes(file))
    mark = lap("read", started)
    if table.frame is None:
        result.problems = [f"line {n}: {m}" if n else m for n, m in sorted(table.problems)]
        result.problem_lines = len(result.problems)
        return _refused(result, clinic, by, started)
    result.rows = table.frame.height
    result.not_imported = _not_imported(table.frame)
    say(f"read {result.rows:,} rows in {result.timings['read']:.2f} s")

    now = timezone.now()
    named = table.frame[PATIENT_COLUMN].drop_nulls().unique()
    mrns = pl.concat([named, named.str.strip_chars(WHITESPACE)]).unique().to_list()
    checked = check_rows(table, _patients_frame(clinic, mrns), today=today, now=now)
    mark = lap("check", mark)
    if table.problems or checked.bad.height:
        result.problems, result.problem_lines = render_problems(table.problems, checked.bad, limit)
        say(
            f"checked in {result.timings['check']:.2f} s: "
            f"{result.problem_lines:,} line(s) with problems; nothing stored"
        )
        return _refused(result, clinic, by, started)
    result.patients = checked.days["p"].n_unique()
    say(
        f"checked {result.rows:,} rows for {result.patients:,} patients "
        f"in {result.timings['check']:.2f} s"
    )

    _store(
        checked,
        result,
        clinic=clinic,
        by=by,
        now=now,
        filename=filename,
        key_checks_per_row=key_checks_per_row,
    )
    lap("store", mark)
    result.seconds = time.perf_counter() - started
    say(
        f"stored in {result.timings['store']:.2f} s: {result.created:,} new, "
        f"{result.updated:,} changed, {result.unchanged:,} unchanged days"
    )
    return result


def _not_imported(frame: pl.DataFrame) -> list[str]:
    """The file's columns this import does not store: the derived columns of an export
    are worked out again; the day's note is kept only by one patient's import."""
    known = {PATIENT_COLUMN, *DAY_COLUMNS, *DERIVED_COLUMNS, "_line"}
    out = []
    for name in frame.columns:
        if name in known:
            continue
        if name == NOTES_COLUMN:
            filled = frame.select(
                (pl.col(name).is_not_null() & (pl.col(name).str.strip_chars() != "")).sum()
            ).item()
            if filled:
                out.append(
                    f"column notes: {filled:,} row(s) with a note (the clinic-wide import "
                    "does not store notes; import one patient's file with --patient to keep them)"
                )
            continue
        out.append(f'column "{name}"')
    return out


def _patients_frame(clinic: Clinic, mrns: Sequence[str]) -> pl.DataFrame:
    """The clinic's patients named in the file: MRN, id and time zone."""
    rows: list[tuple[str, uuid.UUID, str]] = []
    for chunk in _chunks(mrns, 2000):
        rows.extend(
            Patient.objects.filter(clinic=clinic, mrn__in=chunk).values_list(
                "mrn", "id", "time_zone"
            )
        )
    return pl.DataFrame(
        {
            PATIENT_COLUMN: [r[0] for r in rows],
            "patient": [str(r[1]) for r in rows],
            "time_zone": [r[2] for r in rows],
        },
        schema={PATIENT_COLUMN: pl.String, "patient": pl.String, "time_zone": pl.String},
    )


@retry_on_serialization_failure()
@transaction.atomic
def _store(
    checked: Checked,
    result: BulkImportResult,
    *,
    clinic: Clinic,
    by: Any,
    now: dt.datetime,
    filename: str,
    key_checks_per_row: bool | None,
) -> None:
    """Store the checked days and audit the import, in one transaction."""
    reason = f"import (bulk) {filename}".strip()
    by_id = getattr(by, "pk", None)
    if connection.vendor == "postgresql":
        stored = _store_postgresql(
            checked, by_id=by_id, reason=reason, now=now, key_checks_per_row=key_checks_per_row
        )
    else:
        stored = _store_generic(checked, by_id=by_id, reason=reason, now=now)
    result.created, result.updated = stored.created, stored.updated
    result.unchanged, result.medicines = stored.unchanged, stored.medicines
    _audit_patients(stored, clinic, by)
    _audit(result, clinic, by)


def _audit_patients(stored: Stored, clinic: Clinic, by: Any) -> None:
    """One audit row per patient whose diary changed (counts only), appended together by
    `audit.record_many` (one statement per few thousand rows on PostgreSQL)."""
    record_many(
        {
            "action": "import",
            "category": "diary",
            "patient_id": uuid.UUID(patient_id),
            "clinic_id": clinic.pk,
            "user": by,
            "object_ref": "diary-import:bulk",
            "detail": {"batch": True, "created": created, "updated": updated, "reason": True},
        }
        for patient_id, (created, updated) in sorted(stored.by_patient.items())
    )


def _refused(result: BulkImportResult, clinic: Clinic, by: Any, started: float) -> BulkImportResult:
    result.seconds = time.perf_counter() - started
    _audit(result, clinic, by)
    return result


def _audit(result: BulkImportResult, clinic: Clinic, by: Any) -> None:
    """The import as a whole, for the clinic (counts only: the file name may hold a name)."""
    record(
        action="import",
        category="diary",
        clinic_id=clinic.pk,
        user=by,
        object_ref="diary-import:bulk",
        detail={
            "ok": result.ok,
            "rows": result.rows,
            "patients": result.patients,
            "problem_lines": result.problem_lines,
            "created": result.created,
            "updated": result.updated,
            "unchanged": result.unchanged,
            "medicines": result.medicines,
        },
    )
