"""Bulk import of many patients' diary days from one CSV (issue 10, part 3).

Runs on the configured database: SQLite (the executemany fallback) and, with
DATABASE_URL pointing at PostgreSQL, the COPY + set-based SQL path.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable
from io import StringIO
from pathlib import Path

import polars as pl
import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import CommandError, call_command

from cephalog.audit.actions import verify_chain
from cephalog.audit.models import AuditEvent
from cephalog.diary import bulk_import
from cephalog.diary.actions import entry_to_dict
from cephalog.diary.bulk_import import (
    PATIENT_COLUMN,
    check_rows,
    import_diaries_csv,
    read_table,
)
from cephalog.diary.imports import import_days_csv
from cephalog.diary.models import AcuteMedicationTaken, DiaryEntry, DiaryEntryRevision
from cephalog.diary.queries import diary_days
from cephalog.domain.diary import AcuteMedication, DiaryDay, classify_day
from cephalog.domain.importing import DAYS_HEADER, day_row, read_days_csv
from cephalog.patients.models import Patient
from tests.personas import Cast, make_patient

TODAY = dt.date(2026, 3, 20)
HEADER = [PATIENT_COLUMN, *DAYS_HEADER]


def days() -> list[DiaryDay]:
    """A varied fortnight: headache-free, migraine, medicines (escaped names, each effect)."""
    d = dt.date(2026, 3, 1)
    return [
        DiaryDay(date=d, headache_hours=0),
        DiaryDay(
            date=d + dt.timedelta(days=1),
            headache_hours=6.5,
            peak_intensity="severe",
            unilateral=True,
            pulsating=True,
            nausea=True,
            photophobia=True,
            acute_medications=(
                AcuteMedication("sumatriptan", "triptan", True),
                AcuteMedication("ibuprofen", "simple_analgesic", None),
            ),
        ),
        DiaryDay(
            date=d + dt.timedelta(days=2),
            headache_hours=2.25,
            peak_intensity="mild",
            aura_minutes=20,
            acute_medications=(AcuteMedication("paracetamol; 500:mg 100%", "simple_analgesic"),),
        ),
        DiaryDay(
            date=d + dt.timedelta(days=4),
            headache_hours=12,
            peak_intensity="moderate",
            aggravated_by_activity=True,
            vomiting=True,
            phonophobia=True,
            acute_medications=(AcuteMedication("rimegepant", "gepant", False),),
        ),
        DiaryDay(date=d + dt.timedelta(days=5), headache_hours=3, peak_intensity="moderate"),
        DiaryDay(date=TODAY, headache_hours=0.5, peak_intensity="mild"),
    ]


def bulk_csv(rows: Iterable[tuple[str, DiaryDay]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADER)
    writer.writerows([mrn, *day_row(day)] for mrn, day in rows)
    return out.getvalue().encode()


def patient_csv(rows: Iterable[DiaryDay]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(DAYS_HEADER)
    writer.writerows(day_row(day) for day in rows)
    return out.getvalue().encode()


def stored(patient: Patient) -> list[tuple[object, ...]]:
    """Everything the diary stores for a day, medicines in order (ids and times aside)."""
    return [
        (
            e.date,
            e.headache_hours,
            e.peak_intensity,
            *(getattr(e, f) for f in bulk_import.FLAGS),
            e.aura_minutes,
            e.notes,
            e.late,
            e.source,
            e.version,
            [(m.name, m.drug_class, m.effective) for m in e.medications.all()],
        )
        for e in DiaryEntry.objects.filter(patient=patient).order_by("date")
    ]


def counts() -> tuple[int, int, int]:
    return (
        DiaryEntry.objects.count(),
        AcuteMedicationTaken.objects.count(),
        DiaryEntryRevision.objects.count(),
    )


def run(cast: Cast, data: bytes, **kwargs: object) -> bulk_import.BulkImportResult:
    return import_diaries_csv(cast.clinic, data, cast.nurse, today=TODAY, **kwargs)  # type: ignore[arg-type]


# --- Storing ----------------------------------------------------------------------------------


def test_it_stores_the_file_as_the_per_patient_import_does(cast: Cast) -> None:
    twin = make_patient(cast.clinic, "MRN-2001", "Ada", "Twin", None)
    other_twin = make_patient(cast.clinic, "MRN-2002", "Brook", "Twin", None)
    mine, theirs = days(), days()[1:4]
    data = bulk_csv([*(("MRN-1001", d) for d in mine), *(("MRN-1002", d) for d in theirs)])

    result = run(cast, data)

    assert result.ok, result.problems
    assert (result.rows, result.patients, result.created, result.updated) == (9, 2, 9, 0)
    assert result.medicines == 8
    assert import_days_csv(twin, patient_csv(mine), cast.nurse, today=TODAY).ok
    assert import_days_csv(other_twin, patient_csv(theirs), cast.nurse, today=TODAY).ok
    assert stored(cast.patient) == stored(twin)
    assert stored(cast.other_patient) == stored(other_twin)
    assert list(diary_days(cast.patient).values()) == mine
    for patient, twin_patient in ((cast.patient, twin), (cast.other_patient, other_twin)):
        bulk_days, single_days = diary_days(patient), diary_days(twin_patient)
        assert [classify_day(d) for d in bulk_days.values()] == [
            classify_day(d) for d in single_days.values()
        ]
    entry = DiaryEntry.objects.get(patient=cast.patient, date=TODAY)
    assert (entry.late, entry.source, entry.version) == (False, "import", 1)


def test_importing_the_same_file_again_changes_nothing(cast: Cast) -> None:
    data = bulk_csv(("MRN-1001", d) for d in days())
    assert run(cast, data).created == 6
    before = (counts(), stored(cast.patient))

    again = run(cast, data)

    assert (again.created, again.updated, again.unchanged) == (0, 0, 6)
    assert (counts(), stored(cast.patient)) == before


def test_a_changed_day_keeps_its_previous_version(cast: Cast) -> None:
    first = days()
    assert run(cast, bulk_csv(("MRN-1001", d) for d in first)).ok
    old = DiaryEntry.objects.get(patient=cast.patient, date=first[1].date)
    old_snapshot = entry_to_dict(old)
    changed = list(first)
    changed[1] = DiaryDay(
        date=first[1].date,
        headache_hours=7,
        peak_intensity="moderate",
        acute_medications=(AcuteMedication("zolmitriptan", "triptan", True),),
    )
    # The same medicines in another order is a change too (as for the per-patient import).
    changed[2] = DiaryDay(
        **{**{f: getattr(first[2], f) for f in DiaryDay.__slots__}, "acute_medications": ()}
    )

    result = run(cast, bulk_csv(("MRN-1001", d) for d in changed), filename="registry.csv")

    assert (result.created, result.updated, result.unchanged) == (0, 2, 4)
    entry = DiaryEntry.objects.get(pk=old.pk)
    assert (entry.version, entry.source) == (2, "import")
    assert list(diary_days(cast.patient).values()) == changed
    revision = DiaryEntryRevision.objects.get(patient=cast.patient, date=first[1].date)
    assert revision.snapshot == old_snapshot
    assert (revision.version, revision.change, revision.changed_by) == (1, "edit", cast.nurse)
    assert revision.reason == "import (bulk) registry.csv"
    assert DiaryEntryRevision.objects.count() == 2


def test_it_replaces_days_the_per_patient_import_stored(cast: Cast) -> None:
    """A day stored by the forms or another import is the same day (one per date)."""
    first = days()
    assert import_days_csv(cast.patient, patient_csv(first), cast.nurse, today=TODAY).ok
    result = run(cast, bulk_csv(("MRN-1001", d) for d in first))
    assert (result.created, result.updated, result.unchanged) == (0, 0, 6)


def test_new_days_and_days_among_stored_ones_are_stored_alike(cast: Cast) -> None:
    """A patient with no stored day in the file's dates gets them straight (PostgreSQL: a
    COPY into the diary); one with a stored day among them goes through the comparison
    (staging tables). Either way the same rows, with the import's time and defaults."""
    twin = make_patient(cast.clinic, "MRN-2001", "Ada", "Twin", None)
    first = days()
    assert run(cast, bulk_csv([("MRN-2001", first[3])])).created == 1
    before = dt.datetime.now(dt.UTC)
    result = run(
        cast, bulk_csv([*(("MRN-1001", d) for d in first), *(("MRN-2001", d) for d in first)])
    )
    after = dt.datetime.now(dt.UTC)
    assert (result.created, result.updated, result.unchanged, result.medicines) == (11, 0, 1, 7)
    assert stored(cast.patient) == stored(twin)
    for entry in DiaryEntry.objects.filter(patient=cast.patient):
        assert before <= entry.created_at == entry.updated_at <= after
        assert (entry.pain_locations, entry.triggers) == ([], [])
    assert list(diary_days(cast.patient).values()) == first


