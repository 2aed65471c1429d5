"""Cohort analytics at registry scale (issue 10 part 2), on PostgreSQL.

    .venv/bin/python -m bench.analytics --out FILE [--quick]

The data: the demo generator's patients with two years of diaries, as many as
give 11M diary-days (and 44M for the largest figure). "In memory" means the
engine's input columns (one row per recorded day: patient index, day number,
hours, intensity code, feature bits, aura minutes, medicine class; sessions as
patient index and day), which is what any loader hands over; the timed work
is everything after that: encoding, classifying, windows, cycles, outcomes
and the Polars table.

The references run in the same process on the same data: the first Polars
implementation (`bench/polars_reference.py`), vectorised pandas and a pandas
loop over patients (`bench/references.py`) in memory; the per-patient ORM loop
and one SQL statement in PostgreSQL over the stored diary. The two slowest
(the ORM loop and the pandas loop) run on a sample of patients and are scaled
to 11M diary-days by diary-days (they are linear in patients); the note says
so. Each figure's results are checked equal to the engine's before it counts.

Reading from PostgreSQL: `cephalog.outcomes.daycodes.cohort_table`, the code
the app runs (refresh check, one binary COPY of the day codes, sessions,
engine, table), over day codes written for the 11M cohort.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import tracemalloc
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
from bench.harness import Figure, Suite, peak_rss_mb, setup_django, write_figures

TODAY = dt.date(2026, 11, 1)
#: Diary-days per generated patient over two years, about (measured: 324 at 34,000 patients).
DAYS_PER_PATIENT = 324
CORE = ("patient", "cycle", "recorded_days", "headache_days", "headache_day_change")


@dataclass
class Inputs:
    """The engine's input columns for one generated cohort."""

    n_patients: int
    patient: np.ndarray
    day: np.ndarray
    hours: np.ndarray
    intensity: np.ndarray
    features: np.ndarray
    aura: np.ndarray
    medicine: np.ndarray
    session_patient: np.ndarray
    session_day: np.ndarray

    @property
    def diary_days(self) -> int:
        return len(self.day)


def inputs_of(cohort: Any) -> Inputs:
    from cephalog.analytics import dense
    from cephalog.demo.generate import ACUTE_CLASSES

    d = cohort.diary
    features = np.zeros(len(d.date), dtype=np.uint8)
    for i, name in enumerate(dense.FEATURES):
        features |= getattr(d, name).astype(np.uint8) << i
    specific_codes = [ACUTE_CLASSES.index("triptan"), ACUTE_CLASSES.index("ergot")]
    specific = np.isin(d.acute_class, specific_codes)
    relieved = (specific & (d.acute_effective == 1)).any(axis=1)
    medicine = np.select(
        [relieved, specific.any(axis=1), (d.acute_class >= 0).any(axis=1)],
        [dense.SPECIFIC_RELIEVED, dense.SPECIFIC, dense.OTHER_ACUTE],
        dense.NO_MEDICINE,
    ).astype(np.uint8)
    return Inputs(
        n_patients=cohort.n_patients,
        patient=d.patient.astype(np.int32),
        day=d.date.astype("datetime64[D]").astype(np.int32),
        hours=d.headache_hours.astype(np.float32),
        intensity=(d.intensity + 1).astype(np.uint8),
        features=features,
        aura=d.aura_minutes.astype(np.int16),
        medicine=medicine,
        session_patient=cohort.sessions.patient.astype(np.int64),
        session_day=cohort.sessions.date.astype("datetime64[D]").astype(np.int64),
    )


def engine_table(x: Inputs) -> pl.DataFrame:
    """The cohort table from the input columns: the figure's timed work."""
    from cephalog.analytics import dense
    from cephalog.analytics.cohort import to_frame

    codes = dense.encode(
        hours=x.hours,
        intensity=x.intensity,
        features=x.features,
        aura_minutes=x.aura,
        medicine=x.medicine,
    )
    grid = dense.DayGrid.from_rows(x.n_patients, x.patient, x.day, codes)
    columns = dense.cohort_arrays(grid, x.session_patient, x.session_day, TODAY)
    return to_frame(columns, pl.Series("patient", np.arange(x.n_patients), dtype=pl.Int64))


