"""The registry cohort table on Dask distributed, over Parquet partitions of the day codes.

The cohort table is independent per patient (docs/scaling.md, step 5), so it splits by
patient without a shuffle:

1. `write_partitions` / `export_partitions` write the day codes as Parquet, one folder
   per partition of whole patients (contiguous in patient-id order): `patients.parquet`
   (the partition's patient ids), `codes.parquet` (one row per patient-year: patient,
   year, 366 day codes as 732 bytes, the layout of `outcomes.DiaryYearCodes`) and
   `sessions.parquet` (completed injections: patient, day number);
2. each partition is computed by the same engine as the app (`dense.cohort_arrays`),
   on whichever worker Dask gives it (`partition_table`);
3. the summary by cycle is merged from per-partition partial aggregates (counts, sums,
   and for the standard deviation count, mean and sum of squared deviations, combined
   as Chan et al.), so only a few hundred bytes per partition travel back
   (`partition_partial`, `merge_partials`).

The per-patient rows equal the single-process table exactly (the engine sees each
patient's whole history, whatever the split); the merged summary equals
`cohort.cohort_summary` of the whole table: counts exactly, means and standard
deviations to floating-point rounding (tests/analytics/test_distributed.py).

`registry_summary(parts, today, scheduler=...)` and `registry_table(...)` take a
scheduler address (`tcp://host:8786`, a real cluster), a `distributed.Client`
(`LocalCluster` in the scaleout drill) or None (Dask's synchronous scheduler, in
process). Why Dask rather than Spark: docs/adr/0011-distributed-cohort-engine.md.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from cephalog.analytics import dense
from cephalog.analytics.cohort import to_frame, with_ruleset
from cephalog.domain.rulesets import LEGACY, Rules

STRIP_BYTES = dense.YEAR_CELLS * 2


# --- writing partitions -----------------------------------------------------------------------


def year_strips(
    patient: np.ndarray, day: np.ndarray, codes: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Recorded days (sorted by patient and day) as patient-year strips of 366 codes:
    (patient, year, strips of shape (rows, 366)), sorted by patient and year."""
    patient = np.asarray(patient, dtype=np.int64)
    day = np.asarray(day, dtype=np.int64)
    year = dense.year_of(day)
    key = patient * 10_000 + year
    keys, row = np.unique(key, return_inverse=True)
    strips = np.zeros((len(keys), dense.YEAR_CELLS), dtype=np.uint16)
    strips[row, dense.day_of_year(day)] = codes
    return keys // 10_000, keys % 10_000, strips


def _bounds(strip_patient: np.ndarray, n_patients: int, parts: int) -> np.ndarray:
    """Patient boundaries of `parts` partitions holding about equal numbers of strips."""
    per_patient = np.bincount(strip_patient, minlength=n_patients)
    cumulative = np.cumsum(per_patient)
    targets = np.linspace(0, cumulative[-1] if len(cumulative) else 0, parts + 1)[1:-1]
    inner = np.searchsorted(cumulative, targets, side="left") + 1
    return np.unique(np.concatenate([[0], np.clip(inner, 0, n_patients), [n_patients]]))


