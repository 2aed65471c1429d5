"""Spreadsheet-safe CSV (issue 15.5, 18.6): the one writer every CSV the product makes uses.

A spreadsheet opening a CSV runs a cell that starts with `=`, `+`, `-` or `@`
as a formula (CSV or formula injection, OWASP); a leading tab or carriage
return does the same in some programs, and leading spaces or tabs before any
of these are skipped by them. A text cell whose first character after
leading spaces and tabs is one of these gets a `'` in front, which every
spreadsheet shows as text. Numbers (int, float, Decimal) are written as they
are: a negative number is a number, not a formula.

`unguard_cell` undoes `guard_cell`, so cephalog's own files re-import unchanged.
tests/security/test_csv_writers.py finds every CSV-writing call in the source and
fails when one does not go through this module.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from decimal import Decimal
from typing import Any, Protocol

#: What makes a spreadsheet read a cell as a formula (after leading spaces or tabs).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_LEADING = " \t"


def is_risky(text: str) -> bool:
    """True when a spreadsheet could read `text` as a formula."""
    if text.startswith(("\t", "\r")):
        return True
    return text.lstrip(_LEADING).startswith(FORMULA_START)


def guard_cell(text: str) -> str:
    """`text` made safe for spreadsheets: a `'` in front when it could run as a formula."""
    return "'" + text if is_risky(text) else text


def unguard_cell(text: str) -> str:
    """The inverse of `guard_cell`."""
    return text[1:] if text.startswith("'") and is_risky(text[1:]) else text


def safe_value(value: Any) -> Any:
    """A value for a CSV row: text guarded, None empty, numbers and booleans as they are."""
    if value is None:
        return ""
    if isinstance(value, bool | int | float | Decimal):
        return value
    return guard_cell(str(value))


def safe_row(row: Iterable[Any]) -> list[Any]:
    return [safe_value(v) for v in row]


class _Writable(Protocol):
    def write(self, s: str, /) -> Any: ...


class SafeWriter:
    """`csv.writer` whose every row is made spreadsheet-safe (`safe_row`)."""

    def __init__(self, out: _Writable, **options: Any) -> None:
        self._writer = csv.writer(out, **options)

    def writerow(self, row: Iterable[Any]) -> Any:
        return self._writer.writerow(safe_row(row))

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def writer(out: _Writable, **options: Any) -> SafeWriter:
    return SafeWriter(out, **options)


def to_csv(
    header: Iterable[str], rows: Iterable[Iterable[Any]], *, lineterminator: str = "\r\n"
) -> str:
    """A whole CSV text: the header, then the rows, every cell made safe."""
    out = io.StringIO()
    w = SafeWriter(out, lineterminator=lineterminator)
    w.writerow(header)
    w.writerows(rows)
    return out.getvalue()


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_line(row: Iterable[Any], *, lineterminator: str = "\r\n") -> str:
    """One row as CSV text (for streamed responses)."""
    text: str = SafeWriter(_Echo(), lineterminator=lineterminator).writerow(row)
    return text