def generate(n_patients: int) -> Any:
    from cephalog.demo.generate import generate_cohort

    return generate_cohort(n_patients, seed=10, today=TODAY, years=2.0)


def patients_for(diary_days: int) -> int:
    return max(20, round(diary_days / DAYS_PER_PATIENT))


def _core(table: Any) -> dict[str, list[Any]]:
    """The core columns of a Polars or pandas table, sorted by patient and cycle, nulls None."""
    if isinstance(table, pl.DataFrame):
        frame = table.sort("patient", "cycle")
        columns = {c: frame[c].cast(pl.Float64).to_numpy() for c in CORE}
    else:
        frame = table.sort_values(["patient", "cycle"], kind="stable")
        columns = {c: frame[c].to_numpy(dtype=float, na_value=np.nan) for c in CORE}
    return {c: [None if np.isnan(v) else float(v) for v in values] for c, values in columns.items()}


def same_core(ours: pl.DataFrame, reference: Any, label: str) -> None:
    """The reference's core columns equal the engine's, for the reference's patients."""
    theirs = _core(reference)
    wanted = pl.Series(sorted({int(p) for p in theirs["patient"] if p is not None}))
    mine = _core(ours.filter(pl.col("patient").is_in(wanted.implode())))
    for column in CORE:
        if mine[column] != theirs[column]:
            raise AssertionError(f"{label}: column {column} differs from the engine's")
    print(f"  checked: {label} equals the engine on {len(theirs['patient']):,} rows", flush=True)


def scaled(figure_samples: list[float], sample_days: int, target_days: int) -> list[float]:
    return [s * target_days / sample_days for s in figure_samples]


def run(suite: Suite) -> None:
    full_cohort(suite, suite.size(11_000_000, 300_000))
    gc.collect()
    large_cohort(suite, suite.size(44_000_000, 1_200_000))


def full_cohort(suite: Suite, target: int) -> None:
    cohort = generate(patients_for(target))
    x = inputs_of(cohort)
    label = f"{x.diary_days / 1e6:.1f}M diary-days, {x.n_patients:,} patients"
    print(f"  cohort: {label}, {len(x.session_day):,} sessions", flush=True)
    ours = engine_table(x)  # also builds the day-class table once, as a running server has
    engine = suite.time(
        "analytics.engine",
        f"Cohort table, {label}, in memory (NumPy engine)",
        lambda: engine_table(x),
        runs=suite.size(7, 3),
        goal=0.5,
        note=f"{ours.height:,} rows (baselines and cycles); peak RSS so far {peak_rss_mb():.0f} MB",
    )
    in_memory_references(suite, cohort, ours, engine, label)
    # before the sample's diary is stored: refresh() would take in its fresh rows each time
    postgres_read(suite, ours, x, engine, label)
    database_references(suite, x, engine, label)


def in_memory_references(
    suite: Suite, cohort: Any, ours: pl.DataFrame, engine: Figure, label: str
) -> None:
    from bench import polars_reference, references

    frames = cohort.to_polars()
    polars_ref = polars_reference.cohort_table(
        frames["diary"], frames["sessions"], frames["patients"], TODAY
    )
    same_core(ours, polars_ref, "Polars reference")
    polars_fig = suite.time(
        "analytics.polars",
        f"Reference: first Polars implementation, {label}",
        lambda: polars_reference.cohort_table(
            frames["diary"], frames["sessions"], frames["patients"], TODAY
        ),
        runs=3,
        warmup=0,
    )
    pandas_frames = references.pandas_frames(frames)
    same_core(ours, references.pandas_vectorised(pandas_frames, TODAY), "vectorised pandas")
    pandas_fig = suite.time(
        "analytics.pandas_vectorised",
        f"Reference: vectorised pandas, {label}",
        lambda: references.pandas_vectorised(pandas_frames, TODAY),
        runs=3,
        warmup=0,
    )
    suite.ratio("analytics.vs_pandas", "Engine vs vectorised pandas", engine, pandas_fig, goal=5)
    suite.ratio(
        "analytics.vs_polars", "Engine vs the first Polars implementation", engine, polars_fig
    )


