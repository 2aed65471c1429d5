"""Who may import, and reading the file into a table of text cells."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import polars as pl
from django.core.exceptions import PermissionDenied

from cephalog.accounts.access import CLINICAL_ROLES
from cephalog.accounts.models import Clinic, Membership
from cephalog.diary.bulk_import.common import (
    MAX_FILE_BYTES,
    PATIENT_COLUMN,
    REQUIRED_COLUMNS,
    WHITESPACE,
)
from cephalog.domain.importing import csv_body, csv_header

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
    """The csv module's reading (header and rows read as `domain.importing.read_rows` reads
    them), into a string frame."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return Table(
            None, [(0, "file: not UTF-8 text; save the file as CSV (UTF-8) and try again")]
        )
    reader = csv.reader(io.StringIO(text, newline=""))
    names = csv_header(reader, REQUIRED_COLUMNS, lambda h: h.strip().lower())
    if isinstance(names, str):
        return Table(None, [(1, names)])
    # A repeated column name: the last one counts (as in read_rows, a dict).
    last = {name: index for index, name in enumerate(names)}
    columns: dict[str, list[str]] = {name: [] for name in last}
    line_numbers: list[int] = []
    problems: list[tuple[int, str]] = []
    for line, cells in csv_body(reader, len(names)):
        if isinstance(cells, str):
            problems.append((line, cells))
        else:
            for name, index in last.items():
                columns[name].append(cells[index])
            line_numbers.append(line)
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