def test_the_fallback_stores_what_the_database_path_stores(
    cast: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On PostgreSQL, the executemany fallback (SQLite's) gives the same diary as COPY."""
    twin = make_patient(cast.clinic, "MRN-2001", "Ada", "Twin", None)
    first = days()
    second = [*first[:2], DiaryDay(date=first[2].date, headache_hours=0), *first[3:]]
    for generic, mrn in ((False, "MRN-1001"), (True, "MRN-2001")):
        if generic:
            monkeypatch.setattr(bulk_import.connection, "vendor", "generic")
        assert run(cast, bulk_csv((mrn, d) for d in first)).created == 6
        result = run(cast, bulk_csv((mrn, d) for d in second))
        assert (result.created, result.updated, result.unchanged) == (0, 1, 5)
    monkeypatch.undo()
    assert stored(cast.patient) == stored(twin)
    snapshots = [
        r.snapshot for r in DiaryEntryRevision.objects.order_by("patient__mrn", "date", "version")
    ]
    assert snapshots[0] == snapshots[1]


@pytest.mark.parametrize("key_checks_per_row", [True, None])
def test_foreign_keys_hold_with_or_without_the_per_row_checks(
    cast: Cast, key_checks_per_row: bool | None
) -> None:
    """On PostgreSQL the per-row key triggers are skipped when the role may (the rows
    only point at locked patients and at days written in the same statement)."""
    first = days()
    changed = [DiaryDay(date=first[0].date, headache_hours=1, peak_intensity="mild"), *first[1:]]
    for version in (first, changed):
        result = import_diaries_csv(
            cast.clinic,
            bulk_csv(("MRN-1001", d) for d in version),
            cast.nurse,
            today=TODAY,
            key_checks_per_row=key_checks_per_row,
        )
        assert result.ok
    assert list(diary_days(cast.patient).values()) == changed
    with bulk_import.connection.cursor() as cursor:
        if bulk_import.connection.vendor == "postgresql":
            cursor.execute("SHOW session_replication_role")
            assert cursor.fetchone() == ("origin",)
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # every pending check passes
        cursor.execute(
            "SELECT count(*) FROM diary_acutemedicationtaken m "
            "LEFT JOIN diary_diaryentry e ON e.id = m.entry_id WHERE e.id IS NULL"
        )
        assert cursor.fetchone() == (0,)


# --- Refusing ---------------------------------------------------------------------------------


def one_row(**cells: str) -> bytes:
    """A file with one good row for MRN-1001, `cells` replaced."""
    row = dict(zip(HEADER, ["MRN-1001", *day_row(days()[1])], strict=True)) | cells
    return bulk_csv_rows([row])


def bulk_csv_rows(rows: list[dict[str, str]]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=HEADER, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


@pytest.mark.parametrize(
    ("cells", "problem"),
    [
        ({"date": "2026-02-30"}, 'date: must be a date YYYY-MM-DD, got "2026-02-30"'),
        ({"date": "3/2/2026"}, 'date: must be a date YYYY-MM-DD, got "3/2/2026"'),
        ({"date": ""}, "date: required"),
        ({"headache_hours": "25"}, "headache_hours: must be between 0 and 24, got 25"),
        ({"headache_hours": "-1"}, "headache_hours: must be between 0 and 24, got -1"),
        ({"headache_hours": "six"}, 'headache_hours: must be a number, got "six"'),
        ({"headache_hours": ""}, "headache_hours: required"),
        ({"peak_intensity": ""}, "peak_intensity: required when headache_hours > 0"),
        (
            {"peak_intensity": "awful"},
            'peak_intensity: must be one of mild, moderate, severe; got "awful"',
        ),
        ({"nausea": "maybe"}, 'nausea: must be true or false, got "maybe"'),
        ({"aura_minutes": "-5"}, "aura_minutes: must be 0 or more, got -5"),
        ({"aura_minutes": "2.5"}, "aura_minutes: must be a whole number, got 2.5"),
        (
            {"acute_medications": "sumatriptan:triptans:yes"},
            "acute_medications[0].class: must be one of simple_analgesic, triptan, ergot, "
            'opioid, combination_analgesic, gepant, ditan, other; got "triptans"',
        ),
        (
            {"acute_medications": "ibuprofen"},
            'acute_medications[0]: must be name:class:yes|no|unknown, got "ibuprofen"',
        ),
    ],
)
def test_each_rule_reports_its_line_as_the_per_patient_import_does(
    cast: Cast, cells: dict[str, str], problem: str
) -> None:
    assert run(cast, bulk_csv(("MRN-1001", d) for d in days()[:1])).ok
    before = counts()
    data = one_row(**cells)

    result = run(cast, data)

    assert result.problems == [f"line 2: {problem}"]
    assert counts() == before
    per_patient = "\n".join(line.split(",", 1)[1] for line in data.decode().splitlines())
    assert read_days_csv(per_patient).problems == result.problems


@pytest.mark.parametrize(
    ("cells", "problem"),
    [
        ({"mrn": "MRN-9999"}, 'mrn: no patient with the MRN "MRN-9999" in this clinic'),
        ({"mrn": "Y-77"}, 'mrn: no patient with the MRN "Y-77" in this clinic'),  # York's
        ({"mrn": ""}, "mrn: required"),
        ({"date": "2026-03-21"}, "date: 2026-03-21 is in the future"),
        (
            {"aura_minutes": "40000"},
            "aura_minutes: Ensure this value is less than or equal to 32767.",
        ),
        (
            {"acute_medications": "x" * 101 + ":other"},
            "acute_medications[0].name: at most 100 characters",
        ),
        (
            {"acute_medications": ";".join(["ibuprofen:simple_analgesic"] * 21)},
            "acute_medications: at most 20 medicines in a day",
        ),
    ],
)
def test_rules_of_the_bulk_import_and_of_storage(
    cast: Cast, cells: dict[str, str], problem: str
) -> None:
    result = run(cast, one_row(**cells))
    assert result.problems == [f"line 2: {problem}"]
    assert counts() == (0, 0, 0)


def test_two_rows_for_one_patients_date_are_refused(cast: Cast) -> None:
    d = days()
    data = bulk_csv([("MRN-1001", d[0]), ("MRN-1002", d[0]), ("MRN-1001", d[0])])
    result = run(cast, data)
    assert result.problems == ["line 4: date: 2026-03-01 is also on line 2 for this mrn"]
    assert counts() == (0, 0, 0)


def test_problems_are_listed_by_line_up_to_the_limit(cast: Cast) -> None:
    good = day_row(days()[0])
    lines = [",".join(HEADER)]
    lines += [",".join(["MRN-1001", f"2025-01-{n:02d}", *good[1:]]) for n in range(1, 29)]
    lines[3] = lines[3].replace("2025-01-03,0", "2025-01-03,99")
    lines[5] = "MRN-1001,2025-01-05,1,loud" + "," * (len(HEADER) - 4)
    lines[7] = lines[7] + ",one too many"
    lines += [",".join(["NOBODY", f"2025-02-{n:02d}", *good[1:]]) for n in range(1, 11)]
    data = "\n".join(lines).encode()

    result = run(cast, data, limit=3)

    assert result.problems == [
        "line 4: headache_hours: must be between 0 and 24, got 99",
        'line 6: peak_intensity: must be one of mild, moderate, severe; got "loud"',
        f"line 8: has {len(HEADER) + 1} cells but the header has {len(HEADER)}",
        "file: 10 more line(s) with problems are not listed; fix the lines above and check "
        "the file again",
    ]
    assert result.problem_lines == 13
    assert counts() == (0, 0, 0)


def test_line_numbers_count_blank_lines_and_line_breaks_in_quotes(cast: Cast) -> None:
    good = ",".join(["MRN-1001", *day_row(days()[0])])
    bad = good.replace("2026-03-01,0", "2026-03-02,30")
    quoted = good.replace("2026-03-01", "2026-03-03").rsplit(",", 1)[0] + ',"two\nlines"'
    for text, line in (
        (f"{','.join(HEADER)}\n{good}\n\n{bad}\n", 4),
        (f"{','.join(HEADER)}\r\n{good}\r\n,,,\r\n{bad}\r\n", 4),
        (f"{','.join(HEADER)}\n{quoted}\n{bad}\n", 4),
        (f"\ufeff{','.join(HEADER).upper()}\n{good}\n{bad}", 3),
    ):
        assert run(cast, text.encode()).problems == [
            f"line {line}: headache_hours: must be between 0 and 24, got 30"
        ], text


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b"", "line 1: header: the file is empty"),
        (b"date,headache_hours\n2026-03-01,0\n", "line 1: header: missing column(s) mrn"),
        (b"mrn,date\x00\n", "file: not a text file; export a CSV file and use that"),
        (
            b"mrn,date,headache_hours\n\xff,x,0\n",
            "file: not UTF-8 text; save the file as CSV (UTF-8) and try again",
        ),
    ],
)
def test_files_that_cannot_be_read(cast: Cast, data: bytes, problem: str) -> None:
    result = run(cast, data)
    assert result.problems == [problem]


