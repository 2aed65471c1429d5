"""Bulk diary import at registry scale (issue 10, part 3): rows per second.

    python -m bench.imports --database postgres|sqlite [--quick] [--runs N] [--out FILE]

A registry file of 1,000,000 diary days (quick: 20,000) is generated from the
demo cohort generator (`cephalog.demo.generate`), its patients are created in
a clinic, and `cephalog.diary.bulk_import.import_diaries_csv` imports it as a
nurse: reading, every validation rule, storing (PostgreSQL: new days by a binary
COPY into the diary, days among stored ones through staging tables and set-based
SQL; SQLite: executemany) and the audit rows are all inside the timed section. The
diary tables are emptied before each run, so the headline figure stores new days
(the re-import figure goes through the staging tables and the comparison).

References in the same process: `save_day` per row (the per-patient path's unit
of work) on a sample of the same rows, and Django's `bulk_create` of the same
days without validation. The goal is >= 200,000 rows/s on PostgreSQL and >= 100x
the per-row saves; SQLite is reported without a goal.

On PostgreSQL the headline figure is the import as a superuser runs it: the per-row
foreign-key triggers are skipped for the bulk COPYs and INSERTs (the rows point only at
patients the import has locked and days it wrote itself). A second figure keeps
them, as for a role that may not set `session_replication_role`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import time
from pathlib import Path
from typing import Any

from bench.harness import Figure, Suite, setup_django, write_figures

FLAGS = (
    "unilateral",
    "pulsating",
    "aggravated_by_activity",
    "nausea",
    "vomiting",
    "photophobia",
    "phonophobia",
)
#: Diary days per generated patient over two years (about 90 % compliance).
DAYS_PER_PATIENT = 640


def registry_file(rows: int, today: dt.date) -> tuple[bytes, list[str]]:
    """A bulk-import CSV of `rows` diary days from the demo generator, and its MRNs."""
    import polars as pl

    from cephalog.demo.generate import generate_cohort

    patients = max(1, math.ceil(rows / DAYS_PER_PATIENT * 1.15))
    cohort = generate_cohort(patients, seed=10, today=today, years=2.0, mrn_prefix="REG")
    while len(cohort.diary.patient) < rows:  # (never, with the margin above)
        patients *= 2
        cohort = generate_cohort(patients, seed=10, today=today, years=2.0, mrn_prefix="REG")
    tables = cohort.to_polars()
    mrns = tables["patients"].select("patient", "mrn")
    diary = tables["diary"].head(rows).join(mrns, on="patient", how="left", maintain_order="left")

    def medicine(slot: int) -> pl.Expr:
        effective = pl.col(f"acute{slot}_effective")
        return pl.concat_str(
            pl.col(f"acute{slot}_name"),
            pl.col(f"acute{slot}_class"),
            pl.when(effective.is_null())
            .then(pl.lit("unknown"))
            .when(effective)
            .then(pl.lit("yes"))
            .otherwise(pl.lit("no")),
            separator=":",
        )

    def yes_no(column: str) -> pl.Expr:
        return pl.when(pl.col(column)).then(pl.lit("true")).otherwise(pl.lit("false"))

    frame = diary.select(
        "mrn",
        pl.col("date").dt.to_string("%Y-%m-%d").alias("date"),
        pl.col("headache_hours").cast(pl.Float64).round(2).alias("headache_hours"),
        pl.col("peak_intensity").fill_null(""),
        *(yes_no(f).alias(f) for f in FLAGS),
        "aura_minutes",
        pl.concat_str(medicine(1), medicine(2), separator=";", ignore_nulls=True)
        .fill_null("")
        .alias("acute_medications"),
    )
    # Empty cells as nothing at all (Polars writes an empty string as "").
    frame = frame.with_columns(pl.all().cast(pl.String).replace("", None))
    return frame.write_csv().encode(), mrns["mrn"].cast(pl.String).to_list()


#: Set by --rows and --share-only (main): a smaller file, and only the share of COPY.
ROWS: int | None = None
SHARE_ONLY = False


def run(suite: Suite) -> None:
    from django.db import connection

    from cephalog.accounts import actions as accounts
    from cephalog.accounts.models import Role
    from cephalog.diary.actions import save_day
    from cephalog.diary.bulk_import import import_diaries_csv
    from cephalog.diary.models import AcuteMedicationTaken, DiaryEntry, DiaryEntryRevision
    from cephalog.patients.models import Patient

    vendor = connection.vendor
    name = {"postgresql": "PostgreSQL", "sqlite": "SQLite"}.get(vendor, vendor)
    database = "postgres" if vendor == "postgresql" else vendor
    rows = ROWS or suite.size(1_000_000, 20_000)
    today = dt.date.today() - dt.timedelta(days=1)  # every patient's local today or before
    data, mrns = registry_file(rows, today)
    print(f"  {database}: a registry file of {rows:,} rows, {len(data) / 1e6:.1f} MB", flush=True)

    clinic = accounts.create_clinic(slug="registry", name="Registry")
    nurse = accounts.create_staff(
        clinic=clinic,
        username="bench-nurse",
        email="nurse@example.org",
        role=Role.NURSE,
        password=None,
    )
    Patient.objects.bulk_create(
        [
            Patient(
                clinic=clinic,
                mrn=mrn,
                given_name="Test",
                family_name=f"Patient {i}",
                birth_date=dt.date(1980, 1, 1),
            )
            for i, mrn in enumerate(mrns)
        ],
        batch_size=2000,
    )

    def reset() -> None:
        with connection.cursor() as cursor:
            tables = [
                m._meta.db_table for m in (AcuteMedicationTaken, DiaryEntryRevision, DiaryEntry)
            ]
            if vendor == "postgresql":
                cursor.execute(f"TRUNCATE {', '.join(tables)}")
            else:
                for table in tables:
                    cursor.execute(f"DELETE FROM {table}")

    last: dict[str, Any] = {}

    def bulk() -> None:
        result = import_diaries_csv(clinic, data, nurse, filename="registry.csv")
        if not result.ok or result.created != rows:
            raise RuntimeError(f"bulk import failed: {result.problems[:5]}")
        last["result"] = result

    if not SHARE_ONLY:
        bulk_figure = suite.rate(
            f"imports.bulk_{database}",
            f"Bulk diary import with full validation, {rows:,} rows ({name})",
            bulk,
            rows,
            setup=reset,
            goal=200_000 if vendor == "postgresql" else None,
            note=(
                "new days: binary COPY into the diary and its medicines; one transaction"
                if vendor == "postgresql"
                else "executemany fallback; one transaction"
            ),
        )
        timings = last["result"].timings
        print(f"    phases of the last run (s): {timings}", flush=True)

        if vendor == "postgresql":

            def checked_keys() -> None:
                result = import_diaries_csv(
                    clinic, data, nurse, filename="registry.csv", key_checks_per_row=True
                )
                if not result.ok or result.created != rows:
                    raise RuntimeError(f"bulk import failed: {result.problems[:5]}")

            suite.rate(
                f"imports.bulk_key_checks_{database}",
                f"The same with a foreign-key check per row kept, {rows:,} rows ({name})",
                checked_keys,
                rows,
                runs=min(3, suite.runs),
                setup=reset,
                note="what a role that may not set session_replication_role gets",
            )

        def again() -> None:
            result = import_diaries_csv(clinic, data, nurse, filename="registry.csv")
            if not result.ok or result.unchanged != rows:
                raise RuntimeError(f"re-import changed something: {result.problems[:5]}")

        def reset_and_import() -> None:
            reset()
            bulk()

        suite.rate(
            f"imports.bulk_unchanged_{database}",
            f"The same file again: {rows:,} unchanged rows checked and compared ({name})",
            again,
            rows,
            runs=min(3, suite.runs),
            setup=reset_and_import,
            note="re-importing changes nothing",
        )

        sample = suite.size(2_000, 500)
        per_row_days = _case_rows(data, sample)
        patients = {p.mrn: p for p in Patient.objects.filter(clinic=clinic, mrn__in=mrns)}

        def per_row() -> None:
            for mrn, day in per_row_days:
                save_day(
                    patient=patients[mrn],
                    data=day,
                    by=nurse,
                    reason="import",
                    source="import",
                )

        per_row_figure = suite.rate(
            f"imports.per_row_{database}",
            f"Per-row saves (save_day), {sample:,} rows ({name})",
            per_row,
            sample,
            runs=min(3, suite.runs),
            setup=reset,
            note="the unit of work of the per-patient import path, one transaction per row",
        )
        suite.ratio(
            f"imports.bulk_vs_per_row_{database}",
            f"Bulk import vs per-row saves ({name})",
            bulk_figure,
            per_row_figure,
            goal=100 if vendor == "postgresql" else None,
        )
    patients = {p.mrn: p for p in Patient.objects.filter(clinic=clinic, mrn__in=mrns)}

    if vendor == "postgresql":
        copy_data = _copy_rows(data, {m: str(p.pk) for m, p in patients.items()})
        copy_columns = (
            "patient_id, date, headache_hours, peak_intensity, "
            + ", ".join(FLAGS)
            + ", aura_minutes, notes, late, source, version, created_at, updated_at"
        )

        table = DiaryEntry._meta.db_table
        copy_table = "bench_diary_copy"
        with connection.cursor() as cursor:
            # The same columns, defaults, checks and indexes (unique, updated_at) as the
            # diary table; no foreign keys (the import skips their per-row triggers too).
            cursor.execute(f"DROP TABLE IF EXISTS {copy_table}")
            cursor.execute(f"CREATE TABLE {copy_table} (LIKE {table} INCLUDING ALL)")
            cursor.execute("SELECT count(*) FROM pg_indexes WHERE tablename = %s", [copy_table])
            copy_indexes = cursor.fetchone()[0]

        def reset_copy() -> None:
            with connection.cursor() as cursor:
                cursor.execute(f"TRUNCATE {copy_table}")

        def raw_copy() -> None:
            from django.db import transaction

            statement = (
                f"COPY {copy_table} ({copy_columns}) FROM STDIN "
                "(FORMAT csv, FORCE_NOT_NULL (notes, peak_intensity))"
            )
            with (
                transaction.atomic(),
                connection.cursor() as cursor,
                cursor.cursor.copy(statement) as copy,
            ):
                copy.write(copy_data)

        # Alternately, in the same run: the import and the COPY see the same machine load.
        pairs = []
        for _ in range(min(3, suite.runs)):
            reset()
            started = time.perf_counter()
            bulk()
            bulk_seconds = time.perf_counter() - started
            print(f"    import {bulk_seconds:.2f} s, phases {last['result'].timings}", flush=True)
            reset_copy()
            started = time.perf_counter()
            raw_copy()
            pairs.append((bulk_seconds, time.perf_counter() - started))
        suite.add(
            Figure(
                f"imports.raw_copy_{database}",
                f"Reference: COPY of the same days into a copy of the diary table with its "
                f"indexes, {rows:,} rows ({name})",
                "rows/s",
                [rows / c for _, c in pairs],
                "higher",
                note=f"CREATE TABLE ... (LIKE diary INCLUDING ALL): {copy_indexes} indexes, "
                "the checks; no validation, no staging, no medicines, no audit, no foreign "
                "keys: the ceiling the bulk import is measured against on this machine",
            )
        )
        suite.add(
            Figure(
                f"imports.bulk_vs_raw_copy_{database}",
                f"Bulk import as a share of that COPY, {rows:,} rows ({name})",
                "x",
                [c / b for b, c in pairs],
                "higher",
                0.85,
                note="each sample: the import's time and the COPY's, measured one after the "
                "other in the same run",
            )
        )
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE {copy_table}")

    if SHARE_ONLY:
        return
    reference = suite.size(100_000, 20_000)
    entries = _bulk_create_rows(data, reference, patients)

    def bulk_create() -> None:
        objects = [DiaryEntry(**fields) for fields, _ in entries]
        DiaryEntry.objects.bulk_create(objects, batch_size=2000)
        AcuteMedicationTaken.objects.bulk_create(
            (
                AcuteMedicationTaken(entry=entry, **medicine)
                for entry, (_, medicines) in zip(objects, entries, strict=True)
                for medicine in medicines
            ),
            batch_size=2000,
        )

    bulk_create_figure = suite.rate(
        f"imports.bulk_create_{database}",
        f"Reference: Django bulk_create of the same days, no validation, {reference:,} rows ({name})",
        bulk_create,
        reference,
        runs=min(3, suite.runs),
        setup=reset,
        note="models built from parsed rows; not checked, no revisions, no audit",
    )

    suite.ratio(
        f"imports.bulk_vs_bulk_create_{database}",
        f"Bulk import vs Django bulk_create ({name})",
        bulk_figure,
        bulk_create_figure,
        note="bulk_create neither checks nor keeps revisions; a same-machine yardstick",
    )


def _case_rows(data: bytes, count: int) -> list[tuple[str, dict[str, Any]]]:
    """The first `count` rows of the file in the case format `save_day` takes."""
    import polars as pl

    from cephalog.domain.importing import decode_medications

    frame = pl.read_csv(data, infer_schema=False, n_rows=count)
    out = []
    for row in frame.iter_rows(named=True):
        day: dict[str, Any] = {
            "date": row["date"],
            "headache_hours": float(row["headache_hours"]),
            **{f: row[f] == "true" for f in FLAGS},
            "aura_minutes": int(row["aura_minutes"]),
            "acute_medications": decode_medications(row["acute_medications"] or "")[0],
        }
        if row["peak_intensity"]:
            day["peak_intensity"] = row["peak_intensity"]
        out.append((row["mrn"], day))
    return out


def _copy_rows(data: bytes, patient_ids: dict[str, str]) -> bytes:
    """The file's days as the CSV COPY reads for the diary table (already valid)."""
    import polars as pl

    frame = pl.read_csv(data, infer_schema=False)
    stamp = dt.datetime.now(dt.UTC).isoformat()
    return (
        frame.select(
            pl.col("mrn").replace_strict(patient_ids),
            "date",
            "headache_hours",
            pl.col("peak_intensity").fill_null(""),
            *FLAGS,
            "aura_minutes",
            notes=pl.lit(""),
            late=pl.lit("true"),
            source=pl.lit("import"),
            version=pl.lit("1"),
            created_at=pl.lit(stamp),
            updated_at=pl.lit(stamp),
        )
        .write_csv(include_header=False)
        .encode()
    )


