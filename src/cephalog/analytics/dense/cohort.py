"""The cohort table as columns: baselines, cycles and outcomes as array arithmetic (spec sections 3 and 7)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import numpy as np

from cephalog.analytics.dense.codes import _NO_DAY, FIELDS, Array, day_number
from cephalog.analytics.dense.grid import Cumulative, DayGrid, unpack
from cephalog.domain.cycles import (
    CYCLE_DAYS,
    OUTCOME_LAST_DAY,
    RESPONDER_30,
    RESPONDER_50,
    WEARING_OFF_RISE,
    WEEKS_5_8,
    WEEKS_9_12,
)
from cephalog.domain.windows import MIN_RECORDED_DAYS, WINDOW_DAYS

# --- the cohort table -------------------------------------------------------------------------


def _round_half_up(num: Array, den: Array) -> Array:
    """`num / den` to one decimal, ties away from zero, computed on the exact integers."""
    safe = np.where(den == 0, 1, den)
    tenths = (np.abs(num) * 20 + safe) // (safe * 2)
    rounded: Array = np.where(num < 0, -1.0, 1.0) * (tenths / 10)
    return rounded


#: Kept for callers and tests of standard-1's rounding.
_round1 = _round_half_up


def _trunc1(num: Array, den: Array) -> Array:
    """`num / den` truncated toward zero at one decimal (spec section 11.7), on exact integers."""
    safe = np.where(den == 0, 1, den)
    tenths = (np.abs(num) * 10) // np.abs(safe)
    negative = (num < 0) != (safe < 0)
    truncated: Array = np.where(negative, -1.0, 1.0) * (tenths / 10)
    return truncated


def _div(num: Array, den: Array) -> Array:
    return num / np.where(den == 0, 1, den)


def cohort_arrays(
    grid: DayGrid,
    session_patient: Array,
    session_day: Array,
    today: dt.date,
    report: Array | None = None,
    definition: str = "label",
    truncate: bool = False,
) -> dict[str, Array]:
    """The cohort table as columns: one baseline row (cycle 0) per reported patient, then one
    row per session, sorted by patient index and cycle.

    `session_patient`/`session_day`: completed injections sorted by (patient, day).
    `report`: boolean per patient, whether to give its rows (default: everyone; a
    patient with sessions is always reported). Columns as `cohort.cohort_table`;
    a null is NaN for floats and carried in `<column>_valid` masks for the others
    (`valid` keys: see `NULLABLE`). Dates are day numbers (int64).
    `definition` is the day definition (spec section 11.1); with `truncate` the
    `*_rounded` columns are truncated toward zero (standard-2, section 11.7).
    """
    n = grid.n_patients
    cumulative = Cumulative.of(grid, definition)
    round1 = _trunc1 if truncate else _round_half_up
    today_day = day_number(today)
    sp = np.asarray(session_patient, dtype=np.int64)
    sd = np.asarray(session_day, dtype=np.int64)
    m = len(sp)
    s = _session_columns(sp, sd, today_day)
    has_session, b_start, b_end, base = _baselines(cumulative, n, sp, sd, s["same_prev"], today_day)
    early, late, outcome = _cycle_windows(cumulative, sp, sd, s["window_start"], s["window_end"])

    bp, row_patient, order = _row_order(n, report, has_session, sp)
    nb = len(bp)

    def rows(baseline: Array, cycles: Array) -> Array:
        joined: Array = np.concatenate([baseline, cycles])
        return joined[order]

    zeros_b = np.zeros(nb, dtype=np.int64)
    false_b = np.zeros(nb, dtype=bool)
    out: dict[str, Array] = {
        "patient": row_patient[order],
        "cycle": rows(zeros_b, s["cycle"]),
        "injection_date": rows(zeros_b, sd),
        "injection_date_valid": rows(false_b, np.ones(m, dtype=bool)),
        "interval_days": rows(zeros_b, s["interval"]),
        "interval_days_valid": rows(false_b, s["same_prev"]),
        "in_progress": rows(false_b, s["in_progress"]),
        "window_start": rows(b_start[bp], s["window_start"]),
        "window_end": rows(b_end[bp], s["window_end"]),
    }
    for name in FIELDS:
        out[name] = rows(base[name][bp], outcome[name])
    out["baseline_start"] = rows(b_start[bp], b_start[sp])
    out["baseline_end"] = rows(b_end[bp], b_end[sp])
    out.update(_change_columns(rows, bp, sp, s, base, early, late, outcome, round1))
    out.update(_per_28_columns(out, round1))
    return out


def _row_order(
    n: int, report: Array | None, has_session: Array, sp: Array
) -> tuple[Array, Array, Array]:
    """Rows: baselines of reported patients, then cycles, ordered by patient then cycle.

    The reported patients, the patient of every row, and the order that sorts the rows.
    """
    reported = np.ones(n, dtype=bool) if report is None else np.asarray(report, dtype=bool).copy()
    reported |= has_session
    bp = np.flatnonzero(reported)
    row_patient = np.concatenate([bp, sp])
    return bp, row_patient, np.argsort(row_patient, kind="stable")


def _session_columns(sp: Array, sd: Array, today_day: int) -> dict[str, Array]:
    """Per session: cycle number, interval, outcome window, and whether the next came early."""
    m = len(sp)
    same_prev = np.zeros(m, dtype=bool)
    same_prev[1:] = sp[1:] == sp[:-1]
    same_next = np.zeros(m, dtype=bool)
    same_next[:-1] = same_prev[1:]
    patient_start = np.searchsorted(sp, sp, side="left")
    prev = np.where(same_prev, np.roll(sd, 1), 0)
    nxt = np.where(same_next, np.roll(sd, -1), _NO_DAY)
    window_end = np.minimum(sd + OUTCOME_LAST_DAY, nxt - 1)
    return {
        "same_prev": same_prev,
        "cycle": np.arange(m, dtype=np.int64) - patient_start + 1,
        "interval": sd - prev,
        "window_end": window_end,
        "window_start": window_end - (WINDOW_DAYS - 1),
        "short": same_next & (nxt < sd + CYCLE_DAYS),
        "in_progress": today_day < window_end,
    }


def _baselines(
    cumulative: Cumulative, n: int, sp: Array, sd: Array, same_prev: Array, today_day: int
) -> tuple[Array, Array, Array, dict[str, Array]]:
    """Per patient: whether treated, and the 28 days before the first injection (or to today)."""
    has_session = np.zeros(n, dtype=bool)
    has_session[sp] = True
    first_injection = np.full(n, today_day + 1, dtype=np.int64)
    first_injection[sp[~same_prev]] = sd[~same_prev]
    b_end = first_injection - 1
    b_start = b_end - (WINDOW_DAYS - 1)
    everyone = np.arange(n, dtype=np.int64)
    return has_session, b_start, b_end, cumulative.window(everyone, b_start, b_end)


def _cycle_windows(
    cumulative: Cumulative, sp: Array, sd: Array, window_start: Array, window_end: Array
) -> tuple[dict[str, Array], dict[str, Array], dict[str, Array]]:
    """Per session: the counts of weeks 5-8, weeks 9-12 and the outcome window.

    Weeks 5-8 and 9-12 share a boundary, and the outcome window is weeks 9-12 unless the
    next injection came early: three lookups per session instead of six.
    """
    at_early = cumulative.at(sp, sd + WEEKS_5_8[0])
    at_late = cumulative.at(sp, sd + WEEKS_9_12[0])
    at_end = cumulative.at(sp, sd + WEEKS_9_12[1] + 1)
    early = unpack(at_late - at_early)
    late_packed = at_end - at_late
    late = unpack(late_packed)
    early_next = np.flatnonzero(window_end != sd + WEEKS_9_12[1])
    if len(early_next):
        p = sp[early_next]
        late_packed = late_packed.copy()
        late_packed[early_next] = cumulative.at(p, window_end[early_next] + 1) - cumulative.at(
            p, window_start[early_next]
        )
    return early, late, unpack(late_packed)


def _change_columns(
    rows: Callable[[Array, Array], Array],
    bp: Array,
    sp: Array,
    s: dict[str, Array],
    base: dict[str, Array],
    early: dict[str, Array],
    late: dict[str, Array],
    outcome: dict[str, Array],
    round1: Callable[[Array, Array], Array],
) -> dict[str, Array]:
    """The baseline columns, the change from baseline, responders and wearing-off."""
    nb, m = len(bp), len(sp)
    rb = base["recorded_days"]
    hb = base["headache_days"]
    b_evaluable = rb >= MIN_RECORDED_DAYS
    rb_s, hb_s, b_ok_s = rb[sp], hb[sp], b_evaluable[sp]
    rc, hc = outcome["recorded_days"], outcome["headache_days"]
    assessable = ~s["in_progress"] & (rc >= MIN_RECORDED_DAYS) & b_ok_s
    change_num = (hc * rb_s - hb_s * rc) * WINDOW_DAYS
    change_den = rc * rb_s
    reducible = assessable & (hb_s > 0)
    red_num = (hb_s * rc - hc * rb_s) * 100
    red_den = hb_s * rc
    re_, he = early["recorded_days"], early["headache_days"]
    rl, hl = late["recorded_days"], late["headache_days"]
    wearing_judged = (
        ~s["in_progress"] & ~s["short"] & (re_ >= MIN_RECORDED_DAYS) & (rl >= MIN_RECORDED_DAYS)
    )
    false_b = np.zeros(nb, dtype=bool)
    nan_b = np.full(nb, np.nan)
    nan_c = np.full(m, np.nan)
    out: dict[str, Array] = {
        "baseline_recorded_days": rows(rb[bp], rb_s),
        "baseline_headache_days": rows(hb[bp], hb_s),
        "baseline_evaluable": rows(b_evaluable[bp], b_ok_s),
        "headache_day_change": rows(
            nan_b, np.where(assessable, _div(change_num, change_den), nan_c)
        ),
        "headache_day_change_rounded": rows(
            nan_b, np.where(assessable, round1(change_num, change_den), nan_c)
        ),
        "headache_day_reduction_pct": rows(
            nan_b, np.where(reducible, _div(red_num, red_den), nan_c)
        ),
        "headache_day_reduction_pct_rounded": rows(
            nan_b, np.where(reducible, round1(red_num, red_den), nan_c)
        ),
    }
    for pct, name in ((RESPONDER_30, "responder_30"), (RESPONDER_50, "responder_50")):
        out[name] = rows(false_b, (hb_s * rc - hc * rb_s) * 100 >= hb_s * rc * pct)
        out[f"{name}_valid"] = rows(false_b, reducible)
    out["wearing_off"] = rows(
        false_b, (hl * re_ - he * rl) * WINDOW_DAYS >= rl * re_ * WEARING_OFF_RISE
    )
    out["wearing_off_valid"] = rows(false_b, wearing_judged)
    return out


def _per_28_columns(
    out: dict[str, Array], round1: Callable[[Array, Array], Array]
) -> dict[str, Array]:
    """Evaluable windows, and counts per 28 days (exact and to one decimal)."""
    recorded = out["recorded_days"]
    evaluable = recorded >= MIN_RECORDED_DAYS
    columns: dict[str, Array] = {"evaluable": evaluable}
    for name in ("headache_days", "migraine_days", "moderate_severe_days", "acute_medication_days"):
        num = out[name] * WINDOW_DAYS
        columns[f"{name}_per_28"] = np.where(evaluable, _div(num, recorded), np.nan)
        columns[f"{name}_per_28_rounded"] = np.where(evaluable, round1(num, recorded), np.nan)
    b_num = out["baseline_headache_days"] * WINDOW_DAYS
    b_den = out["baseline_recorded_days"]
    b_ok = out["baseline_evaluable"]
    columns["baseline_headache_days_per_28"] = np.where(b_ok, _div(b_num, b_den), np.nan)
    columns["baseline_headache_days_per_28_rounded"] = np.where(b_ok, round1(b_num, b_den), np.nan)
    return columns


#: Columns whose nulls are carried in a `<name>_valid` mask (floats use NaN).
NULLABLE = ("injection_date", "interval_days", "responder_30", "responder_50", "wearing_off")
#: Date columns (day numbers in `cohort_arrays`).
DATES = ("injection_date", "window_start", "window_end", "baseline_start", "baseline_end")