def write_partitions(
    root: Path,
    *,
    patient_ids: Sequence[str],
    strip_patient: np.ndarray,
    strip_year: np.ndarray,
    strips: np.ndarray,
    session_patient: np.ndarray,
    session_day: np.ndarray,
    parts: int,
) -> list[Path]:
    """Write `parts` partitions of whole patients under `root`; returns their folders.

    Patients are given in order (`strip_patient` and `session_patient` index
    `patient_ids`), strips sorted by (patient, year), sessions by (patient, day).
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    n = len(patient_ids)
    strip_patient = np.asarray(strip_patient, dtype=np.int64)
    session_patient = np.asarray(session_patient, dtype=np.int64)
    ids = np.asarray(patient_ids, dtype=object)
    bounds = _bounds(strip_patient, n, max(1, parts))
    folders = []
    for i, (lo, hi) in enumerate(zip(bounds[:-1], bounds[1:], strict=True)):
        folder = root / f"part-{i:05d}"
        folder.mkdir(parents=True, exist_ok=True)
        s0, s1 = np.searchsorted(strip_patient, [lo, hi])
        t0, t1 = np.searchsorted(session_patient, [lo, hi])
        local_ids = pa.array(list(ids[lo:hi]), type=pa.string())
        pq.write_table(pa.table({"patient": local_ids}), folder / "patients.parquet")
        block = np.ascontiguousarray(strips[s0:s1], dtype="<u2")
        codes = pa.FixedSizeBinaryArray.from_buffers(
            pa.binary(STRIP_BYTES), len(block), [None, pa.py_buffer(block.tobytes())]
        )
        pq.write_table(
            pa.table(
                {
                    "patient": pa.array(strip_patient[s0:s1] - lo, type=pa.int32()),
                    "year": pa.array(np.asarray(strip_year[s0:s1]), type=pa.int16()),
                    "codes": codes,
                }
            ),
            folder / "codes.parquet",
            compression="zstd",
        )
        pq.write_table(
            pa.table(
                {
                    "patient": pa.array(session_patient[t0:t1] - lo, type=pa.int32()),
                    "day": pa.array(np.asarray(session_day[t0:t1]), type=pa.int32()),
                }
            ),
            folder / "sessions.parquet",
        )
        folders.append(folder)
    return folders


def export_partitions(
    root: Path, parts: int, clinic_ids: Sequence[int] | None = None
) -> list[Path]:
    """The app's day codes and completed sessions (whole registry, or `clinic_ids`) as
    Parquet partitions: what a registry exports for its cluster (refreshed first)."""
    from cephalog.outcomes import daycodes

    daycodes.refresh()
    ids, grid = daycodes.read_grid(clinic_ids)
    keys = daycodes._uuid_keys(ids)
    texts = [str(i) for i in ids]
    sp, sd = daycodes.read_sessions(keys, texts, clinic_ids)
    years = (grid.offset[1:] - grid.offset[:-1]) // dense.YEAR_CELLS
    strip_patient = np.repeat(np.arange(grid.n_patients, dtype=np.int64), years)
    starts = np.repeat(np.cumsum(years) - years, years)
    strip_year = np.repeat(grid.first, years) + (np.arange(len(strip_patient)) - starts)
    strips = grid.codes.reshape(-1, dense.YEAR_CELLS)
    return write_partitions(
        root,
        patient_ids=texts,
        strip_patient=strip_patient,
        strip_year=strip_year,
        strips=strips,
        session_patient=sp,
        session_day=sd,
        parts=parts,
    )


# --- one partition ----------------------------------------------------------------------------


def partition_columns(
    folder: str | Path, today: dt.date, rules: Rules = LEGACY
) -> tuple[pl.Series, dict[str, Any]]:
    """The engine's columns for one partition, and its patient ids, counted with `rules`
    (the ruleset's day definition and truncation, as `cohort.cohort_table`)."""
    import pyarrow.parquet as pq

    folder = Path(folder)
    patients = pl.Series("patient", pq.read_table(folder / "patients.parquet")["patient"])
    codes = pq.read_table(folder / "codes.parquet").combine_chunks()
    sessions = pq.read_table(folder / "sessions.parquet")
    column = codes["codes"].chunks[0] if codes.num_rows else None
    strips = (
        np.frombuffer(column.buffers()[1], dtype="<u2", count=codes.num_rows * dense.YEAR_CELLS)
        if column is not None
        else np.zeros(0, dtype=np.uint16)
    ).reshape(-1, dense.YEAR_CELLS)
    grid = dense.DayGrid.from_years(
        len(patients),
        codes["patient"].to_numpy().astype(np.int64),
        codes["year"].to_numpy().astype(np.int64),
        strips,
    )
    columns = dense.cohort_arrays(
        grid,
        sessions["patient"].to_numpy().astype(np.int64),
        sessions["day"].to_numpy().astype(np.int64),
        today,
        definition=rules.definition,
        truncate=rules.ruleset.truncate,
    )
    return patients, columns


def partition_table(folder: str | Path, today: dt.date, rules: Rules = LEGACY) -> pl.DataFrame:
    """One partition's rows of the cohort table (columns of `cohort.cohort_table`)."""
    patients, columns = partition_columns(folder, today, rules)
    return with_ruleset(to_frame(columns, patients), rules)


def partition_partial(folder: str | Path, today: dt.date, rules: Rules = LEGACY) -> pl.DataFrame:
    """One partition's mergeable aggregates by cycle (see `merge_partials`)."""
    return partial_summary(partition_table(folder, today, rules))


def partial_summary(table: pl.DataFrame) -> pl.DataFrame:
    """Counts, sums and (for the standard deviation) mean and squared deviations by cycle."""
    assessable = pl.col("headache_day_change").is_not_null()
    change = pl.col("headache_day_change")

    def true_count(flag: str) -> pl.Expr:
        return pl.col(flag).cast(pl.Int64).sum().alias(f"{flag}_true")

    def known(flag: str) -> pl.Expr:
        return pl.col(flag).is_not_null().sum().cast(pl.Int64).alias(f"{flag}_known")

    return table.group_by("cycle").agg(
        pl.len().cast(pl.Int64).alias("patients"),
        (~pl.col("in_progress")).sum().cast(pl.Int64).alias("complete"),
        assessable.sum().cast(pl.Int64).alias("assessable"),
        pl.col("evaluable").sum().cast(pl.Int64).alias("evaluable"),
        pl.col("headache_days_per_28").sum().alias("per28_sum"),
        pl.col("headache_days_per_28").count().cast(pl.Int64).alias("per28_n"),
        pl.col("baseline_headache_days_per_28").filter(assessable).sum().alias("base_sum"),
        pl.col("baseline_headache_days_per_28")
        .filter(assessable)
        .count()
        .cast(pl.Int64)
        .alias("base_n"),
        pl.col("headache_days_per_28").filter(assessable).sum().alias("cycle_sum"),
        pl.col("headache_days_per_28").filter(assessable).count().cast(pl.Int64).alias("cycle_n"),
        change.count().cast(pl.Int64).alias("change_n"),
        change.sum().alias("change_sum"),
        ((change - change.mean()) ** 2).sum().alias("change_m2"),
        pl.col("headache_day_reduction_pct").sum().alias("reduction_sum"),
        pl.col("headache_day_reduction_pct").count().cast(pl.Int64).alias("reduction_n"),
        true_count("responder_30"),
        known("responder_30"),
        true_count("responder_50"),
        known("responder_50"),
        true_count("wearing_off"),
        known("wearing_off"),
    )


def _mean(total: str, n: str) -> pl.Expr:
    return pl.when(pl.col(n) > 0).then(pl.col(total) / pl.col(n)).otherwise(None)


def _pct(flag: str) -> pl.Expr:
    return (
        pl.when(pl.col(f"{flag}_known") > 0)
        .then(pl.col(f"{flag}_true") * 100 / pl.col(f"{flag}_known"))
        .otherwise(None)
        .alias(f"{flag}_pct")
    )


def merge_partials(partials: Sequence[pl.DataFrame]) -> pl.DataFrame:
    """The summary by cycle of `cohort.cohort_summary`, from partitions' `partial_summary`."""
    stacked = pl.concat(list(partials), how="vertical_relaxed").with_columns(
        _mean("change_sum", "change_n").alias("part_mean")
    )
    summed = stacked.group_by("cycle").agg(
        pl.exclude("part_mean", "change_m2").sum(),
        pl.col("change_m2").fill_null(0).sum().alias("m2_within"),
        # Chan et al.: add each part's n * (its mean - the overall mean)^2
        pl.struct("change_n", "part_mean").alias("parts"),
    )
    rows = []
    for row in summed.iter_rows(named=True):
        n = row["change_n"]
        overall = row["change_sum"] / n if n else None
        m2 = row["m2_within"] + sum(
            p["change_n"] * (p["part_mean"] - overall) ** 2
            for p in row["parts"]
            if p["change_n"] and overall is not None
        )
        rows.append({"cycle": row["cycle"], "change_sd": (m2 / (n - 1)) ** 0.5 if n > 1 else None})
    spread = pl.DataFrame(rows, schema={"cycle": pl.Int32, "change_sd": pl.Float64}, orient="row")
    summed = summed.drop("parts").join(spread, on="cycle", how="left")
    baseline = (
        summed.filter(pl.col("cycle") == 0)
        .select(
            pl.col("cycle").cast(pl.Int32),
            "patients",
            pl.col("evaluable").alias("assessable"),
            _mean("per28_sum", "per28_n").alias("baseline_mean"),
        )
        .filter(pl.col("patients") > 0)
    )
    cycles = summed.filter(pl.col("cycle") >= 1).select(
        pl.col("cycle").cast(pl.Int32),
        "patients",
        "complete",
        "assessable",
        _mean("base_sum", "base_n").alias("baseline_mean"),
        _mean("cycle_sum", "cycle_n").alias("cycle_mean"),
        _mean("change_sum", "change_n").alias("change_mean"),
        "change_sd",
        _mean("reduction_sum", "reduction_n").alias("reduction_pct_mean"),
        pl.col("responder_30_known").alias("responder_n"),
        _pct("responder_30"),
        _pct("responder_50"),
        pl.col("wearing_off_known").alias("wearing_off_n"),
        _pct("wearing_off"),
    )
    return pl.concat([baseline, cycles], how="diagonal_relaxed").sort("cycle")


# --- on Dask ----------------------------------------------------------------------------------


def _compute(tasks: list[Any], scheduler: Any) -> list[Any]:
    from dask.base import compute

    if scheduler is None:
        return list(compute(*tasks, scheduler="synchronous"))  # type: ignore[no-untyped-call]
    from distributed import Client

    if isinstance(scheduler, str):
        with Client(scheduler) as client:  # type: ignore[no-untyped-call]
            return list(client.gather(client.compute(tasks)))
    return list(scheduler.gather(scheduler.compute(tasks)))


def registry_summary(
    folders: Sequence[str | Path],
    today: dt.date,
    *,
    scheduler: Any = None,
    rules: Rules = LEGACY,
) -> pl.DataFrame:
    """The summary by cycle of every partition, computed where Dask puts each partition
    and merged here from the partial aggregates."""
    from dask.delayed import delayed

    partial = delayed(partition_partial, pure=True)
    tasks = [partial(str(f), today, rules) for f in folders]
    return merge_partials(_compute(tasks, scheduler))


def registry_table(
    folders: Sequence[str | Path],
    today: dt.date,
    *,
    scheduler: Any = None,
    rules: Rules = LEGACY,
) -> pl.DataFrame:
    """The whole cohort table, partitions computed by Dask and concatenated in order."""
    from dask.delayed import delayed

    table = delayed(partition_table, pure=True)
    tasks = [table(str(f), today, rules) for f in folders]
    parts: list[pl.DataFrame] = _compute(tasks, scheduler)
    return pl.concat(parts, how="vertical_relaxed")


def partitions_from_frames(
    root: Path, diary: pl.DataFrame, sessions: pl.DataFrame, patients: pl.DataFrame, parts: int
) -> list[Path]:
    """Partitions of the Polars frames `cohort.cohort_table` takes (diary days, sessions,
    patients), patients in id order: for tests and for data that is not in the app."""
    from cephalog.analytics.cohort import diary_codes

    everyone = (
        pl.concat([patients.select("patient"), sessions.select("patient"), diary.select("patient")])
        .unique()
        .sort("patient")
        .with_row_index("_i")
    )
    days = (
        diary_codes(diary)
        .join(everyone, on="patient", how="inner")
        .select(pl.col("_i").cast(pl.Int64), pl.col("date").cast(pl.Int32).alias("day"), "code")
        .sort("_i", "day")
    )
    strip_patient, strip_year, strips = year_strips(
        days["_i"].to_numpy(), days["day"].to_numpy(), days["code"].to_numpy()
    )
    s = (
        sessions.select("patient", pl.col("date").cast(pl.Date))
        .join(everyone, on="patient", how="inner")
        .select(pl.col("_i").cast(pl.Int64), pl.col("date").cast(pl.Int32).alias("day"))
        .sort("_i", "day")
    )
    return write_partitions(
        root,
        patient_ids=[str(p) for p in everyone["patient"].to_list()],
        strip_patient=strip_patient,
        strip_year=strip_year,
        strips=strips,
        session_patient=s["_i"].to_numpy(),
        session_day=s["day"].to_numpy(),
        parts=parts,
    )