#: Cells whose verdict (valid or not) the vectorised rules must share with read_days_csv.
CELLS = {
    "date": ["2026-03-01", " 2026-03-01 ", "2026-3-1", "0000-01-01", "2026-13-01", "20260301", "x"],
    "headache_hours": [
        "0",
        "-0",
        "24",
        "24.0",
        "24.01",
        "6.5",
        "007",
        "1e1",
        ".5",
        "5.",
        "'-0",
        "nan",
    ],
    "peak_intensity": ["", "MILD", "Severe ", "none", "'=mild"],
    "nausea": ["", "TRUE", "Yes", "1", "0", "no", "false", "y", "2"],
    "aura_minutes": ["", "0", "60", "5.0", "5.5", "-1", "32767", "1" * 400],
    "acute_medications": [
        "",
        ";",
        "a:triptan",
        ":triptan",
        "a:triptan:",
        "a:triptan:UNKNOWN",
        "a:triptan:maybe",
        "a:b:c:d",
        "a: triptan ; b:ergot:no ;",
        "a%3Ab:other:yes",
        "a:Triptan",
        "a:",
    ],
}


@pytest.mark.parametrize(
    ("column", "cell"), [(c, v) for c, values in CELLS.items() for v in values]
)
def test_the_vectorised_rules_agree_with_the_per_patient_reader(column: str, cell: str) -> None:
    """Without the database: the same verdict and, for bad rows, the same messages."""
    row = dict(zip(DAYS_HEADER, day_row(days()[1]), strict=True)) | {column: cell}
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=HEADER, lineterminator="\n")
    writer.writeheader()
    writer.writerow({PATIENT_COLUMN: "MRN-1", **row})
    table = read_table(out.getvalue().encode())
    assert table.frame is not None
    patients = pl.DataFrame({"mrn": ["MRN-1"], "patient": ["9f3c"], "time_zone": ["Europe/London"]})
    checked = check_rows(table, patients, today=TODAY)
    expected = read_days_csv(out.getvalue().split(",", 1)[1].replace("\nMRN-1,", "\n"))
    assert bool(checked.bad.height) == bool(expected.problems)
    if expected.problems:
        problems, _ = bulk_import.render_problems([], checked.bad)
        assert problems == expected.problems
    else:
        assert checked.days.height == 1
        ((_, day),) = expected.days
        got = checked.days.row(0, named=True)
        assert got["h100"] == round(day.headache_hours * 100)
        assert got["aura_minutes"] == day.aura_minutes
        assert (got["peak_intensity"] or None) == day.peak_intensity
        assert checked.medicines.select("name", "drug_class", "effective").rows() == [
            (m.name, m.drug_class, m.effective) for m in day.acute_medications
        ]


