"""The cohort table of a generated demo cohort (~200 patients) shows per-cycle changes in the
direction and size of the generator's parameters (cephalog.demo.generate: about 20 headache
days per 28 at baseline, 8-9 fewer and about 45 % >= 50 % responders by cycle 2, gains
growing to cycles 3-5, about a quarter non-responders, adverse events at the label's rates)."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from cephalog.analytics.cohort import (
    adverse_events_by_symptom,
    cohort_summary,
    cohort_table,
    diary_compliance,
)
from cephalog.demo.generate import ADVERSE_EVENTS, generate_cohort

TODAY = dt.date(2026, 6, 30)


@pytest.fixture(scope="module")
def frames() -> dict[str, pl.DataFrame]:
    return generate_cohort(200, seed=2026, today=TODAY).to_polars()


@pytest.fixture(scope="module")
def table(frames: dict[str, pl.DataFrame]) -> pl.DataFrame:
    return cohort_table(frames["diary"], frames["sessions"], frames["patients"], TODAY)


def by_cycle(summary: pl.DataFrame) -> dict[int, dict[str, float]]:
    return {row["cycle"]: row for row in summary.to_dicts()}


def test_cycle_2_matches_the_generators_parameters(
    table: pl.DataFrame, frames: dict[str, pl.DataFrame]
) -> None:
    rows = by_cycle(cohort_summary(table))
    assert 18 <= rows[0]["baseline_mean"] <= 22  # generator: about 20 +/- 4
    c2 = rows[2]
    assert c2["assessable"] >= 100
    assert -11 <= c2["change_mean"] <= -6  # generator: 8-9 fewer headache days
    assert 35 <= c2["responder_50_pct"] <= 55  # generator: about 45 %
    assert 60 <= c2["responder_30_pct"] <= 85  # about a quarter non-responders
    # the designed reduction of each assessable patient (target_reduction) against the measured one
    measured = table.filter(
        (pl.col("cycle") == 2) & pl.col("headache_day_reduction_pct").is_not_null()
    ).join(frames["patients"].select("patient", "target_reduction"), on="patient")
    designed = float(measured["target_reduction"].mean()) * 100  # type: ignore[arg-type]
    assert c2["reduction_pct_mean"] == pytest.approx(designed, abs=8)


def test_gains_grow_from_cycle_1_to_cycles_3_to_5(table: pl.DataFrame) -> None:
    rows = by_cycle(cohort_summary(table))
    assert rows[1]["change_mean"] > rows[2]["change_mean"] > rows[4]["change_mean"]
    later = table.filter(pl.col("cycle").is_between(3, 5) & pl.col("responder_50").is_not_null())
    assert later["responder_50"].mean() > rows[2]["responder_50_pct"] / 100  # type: ignore[operator]


def test_adverse_event_rates_are_the_labels(
    table: pl.DataFrame, frames: dict[str, pl.DataFrame]
) -> None:
    summary = by_cycle(cohort_summary(table, frames["adverse_events"]))
    assert (
        sum(r["adverse_events"] for c, r in summary.items() if c > 0)
        == frames["adverse_events"].height
    )
    symptoms = {
        r["symptom"]: r
        for r in adverse_events_by_symptom(table, frames["adverse_events"]).to_dicts()
    }
    rate = {s: p for s, p, *_ in ADVERSE_EVENTS}
    assert symptoms["neck_pain"]["sessions_pct"] == pytest.approx(rate["neck_pain"] * 100, abs=4)
    assert symptoms["eyelid_ptosis"]["sessions_pct"] == pytest.approx(
        rate["eyelid_ptosis"] * 100, abs=3
    )


def test_compliance_is_the_generators(frames: dict[str, pl.DataFrame]) -> None:
    compliance = diary_compliance(frames["diary"], frames["patients"], TODAY)
    active = compliance.filter(pl.col("last_entry") >= TODAY - dt.timedelta(days=1))
    assert 80 <= active["compliance_pct"].mean() <= 97  # type: ignore[operator]
