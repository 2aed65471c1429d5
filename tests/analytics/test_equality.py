"""The cohort table (NumPy engine behind a Polars table) equals the domain (spec sections 3 and 7) exactly: counts, per-28
values unrounded (as floats of the exact values) and rounded (half-up on exact fractions),
change, reduction, responders and wearing-off, for generated cohorts and random diaries."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cephalog.analytics.cohort import cohort_table
from cephalog.analytics.dense import _round1 as round1
from cephalog.analytics.dense import _trunc1 as trunc1
from cephalog.demo.generate import generate_cohort
from cephalog.domain.diary import AcuteMedication, DiaryDay
from cephalog.domain.rulesets import LEGACY, STANDARD_2, DayDefinition, Rules
from cephalog.domain.windows import round1 as domain_round1
from cephalog.domain.windows import trunc1 as domain_trunc1
from tests.analytics.compare import assert_matches_domain, flag_rows

TODAY = dt.date(2026, 6, 30)


#: Every ruleset with every day definition it can use (spec section 11).
RULES = [
    LEGACY,
    Rules(STANDARD_2, DayDefinition.LABEL),
    Rules(STANDARD_2, DayDefinition.ICHD3),
]
RULE_IDS = ["standard-1", "standard-2-label", "standard-2-ichd3"]


@pytest.mark.parametrize("rules", RULES, ids=RULE_IDS)
def test_it_equals_the_domain_on_a_generated_cohort(rules: Rules) -> None:
    cohort = generate_cohort(150, seed=11, today=TODAY)
    frames = cohort.to_polars()
    table = cohort_table(frames["diary"], frames["sessions"], frames["patients"], TODAY, rules)
    by_patient = table.partition_by("patient", as_dict=True, maintain_order=True)
    assert len(by_patient) == cohort.n_patients
    for p in range(cohort.n_patients):
        days = cohort.diary_days(p)
        injections = cohort.sessions.date[cohort.session_rows(p)].astype(object).tolist()
        rows = by_patient[(p,)].sort("cycle").to_dicts()
        assert_matches_domain(rows, days, injections, TODAY, rules)


# --- random diaries, with the awkward cases the generator never makes ----------------------

CLASSES = ("triptan", "ergot", "simple_analgesic", "opioid", "gepant", "combination_analgesic")


def random_patient(seed: int) -> tuple[dict[dt.date, DiaryDay], list[dt.date], dt.date]:
    """A diary with gaps, ties and odd intervals (reinjection within 28 days, in progress)."""
    rng = np.random.default_rng(seed)
    start = dt.date(2025, 1, 1) + dt.timedelta(days=int(rng.integers(0, 30)))
    span = int(rng.integers(60, 420))
    recorded = rng.random() * 0.5 + 0.5
    days: dict[dt.date, DiaryDay] = {}
    for i in range(span):
        if rng.random() > recorded:
            continue
        date = start + dt.timedelta(days=i)
        hours = float(rng.choice([0, 0, 1.5, 3.5, 4, 6.5, 24]))
        meds = tuple(
            AcuteMedication(
                name="x", drug_class=str(rng.choice(CLASSES)), effective=[None, True, False][k % 3]
            )
            for k in range(int(rng.integers(0, 3)))
        )
        flags = rng.random(8) < 0.5
        days[date] = DiaryDay(
            date=date,
            headache_hours=hours,
            peak_intensity=str(rng.choice(["mild", "moderate", "severe"])) if hours else None,
            unilateral=bool(flags[0]),
            pulsating=bool(flags[1]),
            aggravated_by_activity=bool(flags[2]),
            nausea=bool(flags[3] and flags[4]),
            vomiting=bool(flags[5] and flags[6]),
            photophobia=bool(flags[6]),
            phonophobia=bool(flags[7]),
            aura_minutes=int(rng.choice([0, 0, 0, 4, 5, 30, 60, 61])),
            acute_medications=meds,
        )
    injections = []
    day = start + dt.timedelta(days=int(rng.integers(20, 120)))
    for _ in range(int(rng.integers(0, 5))):
        injections.append(day)
        day += dt.timedelta(days=int(rng.choice([10, 27, 28, 60, 77, 83, 84, 85, 100])))
    today = start + dt.timedelta(days=int(rng.integers(30, span + 60)))
    return days, injections, today


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(min_value=0, max_value=2**32 - 1), st.sampled_from(RULES))
def test_it_equals_the_domain_on_random_diaries(seed: int, rules: Rules) -> None:
    patients = [random_patient(seed + k) for k in range(4)]
    # one `today` for the cohort, as for a clinic
    today = max(t for _, _, t in patients)
    diary = pl.DataFrame(
        [row for p, (days, _, _) in enumerate(patients) for row in flag_rows(p, days)],
        schema_overrides={"peak_intensity": pl.String, "date": pl.Date},
    )
    if diary.is_empty():
        return
    sessions = pl.DataFrame(
        {
            "patient": [p for p, (_, inj, _) in enumerate(patients) for _ in inj],
            "date": [d for _, inj, _ in patients for d in inj],
        },
        schema={"patient": pl.Int64, "date": pl.Date},
    )
    table = cohort_table(diary, sessions, pl.DataFrame({"patient": range(4)}), today, rules)
    for p, (days, injections, _) in enumerate(patients):
        rows = table.filter(pl.col("patient") == p).sort("cycle").to_dicts()
        assert_matches_domain(rows, days, injections, today, rules)


# --- rounding ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("num", "den"),
    [(379, 4), (-379, 4), (2045, 100), (-2045, 100), (1, 20), (-1, 20), (0, 7), (219, 10), (1, 3)],
)
def test_it_rounds_half_up_on_exact_fractions_like_the_domain(num: int, den: int) -> None:
    from fractions import Fraction

    got = float(round1(np.array([num]), np.array([den]))[0])
    assert got == domain_round1(Fraction(num, den))


def test_a_reduction_on_a_tie_rounds_like_the_domain() -> None:
    # baseline 20 headache days of 21 recorded, cycle 1 of 20: reduction 94.75 % -> 94.8
    start = dt.date(2026, 1, 1)
    injection = start + dt.timedelta(days=28)
    days: dict[dt.date, Any] = {}
    for i in range(21):
        date = start + dt.timedelta(days=i)
        days[date] = DiaryDay(date, 6.0 if i < 20 else 0.0, "severe", True, True, nausea=True)
    window_start = injection + dt.timedelta(days=56)
    for i in range(20):
        date = window_start + dt.timedelta(days=i)
        days[date] = DiaryDay(date, 6.0 if i == 0 else 0.0, "severe" if i == 0 else None)
    today = injection + dt.timedelta(days=90)
    table = cohort_table(
        pl.DataFrame(flag_rows(1, days), schema_overrides={"peak_intensity": pl.String}),
        pl.DataFrame({"patient": [1], "date": [injection]}),
        pl.DataFrame({"patient": [1]}),
        today,
    )
    row = table.filter(pl.col("cycle") == 1).to_dicts()[0]
    assert row["headache_day_reduction_pct_rounded"] == 94.8
    assert_matches_domain(table.sort("cycle").to_dicts(), days, [injection], today)


@pytest.mark.parametrize(
    ("num", "den"),
    [(2997, 100), (-2997, 100), (1496, 100), (-245, 100), (-4, 100), (0, 7), (1, 3), (-1, 3)],
)
def test_it_truncates_toward_zero_on_exact_fractions_like_the_domain(num: int, den: int) -> None:
    from fractions import Fraction

    got = float(trunc1(np.array([num]), np.array([den]))[0])
    assert got == domain_trunc1(Fraction(num, den))


def test_short_headaches_count_in_the_ichd3_table_only() -> None:
    """28 recorded 2 h headaches before one injection: an ichd3 baseline of 28 headache days,
    a label one of 0 (spec section 11.1), in the engine as in the domain."""
    start = dt.date(2026, 1, 1)
    days = {
        start + dt.timedelta(days=i): DiaryDay(start + dt.timedelta(days=i), 2.0, "mild")
        for i in range(28)
    }
    injection = start + dt.timedelta(days=28)
    frames = (
        pl.DataFrame(flag_rows(1, days), schema_overrides={"peak_intensity": pl.String}),
        pl.DataFrame({"patient": [1], "date": [injection]}),
        pl.DataFrame({"patient": [1]}),
    )
    for rules, expected in ((RULES[1], 0), (RULES[2], 28)):
        table = cohort_table(*frames, injection, rules)
        baseline = table.filter(pl.col("cycle") == 0).to_dicts()[0]
        assert baseline["headache_days"] == expected
        assert_matches_domain(table.sort("cycle").to_dicts(), days, [injection], injection, rules)