# --- Who, and the audit trail -----------------------------------------------------------------


@pytest.mark.parametrize("who", ["clinic_admin", "other_physician", "patient_user"])
def test_only_the_clinics_physicians_and_nurses_import(cast: Cast, who: str) -> None:
    with pytest.raises(PermissionDenied):
        import_diaries_csv(cast.clinic, bulk_csv(("MRN-1001", d) for d in days()), cast.user(who))
    assert counts() == (0, 0, 0)
    assert import_diaries_csv(
        cast.clinic, bulk_csv(("MRN-1001", d) for d in days()), cast.physician, today=TODAY
    ).ok


def test_the_import_is_audited_with_counts_only(cast: Cast) -> None:
    before = AuditEvent.objects.count()
    data = bulk_csv([*(("MRN-1001", d) for d in days()), ("MRN-1002", days()[0])])
    assert run(cast, data).ok
    assert run(cast, data).unchanged == 7
    events = list(AuditEvent.objects.order_by("id"))[before:]
    summaries = [e for e in events if e.patient_id is None]
    per_patient = [e for e in events if e.patient_id is not None]
    assert [(e.action, e.category, e.clinic_id, e.username) for e in summaries] == [
        ("import", "diary", cast.clinic.pk, "nurse-joy")
    ] * 2
    assert summaries[0].detail == {
        "ok": True,
        "rows": 7,
        "patients": 2,
        "problem_lines": 0,
        "created": 7,
        "updated": 0,
        "unchanged": 0,
        "medicines": 4,
    }
    assert summaries[1].detail["unchanged"] == 7
    assert sorted((e.patient_id, e.detail["created"]) for e in per_patient) == sorted(
        [(cast.patient.pk, 6), (cast.other_patient.pk, 1)]
    )
    refused = run(cast, one_row(headache_hours="99"))
    assert not refused.ok
    last = AuditEvent.objects.order_by("-id").first()
    assert last is not None
    assert (last.detail["ok"], last.detail["problem_lines"]) == (False, 1)
    assert all(isinstance(v, bool | int) for e in events for v in e.detail.values())
    assert verify_chain().ok  # the per-patient rows are appended to the chain together


