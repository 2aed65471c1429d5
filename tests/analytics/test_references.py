"""The naive references of the analytics benchmark (bench/references.py) compute the same core
cohort table as `cohort_table`, exactly: counts, dates and flags equal, and the unrounded change
and reduction equal as floats (each is one float64 division of exact integers, so it equals
`float(Fraction)` of the domain's value, as `cohort_table`'s does: no tolerance)."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import pandas as pd
import polars as pl
import pytest
from bench.references import (
    CORE_COLUMNS,
    load_into_database,
    orm_loop,
    pandas_frames,
    pandas_rowloop,
    pandas_vectorised,
    postgres_sql,
)

from cephalog.analytics.cohort import cohort_table
from cephalog.demo.generate import Cohort, generate_cohort
from tests.analytics.compare import flag_rows
from tests.analytics.test_equality import random_patient

TODAY = dt.date(2026, 6, 30)


@pytest.fixture(scope="module")
def cohort() -> Cohort:
    return generate_cohort(40, seed=10, today=TODAY)


@pytest.fixture(scope="module")
def expected(cohort: Cohort) -> list[dict[str, Any]]:
    f = cohort.to_polars()
    table = cohort_table(f["diary"], f["sessions"], f["patients"], TODAY)
    return table.select(CORE_COLUMNS).to_dicts()


def rows(table: pd.DataFrame, patient: dict[Any, int] | None = None) -> list[dict[str, Any]]:
    """A reference's table as dicts in `cohort_table`'s terms: cohort patient index, dates,
    None for null; sorted by patient and cycle."""
    assert tuple(table.columns) == CORE_COLUMNS
    out = []
    for row in table.to_dict("records"):
        row = {
            k: None if v is pd.NA or (isinstance(v, float) and math.isnan(v)) else v
            for k, v in row.items()
        }
        if patient is not None:
            row["patient"] = patient[row["patient"]]
        row["window_start"] = row["window_start"].date()
        row["window_end"] = row["window_end"].date()
        out.append(row)
    return sorted(out, key=lambda r: (r["patient"], r["cycle"]))


def test_the_expected_table_has_every_kind_of_row(expected: list[dict[str, Any]]) -> None:
    # the comparison means something: responders and not, cycles without an outcome
    cycles = [r for r in expected if r["cycle"] > 0]
    assert any(r["responder_50"] is True for r in cycles)
    assert any(r["responder_30"] is False for r in cycles)
    assert any(r["headache_day_change"] is None for r in cycles)


@pytest.mark.parametrize("reference", [pandas_rowloop, pandas_vectorised])
def test_the_pandas_references_equal_cohort_table(
    reference: Any, cohort: Cohort, expected: list[dict[str, Any]]
) -> None:
    table = reference(pandas_frames(cohort.to_polars()), TODAY)
    assert rows(table) == expected


def test_the_pandas_references_read_the_medication_day_flags_too(
    cohort: Cohort, expected: list[dict[str, Any]]
) -> None:
    f = cohort.to_polars()
    specific = [
        pl.col(f"acute{n}_class").is_in(["triptan", "ergot"]).fill_null(False) for n in (1, 2)
    ]
    relieved = [
        s & pl.col(f"acute{n}_effective").fill_null(False)
        for n, s in zip((1, 2), specific, strict=True)
    ]
    f["diary"] = (
        f["diary"]
        .with_columns(
            pl.any_horizontal(pl.col("acute1_class", "acute2_class").is_not_null()).alias(
                "acute_medication"
            ),
            pl.any_horizontal(specific).alias("migraine_specific"),
            pl.any_horizontal(relieved).alias("migraine_specific_relieved"),
        )
        .drop("acute1_class", "acute2_class", "acute1_effective", "acute2_effective")
    )
    assert rows(pandas_vectorised(pandas_frames(f), TODAY)) == expected


@pytest.mark.django_db
def test_the_orm_loop_equals_cohort_table(cohort: Cohort, expected: list[dict[str, Any]]) -> None:
    loaded = load_into_database(cohort)
    assert loaded.diary_entries == len(cohort.diary.date)
    # the app's path (model instances, prefetch) is slow: a few patients; the lean one on all
    some = loaded.patient_ids[:10]
    assert rows(orm_loop(some, TODAY), loaded.cohort_index) == [
        r for r in expected if r["patient"] < len(some)
    ]
    table = orm_loop(loaded.patient_ids, TODAY, lean=True)
    assert rows(table, loaded.cohort_index) == expected


@pytest.mark.postgres
@pytest.mark.django_db
def test_the_sql_equals_cohort_table(cohort: Cohort, expected: list[dict[str, Any]]) -> None:
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL")
    loaded = load_into_database(cohort)
    # a second cohort in the same database is left out by the patient filter
    other = load_into_database(generate_cohort(3, seed=99, today=TODAY))
    table = postgres_sql(TODAY, loaded.patient_ids)
    assert rows(table, loaded.cohort_index) == expected
    everyone = postgres_sql(TODAY)
    assert set(everyone["patient"]) == set(loaded.patient_ids) | set(other.patient_ids)


def test_the_pandas_references_equal_cohort_table_on_awkward_diaries() -> None:
    # gaps, empty windows, reinjection within 28 days, cycles in progress (test_equality)
    patients = [random_patient(seed) for seed in range(3000, 3012)]
    today = max(t for _, _, t in patients)
    diary = pl.DataFrame(
        [row for p, (days, _, _) in enumerate(patients) for row in flag_rows(p, days)],
        schema_overrides={"peak_intensity": pl.String, "date": pl.Date},
    )
    sessions = pl.DataFrame(
        {
            "patient": [p for p, (_, inj, _) in enumerate(patients) for _ in inj],
            "date": [d for _, inj, _ in patients for d in inj],
        },
        schema={"patient": pl.Int64, "date": pl.Date},
    )
    everyone = pl.DataFrame({"patient": range(len(patients))})
    expected = cohort_table(diary, sessions, everyone, today).select(CORE_COLUMNS).to_dicts()
    assert any(r["recorded_days"] == 0 for r in expected)
    frames = pandas_frames({"diary": diary, "sessions": sessions, "patients": everyone})
    for reference in (pandas_rowloop, pandas_vectorised):
        assert rows(reference(frames, today)) == expected, reference.__name__