def _bulk_create_rows(
    data: bytes, count: int, patients: dict[str, Any]
) -> list[tuple[dict[str, Any], list[dict[str, Any]]]]:
    from decimal import Decimal

    out = []
    for mrn, day in _case_rows(data, count):
        fields = {
            "patient": patients[mrn],
            "date": dt.date.fromisoformat(day["date"]),
            "headache_hours": Decimal(str(day["headache_hours"])),
            "peak_intensity": day.get("peak_intensity", ""),
            **{f: day[f] for f in FLAGS},
            "aura_minutes": day["aura_minutes"],
            "source": "import",
        }
        medicines = [
            {"name": m["name"], "drug_class": m["class"], "effective": m.get("effective")}
            for m in day["acute_medications"]
        ]
        out.append((fields, medicines))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=["postgres", "sqlite"], default="postgres")
    parser.add_argument("--out", type=Path, help="write the figures as JSON here")
    parser.add_argument("--quick", action="store_true", help="a short smoke run")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--rows", type=int, help="rows in the registry file (a smaller run)")
    parser.add_argument("--share-only", action="store_true", help="only the import vs COPY")
    args = parser.parse_args()
    global ROWS, SHARE_ONLY
    ROWS, SHARE_ONLY = args.rows, args.share_only
    setup_django(args.database)
    suite = Suite(quick=args.quick, runs=args.runs, area="imports")
    run(suite)
    if args.out:
        write_figures(suite, args.out)


if __name__ == "__main__":
    main()