# --- The command ------------------------------------------------------------------------------


def test_the_command_imports_and_prints_a_summary(cast: Cast, tmp_path: Path) -> None:
    path = tmp_path / "registry.csv"
    path.write_bytes(bulk_csv(("MRN-1001", d) for d in days()[:-1]))
    out = StringIO()
    call_command("import-diaries", "leeds", str(path), "--as", "nurse-joy", stdout=out)
    text = out.getvalue()
    assert "Importing registry.csv into Leeds Headache Centre as nurse-joy" in text
    assert "read 5 rows" in text
    assert "Imported 5 rows for 1 patients" in text
    assert "5 new days, 0 changed (previous versions kept), 0 unchanged" in text
    assert DiaryEntry.objects.filter(patient=cast.patient).count() == 5
    call_command("import-diaries", str(cast.clinic.pk), str(path), "--as", "dr-house", stdout=out)
    assert "0 new days, 0 changed (previous versions kept), 5 unchanged" in out.getvalue()


def test_the_command_says_which_columns_it_does_not_store(cast: Cast, tmp_path: Path) -> None:
    out_rows = io.StringIO()
    writer = csv.writer(out_rows, lineterminator="\r\n")
    writer.writerow([*HEADER, "weather"])
    writer.writerows(
        [mrn, *day_row(day, "A note" if i == 0 else ""), "rain"]
        for i, (mrn, day) in enumerate(("MRN-1001", d) for d in days()[:2])
    )
    path = tmp_path / "registry.csv"
    path.write_bytes(out_rows.getvalue().encode())
    out = StringIO()
    call_command("import-diaries", "leeds", str(path), "--as", "nurse-joy", stdout=out)
    text = out.getvalue()
    assert "not imported: column notes: 1 row(s) with a note" in text
    assert 'not imported: column "weather"' in text


