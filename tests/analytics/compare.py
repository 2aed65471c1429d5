"""Compare the Polars cohort table with the domain, patient by patient, exactly."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from cephalog.domain.cycles import compute_cycles
from cephalog.domain.diary import DiaryDay
from cephalog.domain.rulesets import LEGACY, Rules
from cephalog.domain.vocab import MIGRAINE_SPECIFIC_CLASSES
from cephalog.domain.windows import baseline_window

COUNTS = (
    "headache_days",
    "migraine_days",
    "moderate_severe_days",
    "headache_free_days",
    "acute_medication_days",
)
PER_28 = ("headache_days", "migraine_days", "moderate_severe_days", "acute_medication_days")


def flag_rows(patient: Any, days: Mapping[dt.date, DiaryDay]) -> list[dict[str, Any]]:
    """Diary rows in the cohort table's flag form (as the clinic's loader builds them)."""
    rows = []
    for day in days.values():
        meds = day.acute_medications
        specific = [m for m in meds if m.drug_class in MIGRAINE_SPECIFIC_CLASSES]
        rows.append(
            {
                "patient": patient,
                "date": day.date,
                "headache_hours": day.headache_hours,
                "peak_intensity": day.peak_intensity,
                "unilateral": day.unilateral,
                "pulsating": day.pulsating,
                "aggravated_by_activity": day.aggravated_by_activity,
                "nausea": day.nausea,
                "vomiting": day.vomiting,
                "photophobia": day.photophobia,
                "phonophobia": day.phonophobia,
                "aura_minutes": day.aura_minutes,
                "acute_medication": bool(meds),
                "migraine_specific": bool(specific),
                "migraine_specific_relieved": any(m.effective is True for m in specific),
            }
        )
    return rows


def assert_matches_domain(
    rows: Sequence[Mapping[str, Any]],
    days: Mapping[dt.date, DiaryDay],
    injections: Sequence[dt.date],
    today: dt.date,
    rules: Rules = LEGACY,
) -> None:
    """One patient's table rows (cycle 0 first) equal the domain's baseline and cycles,
    counted with `rules.definition` and printed as `rules` prints (spec section 11)."""
    definition = rules.definition
    shown = rules.one_decimal
    baseline = baseline_window(days, injections, today, definition)
    cycles = compute_cycles(days, injections, baseline, today, definition)
    assert len(rows) == len(cycles) + 1
    base_row = rows[0]
    assert base_row["cycle"] == 0
    assert (base_row["window_start"], base_row["window_end"]) == (baseline.start, baseline.end)
    assert base_row["recorded_days"] == baseline.recorded_days
    for m in COUNTS:
        assert base_row[m] == getattr(baseline, m), m
    _assert_rates(base_row, baseline.to_dict(shown), baseline)
    b = baseline.rate("headache_days")
    for row in rows:
        expected_b = None if b is None else float(b)
        assert row["baseline_headache_days_per_28"] == expected_b
        assert row["baseline_headache_days_per_28_rounded"] == (None if b is None else shown(b))
        assert row["ruleset"] == rules.ruleset.name
        assert row["day_definition"] == definition
    for row, cycle in zip(rows[1:], cycles, strict=True):
        d = cycle.to_dict(shown)
        context = (row, d)
        assert row["cycle"] == cycle.number, context
        assert row["injection_date"] == cycle.injection_date, context
        assert row["interval_days"] == cycle.interval_days, context
        assert row["in_progress"] == cycle.in_progress, context
        assert (row["window_start"], row["window_end"]) == (cycle.window.start, cycle.window.end)
        assert row["recorded_days"] == cycle.window.recorded_days, context
        for m in COUNTS:
            assert row[m] == getattr(cycle.window, m), (m, context)
        _assert_rates(row, d["window"], cycle.window)
        change, reduction = cycle.headache_day_change, cycle.headache_day_reduction_pct
        assert row["headache_day_change"] == (None if change is None else float(change)), context
        assert row["headache_day_change_rounded"] == d["headache_day_change"], context
        assert row["headache_day_reduction_pct"] == (
            None if reduction is None else float(reduction)
        ), context
        assert row["headache_day_reduction_pct_rounded"] == d["headache_day_reduction_pct"]
        assert row["responder_30"] == cycle.responder_30, context
        assert row["responder_50"] == cycle.responder_50, context
        assert row["wearing_off"] == cycle.wearing_off, context


def _assert_rates(row: Mapping[str, Any], window_dict: Mapping[str, Any], window: Any) -> None:
    assert row["evaluable"] == window.evaluable
    for m in PER_28:
        rate = window.rate(m)
        assert row[f"{m}_per_28"] == (None if rate is None else float(rate)), m
        assert row[f"{m}_per_28_rounded"] == window_dict["per_28"][m], m
