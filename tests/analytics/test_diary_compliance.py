"""Diary compliance for the clinic dashboard counts the days since the patient's diary began
(`cephalog.patients.queries.diary_start`: the day she joined, or her first recorded day when
earlier), as the patient list and the clinic's diary page do, not since her first entry."""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl

from cephalog.analytics.cohort import diary_compliance

TODAY = dt.date(2026, 12, 7)


def ago(days: int) -> dt.date:
    return TODAY - dt.timedelta(days=days)


def compliance(
    diary_start: dict[str, dt.date | None], filled: dict[str, range]
) -> dict[str, dict[str, Any]]:
    patients = pl.DataFrame(
        {"patient": list(diary_start), "diary_start": list(diary_start.values())},
        schema={"patient": pl.String, "diary_start": pl.Date},
    )
    diary = pl.DataFrame(
        [(p, ago(d)) for p, days in filled.items() for d in days],
        schema={"patient": pl.String, "date": pl.Date},
        orient="row",
    )
    table = diary_compliance(diary, patients, TODAY)
    assert table["patient"].to_list() == list(diary_start)  # every patient, in order
    return {r["patient"]: r for r in table.to_dicts()}


def figure(row: dict[str, Any]) -> tuple[int, int, float | None]:
    return row["recorded_last_28"], row["expected_days"], row["compliance_pct"]


def test_it_counts_from_the_day_she_joined_not_her_first_entry() -> None:
    """Joined 20 days ago (the day counted), first filled in 5 days ago: 5 of 20, not 5 of 5."""
    rows = compliance({"late": ago(19)}, {"late": range(5)})
    assert figure(rows["late"]) == (5, 20, 25.0)
    assert rows["late"]["first_entry"] == ago(4)  # the first entry is still reported


def test_a_patient_who_never_filled_anything_in_is_0_percent() -> None:
    rows = compliance({"never": ago(9)}, {})
    assert figure(rows["never"]) == (0, 10, 0.0)
    assert rows["never"]["first_entry"] is None


def test_a_diary_that_began_before_the_window_counts_all_28_days() -> None:
    rows = compliance(
        {"long": ago(60), "lapsed": ago(90)}, {"long": range(14), "lapsed": range(40, 60)}
    )
    assert figure(rows["long"]) == (14, 28, 50.0)
    assert figure(rows["lapsed"]) == (0, 28, 0.0)


def test_a_diary_beginning_today_or_tomorrow_has_one_day_never_zero() -> None:
    """Joined today, or "tomorrow" (her time zone is ahead of the clinic's): the diary began
    today at the latest (as `patients.queries.diary_began`), so one day: no division by zero."""
    tomorrow = TODAY + dt.timedelta(days=1)
    rows = compliance(
        {"today": TODAY, "tomorrow": tomorrow, "filled": tomorrow}, {"filled": range(1)}
    )
    assert figure(rows["today"]) == (0, 1, 0.0)
    assert figure(rows["tomorrow"]) == (0, 1, 0.0)
    assert figure(rows["filled"]) == (1, 1, 100.0)
    assert rows["tomorrow"]["diary_began"] == TODAY
