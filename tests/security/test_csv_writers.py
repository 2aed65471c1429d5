"""Every CSV the product writes is spreadsheet-safe (issue 15.5, 18.6).

A cell that starts with `=`, `+`, `-` or `@` (after leading spaces or tabs), or with
a tab or carriage return, runs as a formula in a spreadsheet. One writer guards
every cell (cephalog.domain.csvcells); the scan below finds every CSV-writing call
in the source, so a new export that bypasses it fails here.
"""

from __future__ import annotations

import ast
import csv
import datetime as dt
import io
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest
from django.urls import reverse

from cephalog.analytics.csv_frames import safe_frame
from cephalog.audit.actions import record
from cephalog.diary.actions import save_day
from cephalog.diary.exports import days_csv
from cephalog.diary.imports import import_days_csv
from cephalog.diary.models import DiaryEntry
from cephalog.domain.csvcells import guard_cell, safe_value, to_csv, unguard_cell
from cephalog.safety import medwatch
from tests.personas import Cast, client_for

SRC = Path(__file__).resolve().parents[2] / "src" / "cephalog"
#: The only modules allowed to call a CSV writer directly: the shared writers themselves.
WRITERS = {SRC / "domain" / "csvcells.py", SRC / "analytics" / "csv_frames.py"}


def csv_writing_calls(source: str) -> list[tuple[int, str]]:
    """(line, call) for every CSV-writing call in `source` that is not made safe:
    `csv.writer(...)`, `csv.DictWriter(...)`, and a Polars frame's `.write_csv(...)` /
    `.sink_csv(...)` on anything but `safe_frame(...)` (pandas is not a dependency)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
            continue
        func = node.func
        if (
            isinstance(func.value, ast.Name)
            and func.value.id == "csv"
            and func.attr in ("writer", "DictWriter")
        ):
            found.append((node.lineno, f"csv.{func.attr}"))
        elif func.attr in ("write_csv", "sink_csv"):
            receiver = func.value
            safe = (
                isinstance(receiver, ast.Call)
                and isinstance(receiver.func, ast.Name)
                and receiver.func.id == "safe_frame"
            )
            if not safe:
                found.append((node.lineno, f".{func.attr}"))
    return found


def test_the_scan_finds_a_csv_writer_that_bypasses_the_shared_one() -> None:
    source = (
        "import csv\nw = csv.writer(out)\nframe.write_csv(path)\n"
        "safe_frame(frame).write_csv(path)\ncsvcells.to_csv(h, r)\nlazy.sink_csv(p)\n"
    )
    assert csv_writing_calls(source) == [(2, "csv.writer"), (3, ".write_csv"), (6, ".sink_csv")]


def test_every_csv_the_product_writes_goes_through_the_shared_writer() -> None:
    offenders = []
    scanned = 0
    for path in sorted(SRC.rglob("*.py")):
        if path in WRITERS or "migrations" in path.parts:
            continue
        scanned += 1
        for line, call in csv_writing_calls(path.read_text()):
            offenders.append(f"{path.relative_to(SRC)}:{line}: {call}")
    assert scanned > 100
    assert offenders == []


@pytest.mark.parametrize(
    ("cell", "guarded"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-1+2", "'-1+2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\rabc", "'\rabc"),
        ("\tabc", "'\tabc"),
        ('   =HYPERLINK("x")', '\'   =HYPERLINK("x")'),
        (" \t +cmd", "' \t +cmd"),
        ("headache", "headache"),
        ("  headache", "  headache"),
        ("a=b", "a=b"),
        ("", ""),
    ],
)
def test_it_neutralises_formula_cells_after_leading_spaces_or_tabs(cell: str, guarded: str) -> None:
    assert guard_cell(cell) == guarded
    assert unguard_cell(guard_cell(cell)) == cell
    assert guard_cell(guard_cell(cell)) == guard_cell(cell)


def test_numbers_stay_numbers() -> None:
    assert safe_value(-3) == -3
    assert safe_value(Decimal("-3.5")) == Decimal("-3.5")
    assert safe_value(None) == ""
    text = to_csv(["change", "note"], [[Decimal("-3.5"), "-3.5 days"]])
    assert text == "change,note\r\n-3.5,'-3.5 days\r\n"


def test_polars_frames_are_guarded_in_text_columns_only() -> None:
    frame = pl.DataFrame({"id": ["=cmd", " @x", "ok"], "change": [-1.5, 2.0, 0.0]})
    out = safe_frame(frame)
    assert out["id"].to_list() == ["'=cmd", "' @x", "ok"]
    assert out["change"].to_list() == [-1.5, 2.0, 0.0]


def test_the_medwatch_csv_neutralises_a_reporters_text() -> None:
    section = medwatch.Section(
        letter="B",
        title="Adverse event",
        fields=(
            medwatch.Field("B5", "Describe event", ' =HYPERLINK("http://x")'),
            medwatch.Field("B6", "Relevant tests", "@SUM(1)"),
        ),
    )
    header, values = list(csv.reader(io.StringIO(medwatch.to_csv((section,)))))
    assert values == ['\' =HYPERLINK("http://x")', "'@SUM(1)"]


def test_the_audit_csv_neutralises_its_cells(cast: Cast) -> None:
    record(action="read", category="diary", patient=cast.patient, object_ref="\t=cmd|'/C calc'")
    response = client_for(cast, "clinic_admin").get(
        reverse("audit-report"), {"action": "read", "format": "csv"}
    )
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    refs = [r[6] for r in rows[1:] if "cmd" in r[6]]
    assert refs == ["'\t=cmd|'/C calc'"]


def test_the_diary_export_neutralises_notes_and_reimports_them_unchanged(cast: Cast) -> None:
    save_day(
        patient=cast.patient,
        data={"date": "2026-03-02", "headache_hours": 2, "peak_intensity": "mild"},
        by=cast.nurse,
        today=dt.date(2026, 3, 20),
    )
    DiaryEntry.objects.filter(patient=cast.patient).update(notes="  =1+1 felt odd")
    text = days_csv(cast.patient)
    row = dict(zip(*list(csv.reader(io.StringIO(text))), strict=True))
    assert row["notes"] == "'  =1+1 felt odd"
    DiaryEntry.objects.filter(patient=cast.patient).update(notes="")
    result = import_days_csv(cast.patient, text, cast.nurse, today=dt.date(2026, 3, 20))
    assert result.ok, result.problems
    assert DiaryEntry.objects.get(patient=cast.patient).notes == "  =1+1 felt odd"
