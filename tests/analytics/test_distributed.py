"""The cohort table on Dask over Parquet partitions (cephalog.analytics.distributed) equals
the single-process table, and its merged summary equals `cohort_summary` of that table.
The drill at 11M and 44M diary-days on a LocalCluster of processes is `make scaleout`."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from cephalog.analytics import distributed
from cephalog.analytics.cohort import cohort_summary, cohort_table
from cephalog.demo.generate import generate_cohort

TODAY = dt.date(2026, 6, 30)


@pytest.fixture(scope="module")
def frames() -> dict[str, pl.DataFrame]:
    frames = generate_cohort(120, seed=19, today=TODAY).to_polars()
    # patient ids as text, as the app's tables give them
    return {
        name: frame.with_columns(pl.col("patient").cast(pl.String))
        if "patient" in frame.columns
        else frame
        for name, frame in frames.items()
    }


@pytest.fixture(scope="module")
def single(frames: dict[str, pl.DataFrame]) -> pl.DataFrame:
    return cohort_table(frames["diary"], frames["sessions"], frames["patients"], TODAY)


@pytest.fixture(scope="module")
def folders(
    frames: dict[str, pl.DataFrame], tmp_path_factory: pytest.TempPathFactory
) -> list[Path]:
    root = tmp_path_factory.mktemp("partitions")
    return distributed.partitions_from_frames(
        root, frames["diary"], frames["sessions"], frames["patients"], parts=4
    )


def test_partitions_split_the_patients(folders: list[Path], single: pl.DataFrame) -> None:
    assert len(folders) == 4
    ids = [pl.read_parquet(f / "patients.parquet")["patient"] for f in folders]
    assert all(len(part) > 10 for part in ids)
    assert pl.concat(ids).sort().to_list() == single["patient"].unique().sort().to_list()


def test_the_partitioned_table_equals_the_single_process_table(
    folders: list[Path], single: pl.DataFrame
) -> None:
    table = distributed.registry_table(folders, TODAY)  # Dask's synchronous scheduler
    assert_frame_equal(table.sort("patient", "cycle"), single.sort("patient", "cycle"))


def test_the_merged_summary_equals_the_summary_of_the_whole_table(
    folders: list[Path], single: pl.DataFrame
) -> None:
    merged = distributed.registry_summary(folders, TODAY)
    expected = cohort_summary(single)
    assert merged.columns == expected.columns
    assert merged.height == expected.height >= 4
    # counts exactly; means and the standard deviation to floating-point rounding
    assert_frame_equal(merged, expected, check_exact=False, rel_tol=1e-9, abs_tol=1e-9)


def test_on_a_distributed_client(folders: list[Path], single: pl.DataFrame) -> None:
    from distributed import Client, LocalCluster

    with (
        LocalCluster(n_workers=2, processes=False, dashboard_address="127.0.0.1:0") as cluster,
        Client(cluster) as client,
    ):
        merged = distributed.registry_summary(folders, TODAY, scheduler=client)
    assert_frame_equal(
        merged, cohort_summary(single), check_exact=False, rel_tol=1e-9, abs_tol=1e-9
    )


def test_the_clinics_rules_reach_every_partition(
    frames: dict[str, pl.DataFrame], folders: list[Path]
) -> None:
    from cephalog.domain.rulesets import Rules

    rules = Rules.of("standard-2", "ichd3")
    single = cohort_table(frames["diary"], frames["sessions"], frames["patients"], TODAY, rules)
    table = distributed.registry_table(folders, TODAY, rules=rules)
    assert_frame_equal(table.sort("patient", "cycle"), single.sort("patient", "cycle"))
    assert set(table["day_definition"]) == {"ichd3"}