def test_the_command_lists_problems_and_exits_2(cast: Cast, tmp_path: Path) -> None:
    path = tmp_path / "registry.csv"
    path.write_bytes(one_row(headache_hours="99"))
    err = StringIO()
    with pytest.raises(CommandError, match="Nothing was imported: 1 line") as refused:
        call_command(
            "import-diaries", "leeds", str(path), "--as", "nurse-joy", stdout=StringIO(), stderr=err
        )
    assert refused.value.returncode == 2
    assert err.getvalue().splitlines() == [
        "line 2: headache_hours: must be between 0 and 24, got 99"
    ]
    assert counts() == (0, 0, 0)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nowhere", "--as", "nurse-joy"], "No clinic with the slug or id 'nowhere'"),
        (["leeds", "--as", "nobody"], "No user named 'nobody'"),
        (["leeds", "--as", "admin-ann"], "admin-ann may not import here"),
        (["york", "--as", "nurse-joy"], "nurse-joy may not import here"),
    ],
)
def test_the_command_refuses_strangers(
    cast: Cast, tmp_path: Path, args: list[str], message: str
) -> None:
    path = tmp_path / "registry.csv"
    path.write_bytes(bulk_csv(("MRN-1001", d) for d in days()))
    with pytest.raises(CommandError, match=message):
        call_command("import-diaries", args[0], str(path), *args[1:], stdout=StringIO())
    assert counts() == (0, 0, 0)