def database_references(suite: Suite, x: Inputs, engine: Figure, label: str) -> None:
    """The pandas loop, the ORM loop and SQL, on a sample, scaled to the full cohort."""
    from bench import references

    sample_n = suite.size(500, 100)
    sample = generate(sample_n)
    sample_days = len(sample.diary.date)
    sample_ours = engine_table(inputs_of(sample))
    sample_frames = references.pandas_frames(sample.to_polars())
    same_core(sample_ours, references.pandas_rowloop(sample_frames, TODAY), "pandas loop")
    loop = suite.time(
        "analytics.pandas_rowloop_sample",
        f"Reference: pandas loop over patients, {sample_n:,} patients",
        lambda: references.pandas_rowloop(sample_frames, TODAY),
        runs=2,
        warmup=0,
    )
    note = f"measured on {sample_days:,} diary-days ({sample_n:,} patients), scaled by diary-days"
    loop_full = suite.add(
        Figure(
            "analytics.pandas_rowloop",
            f"Reference: pandas loop over patients, scaled to {label}",
            "s",
            scaled(loop.samples, sample_days, x.diary_days),
            note=note,
        )
    )
    suite.ratio("analytics.vs_pandas_rowloop", "Engine vs the pandas loop", engine, loop_full)

    loaded = references.load_into_database(sample)
    ids = list(loaded.patient_ids)
    same_core(sample_ours, _to_index(references.orm_loop(ids, TODAY), loaded), "ORM loop")
    orm = suite.time(
        "analytics.orm_loop_sample",
        f"Reference: per-patient ORM loop, {sample_n:,} patients (PostgreSQL)",
        lambda: references.orm_loop(ids, TODAY),
        runs=1,
        warmup=0,
    )
    orm_full = suite.add(
        Figure(
            "analytics.orm_loop",
            f"Reference: per-patient ORM loop, scaled to {label}",
            "s",
            scaled(orm.samples, sample_days, x.diary_days),
            note=note,
        )
    )
    suite.ratio(
        "analytics.vs_orm", "Engine vs the per-patient ORM loop", engine, orm_full, goal=200
    )
    same_core(sample_ours, _to_index(references.postgres_sql(TODAY, ids), loaded), "SQL")
    sql = suite.time(
        "analytics.sql_sample",
        f"Reference: one SQL statement in PostgreSQL, {sample_n:,} patients",
        lambda: references.postgres_sql(TODAY, ids),
        runs=2,
        warmup=0,
    )
    sql_full = suite.add(
        Figure(
            "analytics.sql",
            f"Reference: one SQL statement in PostgreSQL, scaled to {label}",
            "s",
            scaled(sql.samples, sample_days, x.diary_days),
            note=note,
        )
    )
    suite.ratio("analytics.vs_sql", "Engine vs SQL in PostgreSQL", engine, sql_full)


