"""Bulk import of diary days for a whole clinic or registry (issue 10, part 3).

One CSV holds many patients' days: an `mrn` column naming the patient by their
MRN in the clinic, then the columns of cephalog's own days CSV
(`domain.importing.DAY_COLUMNS`; the derived columns of an export are ignored):

    mrn,date,headache_hours,peak_intensity,unilateral,...,aura_minutes,acute_medications
    MRN-1001,2026-03-02,6.5,severe,true,...,0,sumatriptan:triptan:yes

The rules are the per-patient days import's (cephalog.diary.imports,
docs/adr/0004-diary-imports.md) and its messages too: every row is checked
before anything is stored; each problem is `line N: field: message` (the header
is line 1), the first `MAX_PROBLEMS` are listed, and any problem stores nothing.
A row replaces the day it names: a day equal to the stored one is counted as
unchanged and left alone, a changed day keeps its previous version as a
`DiaryEntryRevision` and gets version + 1, so importing the same file again
changes nothing.

Who: clinic staff who record diaries (physician, nurse) of that clinic, for its
own patients only; an MRN of another clinic is "no patient with this MRN". Clinic
admins may export but not import (ADR 0004).

Speed: the rows are read and checked column by column with Polars (one
expression per rule over the whole file, no Python loop per row); only the
listed problem lines are rendered in Python, by the same code as the per-patient
import, so the messages are the same. On PostgreSQL the checked rows go into a
temporary staging table with COPY and are stored by a few set-based statements
in one transaction; elsewhere (SQLite) by `executemany`.

Audit: one `import` row for the import (counts only) and one per patient whose
diary it changed (counts only); never diary contents.
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
from cephalog.audit.actions import record
from cephalog.diary.actions import FLAGS, MAX_MEDICINE_NAME, MAX_MEDICINES_PER_DAY
from cephalog.diary.models import AcuteMedicationTaken, DiaryEntry, DiaryEntryRevision, EntrySource
from cephalog.domain.case import describe, parse_diary_entry
from cephalog.domain.importing import (
    DAY_COLUMNS,
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
#: Larger files are refused before they are read (a million days is about 60 MB).
MAX_FILE_BYTES = 2 * 1024**3
#: The largest aura the diary stores (PositiveSmallIntegerField).
MAX_AURA_MINUTES = 32767

type Progress = Callable[[str], None]

_FORMULA_START = ["=", "+", "-", "@", "\t", "\r"]
_TRUE = ["true", "yes", "1"]
_FALSE = ["false", "no", "0"]
_NUMBER = r"^-?[0-9]+(\.[0-9]+)?$"
_EFFECTS = {"yes": True, "no": False}


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
    #: Seconds per phase (read, check, store, audit), for progress and benchmarks.
    timings: dict[str, float] = field(default_factory=dict)

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
    """The file's rows as strings (`_line` is each row's line in the file), or the
    problems that stop it being read."""

    frame: pl.DataFrame | None
    problems: list[tuple[int, str]] = field(default_factory=list)


def _file_bytes(file: IO[bytes] | IO[str] | bytes | str | Path) -> bytes:
    if isinstance(file, Path):
        return file.read_bytes()
    data = file if isinstance(file, bytes | str) else file.read()
    return data.encode() if isinstance(data, str) else data


def read_table(data: bytes) -> Table:
    """Read the CSV with Polars (every column a string); line numbers are exact.

    Files Polars cannot read with one record per line (a quoted cell holding a
    line break, a row with more cells than the header, a bare CR line end, ...)
    are read again with the csv module, as the per-patient import reads them.
    """
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if len(data) > MAX_FILE_BYTES:
        return Table(None, [(0, f"file: larger than {MAX_FILE_BYTES // 1024**3} GB; split it")])
    if b"\x00" in data:
        return Table(None, [(0, "file: not a text file; export a CSV file and use that")])
    first = data.split(b"\n", 1)[0]
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
    if len(set(names)) != len(names) or not _one_record_per_line(data):
        return _read_slowly(data)
    try:
        frame = pl.read_csv(
            data,
            has_header=True,
            new_columns=names,
            infer_schema=False,
            raise_if_empty=False,
        )
    except pl.exceptions.PolarsError:
        return _read_slowly(data)
    lines = data.count(b"\n") + (0 if data.endswith(b"\n") else 1)
    if frame.height + 1 != lines:
        return _read_slowly(data)
    frame = frame.with_columns(_line=pl.int_range(2, frame.height + 2, dtype=pl.Int32))
    return Table(_drop_blank_rows(frame))


def _one_record_per_line(data: bytes) -> bool:
    """No line break inside a quoted cell and no bare CR line end (so row i is line i + 2)."""
    if b"\r" in data and data.count(b"\r") != data.count(b"\r\n"):
        return False
    if b'"' not in data:
        return True
    raw = np.frombuffer(data, dtype=np.uint8)
    quotes = np.flatnonzero(raw == ord('"'))
    breaks = np.flatnonzero(raw == ord("\n"))
    # A line break is inside quotes when an odd number of quotes comes before it
    # ("" inside a quoted cell counts twice, so it keeps the parity).
    return not bool((np.searchsorted(quotes, breaks) % 2 == 1).any())


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


def _drop_blank_rows(frame: pl.DataFrame) -> pl.DataFrame:
    """Rows whose cells are all blank are skipped (read_rows does the same)."""
    cells = [c for c in frame.columns if c != "_line"]
    blank = pl.all_horizontal(
        pl.col(c).is_null() | (pl.col(c).str.strip_chars() == "") for c in cells
    )
    if not frame.select(blank.any()).item():
        return frame
    return frame.filter(~blank)


# --- Checking the rows (vectorised) ----------------------------------------------------------


@dataclass
class Checked:
    """The rows ready to store (`days`, `medicines`), or the lines with problems.

    `days`: n, patient (uuid text), date, h100 (hundredths of an hour),
    peak_intensity ("" without headache), the FLAGS, aura_minutes, late.
    `medicines`: n, ord (order within the day), patient, date, name, drug_class,
    effective (null when unknown).
    """

    days: pl.DataFrame
    medicines: pl.DataFrame
    bad: pl.DataFrame  # rows with problems: the cells, _line and the rule columns


def _cell(name: str, present: Sequence[str]) -> pl.Expr:
    """A cell as the per-patient import reads it: stripped, formula guard removed."""
    if name not in present:
        return pl.lit("", dtype=pl.String)
    stripped = pl.col(name).fill_null("").str.strip_chars()
    if name == PATIENT_COLUMN:
        return stripped
    return (
        pl.when(stripped.str.starts_with("'") & stripped.str.slice(1, 1).is_in(_FORMULA_START))
        .then(stripped.str.slice(1))
        .otherwise(stripped)
    )


def check_rows(
    frame: pl.DataFrame,
    patients: pl.DataFrame,
    *,
    today: dt.date | None = None,
    now: dt.datetime | None = None,
) -> Checked:
    """Every rule of the days import as a Polars expression over the whole file.

    `patients` maps the clinic's MRNs to patient ids and time zones. A date is
    in the future after the patient's local today (`today` overrides it for all).
    """
    present = frame.columns
    cells = frame.select(
        pl.col("_line"),
        *(_cell(name, present).alias(name) for name in (PATIENT_COLUMN, *DAY_COLUMNS)),
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
    patients = patients.join(todays, on="time_zone", how="left").drop("time_zone")
    cells = cells.join(patients, on=PATIENT_COLUMN, how="left", maintain_order="left")

    date, hours, intensity, aura = (
        pl.col("date"),
        pl.col("headache_hours"),
        pl.col("peak_intensity").str.to_lowercase(),
        pl.col("aura_minutes"),
    )
    parsed_date = pl.when(date.str.contains(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")).then(
        date.str.to_date("%Y-%m-%d", strict=False)
    )
    parsed_date = pl.when(parsed_date.dt.year() >= 1).then(parsed_date)  # as date.fromisoformat
    hours_number = pl.when(hours.str.contains(_NUMBER)).then(hours.cast(pl.Float64, strict=False))
    aura_number = pl.when(aura.str.contains(_NUMBER)).then(aura.cast(pl.Float64, strict=False))
    rules = cells.with_columns(
        day=parsed_date,
        hours_value=hours_number,
        intensity=intensity,
        aura_value=pl.when(aura == "").then(pl.lit(0.0)).otherwise(aura_number),
    ).with_columns(
        bad_patient=pl.col("patient").is_null(),
        bad_date=pl.col("day").is_null(),
        bad_hours=pl.col("hours_value").is_null() | ~pl.col("hours_value").is_between(0.0, 24.0),
        bad_intensity=((pl.col("intensity") != "") & ~pl.col("intensity").is_in(INTENSITY_CODES))
        | (
            (pl.col("intensity") == "")
            & pl.col("hours_value").is_not_null()
            & (pl.col("hours_value") > 0)
        ),
        bad_flags=pl.any_horizontal(
            ~pl.col(f).str.to_lowercase().is_in(["", *_TRUE, *_FALSE]) for f in FLAGS
        ),
        bad_aura=pl.col("aura_value").is_null()
        | (pl.col("aura_value") != pl.col("aura_value").floor())
        | ~pl.col("aura_value").is_between(0.0, float(MAX_AURA_MINUTES)),
        bad_future=pl.col("day").is_not_null()
        & pl.col("today").is_not_null()
        & (pl.col("day") > pl.col("today")),
    )

    medicines = _medicines(rules.select("n", "acute_medications"))
    bad_medicines = medicines.group_by("n").agg(
        bad_medicines=(~pl.col("well_formed") | ~pl.col("class_ok") | ~pl.col("name_ok")).any()
        | (pl.len() > MAX_MEDICINES_PER_DAY)
    )
    rules = rules.join(bad_medicines, on="n", how="left", maintain_order="left").with_columns(
        pl.col("bad_medicines").fill_null(False)
    )
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
    # Two rows for one patient's date: the later ones are problems (rows that are
    # otherwise valid only, as in read_days_csv).
    good_line = pl.when(~pl.col("bad_row")).then(pl.col("_line"))
    rules = rules.with_columns(
        first_line=pl.when(~pl.col("bad_row")).then(good_line.min().over("patient", "day"))
    ).with_columns(
        bad_duplicate=~pl.col("bad_row") & (pl.col("first_line") != pl.col("_line")),
    )
    is_bad = pl.col("bad_row") | pl.col("bad_duplicate")
    bad = rules.filter(is_bad).select(
        "_line",
        "patient",
        "first_line",
        *(PATIENT_COLUMN, *DAY_COLUMNS),
        *row_rules,
        "bad_duplicate",
    )
    good = rules.filter(~is_bad)
    if bad.height:
        empty_days = good.clear().select("n")
        return Checked(empty_days, medicines.clear(), bad)

    h100 = _hundredths(good)
    days = good.select(
        pl.col("n").cast(pl.Int32),
        "patient",
        pl.col("day").alias("date"),
        h100.alias("h100"),
        pl.when(h100 > 0).then(pl.col("intensity")).otherwise(pl.lit("")).alias("peak_intensity"),
        *(pl.col(f).str.to_lowercase().is_in(_TRUE).alias(f) for f in FLAGS),
        pl.col("aura_value").cast(pl.Int32).alias("aura_minutes"),
        (pl.col("day") < pl.col("today")).alias("late"),
    )
    stored_medicines = medicines.join(
        days.select(pl.col("n").cast(pl.UInt32), "patient", "date"), on="n", how="inner"
    ).select(
        pl.col("n").cast(pl.Int32),
        pl.col("ord").cast(pl.Int32),
        "patient",
        "date",
        "name",
        "drug_class",
        "effective",
    )
    return Checked(days, stored_medicines, bad.clear())


def _hundredths(good: pl.DataFrame) -> pl.Expr:
    """Hours to 0.01 h as the per-patient import stores them: `round(float(cell), 2)`.

    A cell with at most two decimals is exact; a longer one (rare) is rounded by
    Python itself, so half-way cases match `round` (`2.675` -> 2.67).
    """
    value = pl.col("hours_value")
    long = pl.col("headache_hours").str.contains(r"\.[0-9]{3,}$")
    if good.select(long.any()).item():
        return (
            pl.when(long)
            .then(value.map_elements(lambda v: round(round(v, 2) * 100), return_dtype=pl.Int64))
            .otherwise((value * 100).round(0).cast(pl.Int64))
            .cast(pl.Int32)
        )
    return (value * 100).round(0).cast(pl.Int32)


def _medicines(cells: pl.DataFrame) -> pl.DataFrame:
    """One row per medicine item of the `acute_medications` cells (`name:class:yes|no|unknown`,
    `;` between items; `%25`, `%3A`, `%3B` in names), with the rules it breaks."""
    items = (
        cells.filter(pl.col("acute_medications") != "")
        .select("n", item=pl.col("acute_medications").str.split(";"))
        .explode("item")
        .filter(pl.col("item").str.strip_chars() != "")
    )
    parts = pl.col("item").str.split(":")
    items = items.with_columns(
        ord=pl.int_range(pl.len()).over("n"),
        count=parts.list.len(),
        p0=parts.list.get(0, null_on_oob=True).str.strip_chars(),
        p1=parts.list.get(1, null_on_oob=True).str.strip_chars(),
        p2=parts.list.get(2, null_on_oob=True).str.strip_chars().str.to_lowercase(),
    )
    name = (
        pl.col("p0")
        .str.replace_all("%3B", ";", literal=True)
        .str.replace_all("%3A", ":", literal=True)
        .str.replace_all("%25", "%", literal=True)
    )
    return items.select(
        "n",
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
    elif row["patient"] is None:
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
    if not messages:  # the rules above and the vectorised ones disagree: still say where
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


_DAY_FIELDS = ("headache_hours", "peak_intensity", *FLAGS, "aura_minutes")


def _tables() -> dict[str, str]:
    q = connection.ops.quote_name
    return {
        "entry": q(DiaryEntry._meta.db_table),
        "medicine": q(AcuteMedicationTaken._meta.db_table),
        "revision": q(DiaryEntryRevision._meta.db_table),
        "patient": q(Patient._meta.db_table),
    }


def _copy(cursor: Any, table: str, frame: pl.DataFrame) -> None:
    """COPY a frame into a staging table (CSV text: null is an empty unquoted cell)."""
    columns = ", ".join(frame.columns)
    with cursor.copy(f"COPY {table} ({columns}) FROM STDIN (FORMAT csv)") as copy:
        copy.write(frame.write_csv(include_header=False, date_format="%Y-%m-%d"))


_STAGING = ", ".join(
    f"pg_temp.cephalog_bulk_{name}" for name in ("days", "medicines", "existing", "changed")
)


def _store_postgresql(
    checked: Checked, *, by_id: int | None, reason: str, now: dt.datetime
) -> Stored:
    """COPY into temporary staging tables, then set-based SQL, in the caller's transaction."""
    t = _tables()
    flags = ", ".join(FLAGS)
    s_flags = ", ".join(f"s.{f}" for f in FLAGS)
    same = " AND ".join(
        ["e.headache_hours * 100 = s.h100", "e.peak_intensity = s.peak_intensity"]
        + [f"e.{f} = s.{f}" for f in (*FLAGS, "aura_minutes")]
    )
    patients = checked.days["patient"].unique().to_list()
    with connection.cursor() as cursor:
        pg = cursor.cursor  # psycopg's own cursor, for COPY
        cursor.execute("SET LOCAL work_mem = '256MB'")
        # ON COMMIT DROP removes them, unless the import runs inside a larger transaction.
        cursor.execute(f"DROP TABLE IF EXISTS {_STAGING}")
        # Nobody removes a patient while their days go in (what each row's foreign-key
        # check would lock, taken once per patient).
        cursor.execute(
            f"SELECT count(*) FROM (SELECT 1 FROM {t['patient']} WHERE id = ANY(%s::uuid[]) "
            "ORDER BY id FOR KEY SHARE) p",
            [patients],
        )
        cursor.execute(
            "CREATE TEMP TABLE cephalog_bulk_days ("
            " n int4 NOT NULL, patient uuid NOT NULL, date date NOT NULL, h100 int4 NOT NULL,"
            " peak_intensity varchar(10) NOT NULL,"
            + "".join(f" {f} bool NOT NULL," for f in FLAGS)
            + " aura_minutes int4 NOT NULL, late bool NOT NULL) ON COMMIT DROP;"
            "CREATE TEMP TABLE cephalog_bulk_medicines ("
            " n int4 NOT NULL, ord int4 NOT NULL, patient uuid NOT NULL, date date NOT NULL,"
            " name text NOT NULL, drug_class text NOT NULL, effective bool) ON COMMIT DROP"
        )
        _copy(pg, "cephalog_bulk_days", checked.days)
        _copy(pg, "cephalog_bulk_medicines", checked.medicines)
        cursor.execute("ANALYZE cephalog_bulk_days; ANALYZE cephalog_bulk_medicines")

        # Days already stored: the same (unchanged) or changed.
        cursor.execute(
            "CREATE TEMP TABLE cephalog_bulk_existing ON COMMIT DROP AS "
            f"SELECT s.n, e.id, ({same}) AS same_fields FROM cephalog_bulk_days s "
            f"JOIN {t['entry']} e ON e.patient_id = s.patient AND e.date = s.date "
            "WHERE e.patient_id = ANY(%s::uuid[])",
            [patients],
        )
        cursor.execute(
            "CREATE TEMP TABLE cephalog_bulk_changed ON COMMIT DROP AS "
            "SELECT x.n, x.id FROM cephalog_bulk_existing x "
            "LEFT JOIN (SELECT m.entry_id, string_agg(ROW(m.name, m.drug_class, m.effective)::text,"
            " ';' ORDER BY m.id) AS meds "
            f" FROM {t['medicine']} m JOIN cephalog_bulk_existing x2 ON m.entry_id = x2.id"
            " WHERE x2.same_fields GROUP BY m.entry_id) em ON em.entry_id = x.id "
            "LEFT JOIN (SELECT b.n, string_agg(ROW(b.name, b.drug_class, b.effective)::text,"
            " ';' ORDER BY b.ord) AS meds "
            " FROM cephalog_bulk_medicines b JOIN cephalog_bulk_existing x3 ON b.n = x3.n"
            " WHERE x3.same_fields GROUP BY b.n) sm ON sm.n = x.n "
            "WHERE NOT x.same_fields OR coalesce(em.meds, '') <> coalesce(sm.meds, '')"
        )
        cursor.execute("SELECT count(*) FROM cephalog_bulk_existing")
        existing = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM cephalog_bulk_changed")
        changed = cursor.fetchone()[0]
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
                "  'headache_hours', e.headache_hours::float8)"
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
            assignments = ", ".join(f"{f} = s.{f}" for f in ("peak_intensity", *FLAGS))
            cursor.execute(
                f"UPDATE {t['entry']} e SET headache_hours = s.h100 / 100.0, {assignments},"
                " aura_minutes = s.aura_minutes, late = s.late, source = %s,"
                " version = e.version + 1, updated_at = %s "
                "FROM cephalog_bulk_changed c JOIN cephalog_bulk_days s ON s.n = c.n "
                "WHERE e.id = c.id "
                "RETURNING e.patient_id",
                [EntrySource.IMPORT, now],
            )
            for (patient_id,) in cursor.fetchall():
                created, updated = stored.by_patient.get(str(patient_id), (0, 0))
                stored.by_patient[str(patient_id)] = (created, updated + 1)
                stored.updated += 1
            cursor.execute(
                f"INSERT INTO {t['medicine']} (entry_id, name, drug_class, effective) "
                "SELECT c.id, b.name, b.drug_class, b.effective FROM cephalog_bulk_medicines b "
                "JOIN cephalog_bulk_changed c ON c.n = b.n ORDER BY b.n, b.ord"
            )
            stored.medicines += cursor.rowcount

        # New days, and their medicines in the order of the file.
        cursor.execute(
            "WITH ins AS ("
            f" INSERT INTO {t['entry']} (patient_id, date, headache_hours, peak_intensity,"
            f"  {flags}, aura_minutes, notes, late, source, version, created_at, updated_at)"
            f" SELECT s.patient, s.date, s.h100 / 100.0, s.peak_intensity, {s_flags},"
            "  s.aura_minutes, '', s.late, %s, 1, %s, %s"
            " FROM cephalog_bulk_days s"
            " WHERE NOT EXISTS (SELECT 1 FROM cephalog_bulk_existing x WHERE x.n = s.n)"
            " RETURNING id, patient_id, date"
            "), meds AS ("
            f" INSERT INTO {t['medicine']} (entry_id, name, drug_class, effective)"
            " SELECT ins.id, b.name, b.drug_class, b.effective FROM ins"
            " JOIN cephalog_bulk_medicines b ON b.patient = ins.patient_id AND b.date = ins.date"
            " ORDER BY ins.id, b.ord RETURNING 1"
            ") SELECT ins.patient_id, count(*), (SELECT count(*) FROM meds) FROM ins"
            " GROUP BY ins.patient_id",
            [EntrySource.IMPORT, now, now],
        )
        new_medicines = 0
        for patient_id, created, medicines in cursor.fetchall():
            _, updated = stored.by_patient.get(str(patient_id), (0, 0))
            stored.by_patient[str(patient_id)] = (created, updated)
            stored.created += created
            new_medicines = medicines
        stored.medicines += new_medicines
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
    to_db = {
        p: patient_pk.get_db_prep_value(uuid.UUID(p), connection)
        for p in days["patient"].unique().to_list()
    }
    db_patients = list(to_db.values())
    from_db = {str(v): k for k, v in to_db.items()}
    columns = ["id", "patient_id", "date", *_DAY_FIELDS, "version"]
    stored_rows: list[tuple[Any, ...]] = []
    medicine_rows: list[tuple[Any, ...]] = []
    with connection.cursor() as cursor:
        for chunk in _chunks(db_patients, 500):
            marks = ", ".join(["%s"] * len(chunk))
            cursor.execute(
                f"SELECT {', '.join(columns)} FROM {t['entry']} WHERE patient_id IN ({marks})",
                chunk,
            )
            stored_rows.extend(cursor.fetchall())
            cursor.execute(
                f"SELECT m.entry_id, m.id, m.name, m.drug_class, m.effective FROM {t['medicine']} m"
                f" JOIN {t['entry']} e ON e.id = m.entry_id WHERE e.patient_id IN ({marks})",
                chunk,
            )
            medicine_rows.extend(cursor.fetchall())
    existing = pl.DataFrame(
        [
            (
                r[0],
                from_db[str(r[1])],
                r[2] if isinstance(r[2], dt.date) else dt.date.fromisoformat(str(r[2])),
                round(float(r[3]) * 100),
                r[4],
                *(bool(v) for v in r[5 : 5 + len(FLAGS)]),
                int(r[5 + len(FLAGS)]),
                int(r[6 + len(FLAGS)]),
            )
            for r in stored_rows
        ],
        schema={
            "id": pl.Int64,
            "patient": pl.String,
            "date": pl.Date,
            "e_h100": pl.Int32,
            "e_peak_intensity": pl.String,
            **{f"e_{f}": pl.Boolean for f in FLAGS},
            "e_aura_minutes": pl.Int32,
            "version": pl.Int64,
        },
        orient="row",
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
        days.join(existing, on=["patient", "date"], how="inner")
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
    new = days.join(existing.select("patient", "date"), on=["patient", "date"], how="anti")

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
                        patient_id=uuid.UUID(row["patient"]),
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
            for p, count in changed.group_by("patient").len().iter_rows():
                result.by_patient[p] = (0, count)
            result.updated = changed.height

        if new.height:
            insert_columns = [
                "patient_id",
                "date",
                *_DAY_FIELDS,
                "notes",
                "late",
                "source",
                "version",
                "created_at",
                "updated_at",
            ]
            marks = ", ".join(["%s"] * len(insert_columns))
            dates = [ops.adapt_datefield_value(d) for d in new["date"].to_list()]
            cursor.executemany(
                f"INSERT INTO {t['entry']} ({', '.join(insert_columns)}) VALUES ({marks})",
                [
                    (
                        to_db[r[1]],
                        dates[i],
                        hours(r[3]),
                        r[4],
                        *r[5 : 5 + len(FLAGS)],
                        r[5 + len(FLAGS)],
                        "",
                        r[6 + len(FLAGS)],
                        EntrySource.IMPORT,
                        1,
                        stamp,
                        stamp,
                    )
                    for i, r in enumerate(new.iter_rows())
                ],
            )
            for p, count in new.group_by("patient").len().iter_rows():
                _, updated = result.by_patient.get(p, (0, 0))
                result.by_patient[p] = (count, updated)
            result.created = new.height

        # Medicines of the new and changed days: their entry ids read back by (patient, date).
        targets = pl.concat([new.select("n"), changed.select("n")])
        medicines = checked.medicines.join(targets, on="n", how="semi").sort("n", "ord")
        if medicines.height:
            ids_by_key: list[tuple[Any, ...]] = []
            for chunk in _chunks(db_patients, 500):
                marks = ", ".join(["%s"] * len(chunk))
                cursor.execute(
                    f"SELECT id, patient_id, date FROM {t['entry']} WHERE patient_id IN ({marks})",
                    chunk,
                )
                ids_by_key.extend(cursor.fetchall())
            entry_ids = pl.DataFrame(
                [
                    (
                        r[0],
                        from_db[str(r[1])],
                        r[2] if isinstance(r[2], dt.date) else dt.date.fromisoformat(str(r[2])),
                    )
                    for r in ids_by_key
                ],
                schema={"entry_id": pl.Int64, "patient": pl.String, "date": pl.Date},
                orient="row",
            )
            rows = medicines.join(
                entry_ids, on=["patient", "date"], how="left", maintain_order="left"
            )
            cursor.executemany(
                f"INSERT INTO {t['medicine']} (entry_id, name, drug_class, effective) "
                "VALUES (%s, %s, %s, %s)",
                rows.select("entry_id", "name", "drug_class", "effective").rows(),
            )
            result.medicines = medicines.height
    return result


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
) -> BulkImportResult:
    """Import a clinic's diary days from one CSV (see the module notes): all or nothing.

    `by` must be a physician or nurse of `clinic` (PermissionDenied otherwise).
    `today` overrides each patient's local today (tests). `progress` is told
    what happened after each phase.
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
    say(f"read {result.rows:,} rows in {result.timings['read']:.2f} s")

    now = timezone.now()
    mrns = table.frame[PATIENT_COLUMN].drop_nulls().str.strip_chars().unique().to_list()
    checked = check_rows(table.frame, _patients_frame(clinic, mrns), today=today, now=now)
    mark = lap("check", mark)
    if table.problems or checked.bad.height:
        result.problems, result.problem_lines = render_problems(table.problems, checked.bad, limit)
        say(
            f"checked in {result.timings['check']:.2f} s: "
            f"{result.problem_lines:,} line(s) with problems; nothing stored"
        )
        return _refused(result, clinic, by, started)
    result.patients = checked.days["patient"].n_unique()
    say(
        f"checked {result.rows:,} rows for {result.patients:,} patients "
        f"in {result.timings['check']:.2f} s"
    )

    _store(checked, result, clinic=clinic, by=by, now=now, filename=filename)
    lap("store", mark)
    result.seconds = time.perf_counter() - started
    say(
        f"stored in {result.timings['store']:.2f} s: {result.created:,} new, "
        f"{result.updated:,} changed, {result.unchanged:,} unchanged days"
    )
    return result


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
) -> None:
    """Store the checked days and audit the import, in one transaction."""
    reason = f"import (bulk) {filename}".strip()
    store = _store_postgresql if connection.vendor == "postgresql" else _store_generic
    stored = store(checked, by_id=getattr(by, "pk", None), reason=reason, now=now)
    result.created, result.updated = stored.created, stored.updated
    result.unchanged, result.medicines = stored.unchanged, stored.medicines
    for patient_id, (created, updated) in sorted(stored.by_patient.items()):
        record(
            action="import",
            category="diary",
            patient=Patient(pk=uuid.UUID(patient_id), clinic_id=clinic.pk),
            user=by,
            object_ref="diary-import:bulk",
            detail={"batch": True, "created": created, "updated": updated, "reason": True},
        )
    _audit(result, clinic, by)


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