def postgres_read(suite: Suite, ours: pl.DataFrame, x: Inputs, engine: Figure, label: str) -> None:
    """The full cohort's day codes written as refresh() writes them, read back by the app."""
    from django.db import connection
    from django.utils import timezone

    from cephalog.accounts.models import Clinic
    from cephalog.analytics import dense
    from cephalog.outcomes import daycodes
    from cephalog.outcomes.models import DayCodesState
    from cephalog.patients.models import Patient
    from cephalog.treatment.models import Session

    clinic = Clinic.objects.create(slug="registry", name="Registry")
    patients = Patient.objects.bulk_create(
        [
            Patient(
                clinic=clinic,
                mrn=f"R{i:07d}",
                given_name="R",
                family_name=f"{i}",
                birth_date=dt.date(1980, 1, 1),
            )
            for i in range(x.n_patients)
        ],
        batch_size=5000,
    )
    owners = [p.pk for p in patients]
    codes = dense.encode(
        hours=x.hours,
        intensity=x.intensity,
        features=x.features,
        aura_minutes=x.aura,
        medicine=x.medicine,
    )
    daycodes.write_codes(owners, x.patient, x.day, codes)
    DayCodesState.objects.update_or_create(pk=1, defaults={"refreshed_at": timezone.now()})
    _store_sessions(Session, owners, x)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    read = daycodes.cohort_table([clinic.pk], TODAY)
    same_core(_by_position(read, owners), ours, "read from PostgreSQL")
    pg = suite.time(
        "analytics.postgres",
        f"Cohort table, {label}, read from PostgreSQL (day codes) and computed",
        lambda: daycodes.cohort_table([clinic.pk], TODAY),
        runs=suite.size(7, 3),
        goal=1.0,
        note="the app's daycodes.cohort_table: refresh check, binary COPY, sessions, engine",
    )
    suite.add(
        Figure(
            "analytics.postgres_over_memory",
            "Read from PostgreSQL, as a multiple of the in-memory time",
            "x",
            [s / engine.median for s in pg.samples],
            note="the goal is the absolute one above (within 2x of the 0.5 s in-memory goal)",
        )
    )


def large_cohort(suite: Suite, diary_days: int) -> None:
    large = inputs_of(generate(patients_for(diary_days)))
    label = f"{large.diary_days / 1e6:.1f}M diary-days, {large.n_patients:,} patients"
    engine_table(large)
    suite.time(
        "analytics.engine_44m",
        f"Cohort table, {label}, in memory (NumPy engine)",
        lambda: engine_table(large),
        runs=suite.size(5, 3),
        goal=2.0,
    )
    tracemalloc.start()
    engine_table(large)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    columns = (large.patient, large.day, large.hours, large.intensity, large.features)
    input_mb = (sum(a.nbytes for a in columns) + large.aura.nbytes + large.medicine.nbytes) / 2**20
    suite.add(
        Figure(
            "analytics.engine_44m_memory",
            f"Working memory of one cohort table, {label}",
            "MB",
            [peak / 2**20],
            note=f"peak of the engine's own allocations (tracemalloc) on top of "
            f"{input_mb:.0f} MB of input columns; process peak RSS {peak_rss_mb():.0f} MB "
            "(including the generator's data)",
        )
    )


def _store_sessions(session_model: Any, owners: list[Any], x: Inputs) -> None:
    """Completed, signed sessions of the cohort (bulk_create: a few 100k rows at most)."""
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    signer = get_user_model().objects.create(username="bench-physician")
    now = timezone.now()
    dates = x.session_day.astype("datetime64[D]").astype(object)
    session_model.objects.bulk_create(
        (
            session_model(
                patient_id=owners[p],
                date=d,
                status="completed",
                total_units=155,
                sites_injected=31,
                signed_by=signer,
                signed_at=now,
                locked=True,
            )
            for p, d in zip(x.session_patient.tolist(), dates, strict=True)
        ),
        batch_size=5000,
    )


def _to_index(result: Any, loaded: Any) -> Any:
    """A pandas result keyed by patient id, re-keyed by cohort index."""
    frame = result.copy()
    frame["patient"] = frame["patient"].map(lambda p: loaded.cohort_index[p]).astype("int64")
    return frame


def _by_position(table: pl.DataFrame, owners: list[Any]) -> pl.DataFrame:
    mapping = {str(o): i for i, o in enumerate(owners)}
    return table.with_columns(pl.col("patient").replace_strict(mapping, return_dtype=pl.Int64))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--runs", type=int, default=None)
    args = parser.parse_args()
    setup_django("postgres")
    suite = Suite(quick=args.quick, area="analytics", runs=args.runs or 5)
    run(suite)
    write_figures(suite, args.out)


if __name__ == "__main__":
    main()
