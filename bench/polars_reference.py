"""Reference: the first cohort table, written in Polars (joins, cumulative sums, binary search).

Kept for `make bench` as the Polars figure the NumPy engine
(`cephalog.analytics.dense`) is compared with; the app uses `cephalog.analytics.cohort`.
It was tested equal to the domain before the engine replaced it.

The original description follows.

Implements spec sections 2 (day rules), 3 (windows, per-28 values) and 7
(cycles: outcome windows, change, reduction, responders, wearing-off)
vectorised over every patient at once: joins, group-bys and as-of joins on
cumulative day counts; no Python loop over patients. The results equal
`cephalog.domain` exactly (tests/analytics/test_equality.py):

- per-28 values and differences are computed from integer counts, so the
  unrounded floats equal `float(Fraction)` of the domain's exact values;
- the `*_rounded` columns round the exact rational value to one decimal,
  ties away from zero, as `cephalog.domain.windows.round1` does;
- thresholds (responder 30 / 50, wearing-off +3) compare integers, never
  floats, so a reduction of exactly 30 % is a responder as in the domain.

Inputs (Polars DataFrames; `patient` may be any hashable dtype, the same in
all frames):

- `diary`: one row per recorded day: `patient`, `date`, `headache_hours`,
  `peak_intensity` (mild/moderate/severe or null), the booleans
  `unilateral`, `pulsating`, `aggravated_by_activity`, `nausea`,
  `vomiting`, `photophobia`, `phonophobia`, `aura_minutes`, and the acute
  medicines either as three day flags `acute_medication` (any taken),
  `migraine_specific` (a triptan or ergot taken) and
  `migraine_specific_relieved` (one of those with effective true), or as
  the demo generator's slots `acute1_class`, `acute1_effective`,
  `acute2_class`, ... (`cephalog.demo.generate.Cohort.to_polars`).
- `sessions`: one row per completed injection: `patient`, `date`.
- `patients`: `patient` (every patient to report, with or without sessions).
- `adverse_events` (summary only): `patient`, `onset`, `symptom`.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import polars as pl

from cephalog.domain.cycles import (
    CYCLE_DAYS,
    OUTCOME_LAST_DAY,
    RESPONDER_30,
    RESPONDER_50,
    WEARING_OFF_RISE,
    WEEKS_5_8,
    WEEKS_9_12,
)
from cephalog.domain.diary import AURA_MAX_MINUTES, AURA_MIN_MINUTES, LONG_HEADACHE_HOURS
from cephalog.domain.vocab import MIGRAINE_SPECIFIC_CLASSES, MODERATE_OR_SEVERE
from cephalog.domain.windows import MIN_RECORDED_DAYS, WINDOW_DAYS

#: Day counts kept per window, in the order of the spec's window object.
COUNTS = (
    "headache_days",
    "migraine_days",
    "moderate_severe_days",
    "headache_free_days",
    "acute_medication_days",
)
#: Counts also reported per 28 days in the table.
PER_28 = ("headache_days", "migraine_days", "moderate_severe_days", "acute_medication_days")
MEDICATION_FLAGS = ("acute_medication", "migraine_specific", "migraine_specific_relieved")
_SLOT = re.compile(r"^acute(\d+)_class$")
_BOOLS = (
    "unilateral",
    "pulsating",
    "aggravated_by_activity",
    "nausea",
    "vomiting",
    "photophobia",
    "phonophobia",
)
_SPECIFIC = sorted(str(c) for c in MIGRAINE_SPECIFIC_CLASSES)
_MOD_SEV = sorted(str(c) for c in MODERATE_OR_SEVERE)


def _day(n: int) -> pl.Expr:
    return pl.duration(days=n)


def round1(num: pl.Expr, den: pl.Expr) -> pl.Expr:
    """`num / den` (integers, den > 0) to one decimal, ties away from zero.

    The exact rational value is rounded in integers, as
    `cephalog.domain.windows.round1` does with `Fraction`s (spec section 3).
    """
    tenths = (num.abs() * 20 + den) // (den * 2)
    # Written out as "21.9" and parsed: Polars divides by a constant as a multiplication
    # by its reciprocal (219 / 10 -> 21.900000000000002), parsing gives Python's 21.9.
    text = pl.concat_str(
        [(tenths // 10).cast(pl.String), pl.lit("."), (tenths % 10).cast(pl.String)]
    )
    return text.cast(pl.Float64) * pl.when(num < 0).then(-1.0).otherwise(1.0)


# --- day rules (spec section 2) -----------------------------------------------------------


def medication_flags(diary: pl.DataFrame) -> pl.DataFrame:
    """The diary with the three medication day flags, from either input form (module doc)."""
    if set(MEDICATION_FLAGS) <= set(diary.columns):
        return diary
    slots = sorted(int(m.group(1)) for c in diary.columns if (m := _SLOT.match(c)))
    if not slots:
        raise ValueError(
            "diary: needs the columns acute_medication, migraine_specific and "
            "migraine_specific_relieved, or acute1_class/acute1_effective slots"
        )
    taken = [pl.col(f"acute{n}_class").is_not_null() for n in slots]
    specific = [pl.col(f"acute{n}_class").is_in(_SPECIFIC).fill_null(False) for n in slots]
    relieved = [
        s & pl.col(f"acute{n}_effective").fill_null(False)
        for n, s in zip(slots, specific, strict=True)
    ]
    return diary.with_columns(
        pl.any_horizontal(taken).alias("acute_medication"),
        pl.any_horizontal(specific).alias("migraine_specific"),
        pl.any_horizontal(relieved).alias("migraine_specific_relieved"),
    )


def classify_days(diary: pl.DataFrame) -> pl.DataFrame:
    """`patient`, `date` and the day classes of spec section 2, one row per recorded day.

    migraine day = H and ((C and D) or (L and (C or D)) or T or A);
    headache day = H and (L or MS or migraine day); a moderate/severe day is a
    headache day with a moderate or severe peak; headache-free = not H.
    """
    d = medication_flags(diary)
    flag = {name: pl.col(name).fill_null(False) for name in (*_BOOLS, *MEDICATION_FLAGS)}
    hours = pl.col("headache_hours").cast(pl.Float64)
    mod_sev = pl.col("peak_intensity").is_in(_MOD_SEV).fill_null(False)
    h = hours > 0
    pain = (
        flag["unilateral"].cast(pl.Int8)
        + flag["pulsating"].cast(pl.Int8)
        + mod_sev.cast(pl.Int8)
        + flag["aggravated_by_activity"].cast(pl.Int8)
    )
    c = pain >= 2
    assoc = flag["nausea"] | flag["vomiting"] | (flag["photophobia"] & flag["phonophobia"])
    long = hours >= LONG_HEADACHE_HOURS
    aura = pl.col("aura_minutes").fill_null(0).is_between(AURA_MIN_MINUTES, AURA_MAX_MINUTES)
    migraine = h & ((c & assoc) | (long & (c | assoc)) | flag["migraine_specific_relieved"] | aura)
    headache = h & (long | flag["migraine_specific"] | migraine)
    return d.select(
        "patient",
        pl.col("date").cast(pl.Date),
        headache.alias("headache_days"),
        migraine.alias("migraine_days"),
        (headache & mod_sev).alias("moderate_severe_days"),
        (~h).alias("headache_free_days"),
        flag["acute_medication"].alias("acute_medication_days"),
    )


# --- windows (spec section 3) --------------------------------------------------------------


#: A (patient, date) pair as one sortable integer: the patient's dense index in the high
#: 32 bits, the date's day number (offset to stay positive) in the low 32 bits.
_DAY_OFFSET = 1 << 31


def _key(index: pl.Expr, date: pl.Expr) -> pl.Expr:
    return index.cast(pl.Int64) * (1 << 32) + date.cast(pl.Int32).cast(pl.Int64) + _DAY_OFFSET


@dataclass(frozen=True)
class Cumulative:
    """Running totals over every recorded day of every patient, in (patient, date) order.

    `keys` is sorted; `totals[m][i]` is the number of days of class `m` among
    the first `i` rows (so `totals[m][0] == 0`). A window's count is the
    difference of two totals found by binary search (`window_counts`).
    """

    index: pl.DataFrame  # patient -> _i (dense index)
    keys: pl.Series
    totals: dict[str, pl.Series]


def cumulative_counts(days: pl.DataFrame, index: pl.DataFrame) -> Cumulative:
    """Running totals of recorded days and of each day class (spec section 3 counts)."""
    ordered = (
        days.join(index, on="patient", how="inner")
        .select(_key(pl.col("_i"), pl.col("date")).alias("_key"), *COUNTS)
        .sort("_key")
    )
    zero = pl.Series([0], dtype=pl.Int64)
    totals = {"recorded_days": pl.Series(range(ordered.height + 1), dtype=pl.Int64)}
    for m in COUNTS:
        totals[m] = pl.concat([zero, ordered[m].cast(pl.Int64).cum_sum()])
    return Cumulative(index=index, keys=ordered["_key"], totals=totals)


def window_counts(cumulative: Cumulative, windows: pl.DataFrame) -> pl.DataFrame:
    """Counts in each window `[start, end]` of `windows` (`patient`, `start`, `end`), in order.

    Count = total up to the last row on or before (patient, end) minus the
    total up to the last row before (patient, start): two binary searches
    in the sorted keys, so windows may overlap and a patient may have any
    number of them.
    """
    keyed = windows.join(cumulative.index, on="patient", how="left", maintain_order="left")
    end_keys = keyed.select(_key(pl.col("_i"), pl.col("end"))).to_series()
    start_keys = keyed.select(_key(pl.col("_i"), pl.col("start") - _day(1))).to_series()
    upto_end = cumulative.keys.search_sorted(end_keys, side="right")
    before_start = cumulative.keys.search_sorted(start_keys, side="right")
    return pl.DataFrame(
        {
            m: (totals.gather(upto_end) - totals.gather(before_start)).alias(m)
            for m, totals in cumulative.totals.items()
        }
    )


def _with_counts(
    cumulative: Cumulative, frame: pl.DataFrame, start: str, end: str, prefix: str
) -> pl.DataFrame:
    windows = frame.select("patient", pl.col(start).alias("start"), pl.col(end).alias("end"))
    counts = window_counts(cumulative, windows)
    return pl.concat(
        [frame, counts.rename({c: f"{prefix}{c}" for c in counts.columns})], how="horizontal"
    )


# --- the cohort table (spec sections 3 and 7) ----------------------------------------------


def cohort_table(
    diary: pl.DataFrame, sessions: pl.DataFrame, patients: pl.DataFrame, today: dt.date
) -> pl.DataFrame:
    """One row per patient for the baseline (`cycle` 0) and one per treatment cycle.

    Baseline = the 28 days ending the day before the first injection, or on
    `today` without one (spec section 3). Cycle k starts at injection k; its
    outcome window is the 28 days ending `min(next - 1, injection + 83)`; it
    is complete when `today` is on or after that end (spec section 7).

    Columns: `patient`, `cycle`, `injection_date`, `interval_days`,
    `in_progress`, `window_start`, `window_end`, `recorded_days`,
    `evaluable`, the raw counts (`headache_days`, `migraine_days`,
    `moderate_severe_days`, `headache_free_days`, `acute_medication_days`),
    `<count>_per_28` (unrounded, null when not evaluable) and
    `<count>_per_28_rounded` for headache, migraine, moderate/severe and
    acute-medication days; the baseline's `baseline_start`, `baseline_end`,
    `baseline_recorded_days`, `baseline_evaluable`, `baseline_headache_days`,
    `baseline_headache_days_per_28` (and `_rounded`); and for cycles
    `headache_day_change`, `headache_day_reduction_pct` (both also
    `_rounded`), `responder_30`, `responder_50`, `wearing_off`, null as in
    spec section 7. Sorted by patient and cycle.
    """
    today_lit = pl.lit(today, dtype=pl.Date)
    everyone = pl.concat(
        [patients.select("patient"), sessions.select("patient"), diary.select("patient")]
    ).unique(maintain_order=True)
    index = everyone.with_row_index("_i")
    cumulative = cumulative_counts(classify_days(diary), index)

    s = (
        sessions.select("patient", pl.col("date").cast(pl.Date).alias("injection_date"))
        .sort("patient", "injection_date")
        .with_columns(
            pl.col("injection_date").cum_count().over("patient").cast(pl.Int32).alias("cycle"),
            pl.col("injection_date").shift(-1).over("patient").alias("_next"),
            pl.col("injection_date").shift(1).over("patient").alias("_prev"),
        )
        .with_columns(
            (pl.col("injection_date") - pl.col("_prev")).dt.total_days().alias("interval_days"),
            pl.min_horizontal(
                pl.col("injection_date") + _day(OUTCOME_LAST_DAY), pl.col("_next") - _day(1)
            ).alias("window_end"),
            (pl.col("injection_date") + _day(WEEKS_5_8[0])).alias("_early_start"),
            (pl.col("injection_date") + _day(WEEKS_5_8[1])).alias("_early_end"),
            (pl.col("injection_date") + _day(WEEKS_9_12[0])).alias("_late_start"),
            (pl.col("injection_date") + _day(WEEKS_9_12[1])).alias("_late_end"),
            (pl.col("_next") < pl.col("injection_date") + _day(CYCLE_DAYS))
            .fill_null(False)
            .alias("_short"),
        )
        .with_columns(
            (pl.col("window_end") - _day(WINDOW_DAYS - 1)).alias("window_start"),
            (today_lit < pl.col("window_end")).alias("in_progress"),
        )
    )

    first = s.group_by("patient").agg(pl.col("injection_date").min().alias("_first"))
    base = (
        pl.concat([patients.select("patient"), sessions.select("patient")])
        .unique(maintain_order=True)
        .join(first, on="patient", how="left")
        .with_columns(
            pl.coalesce(pl.col("_first") - _day(1), today_lit).alias("baseline_end"),
        )
        .with_columns((pl.col("baseline_end") - _day(WINDOW_DAYS - 1)).alias("baseline_start"))
        .drop("_first")
    )
    base = _with_counts(cumulative, base, "baseline_start", "baseline_end", "baseline_")
    base = base.with_columns(
        (pl.col("baseline_recorded_days") >= MIN_RECORDED_DAYS).alias("baseline_evaluable")
    )

    s = _with_counts(cumulative, s, "window_start", "window_end", "")
    s = _with_counts(cumulative, s, "_early_start", "_early_end", "_early_")
    s = _with_counts(cumulative, s, "_late_start", "_late_end", "_late_")
    s = s.join(
        base.select(
            "patient",
            "baseline_start",
            "baseline_end",
            "baseline_recorded_days",
            "baseline_headache_days",
            "baseline_evaluable",
        ),
        on="patient",
        how="left",
    )

    baseline_rows = base.select(
        "patient",
        pl.lit(0, dtype=pl.Int32).alias("cycle"),
        pl.lit(None, dtype=pl.Date).alias("injection_date"),
        pl.lit(None, dtype=pl.Int64).alias("interval_days"),
        pl.lit(False).alias("in_progress"),
        pl.col("baseline_start").alias("window_start"),
        pl.col("baseline_end").alias("window_end"),
        pl.col("baseline_recorded_days").alias("recorded_days"),
        *[pl.col(f"baseline_{m}").alias(m) for m in COUNTS],
        "baseline_start",
        "baseline_end",
        "baseline_recorded_days",
        "baseline_headache_days",
        "baseline_evaluable",
    )

    rc, hc = pl.col("recorded_days"), pl.col("headache_days")
    rb, hb = pl.col("baseline_recorded_days"), pl.col("baseline_headache_days")
    evaluable = rc >= MIN_RECORDED_DAYS
    assessable = ~pl.col("in_progress") & evaluable & pl.col("baseline_evaluable")
    change_num = (hc * rb - hb * rc) * WINDOW_DAYS
    change_den = rc * rb
    reducible = assessable & (hb > 0)
    red_num = (hb * rc - hc * rb) * 100
    red_den = hb * rc
    # reduction >= p  <=>  100 (hb rc - hc rb) >= p hb rc  (integers, exact)
    responder = {p: (hb * rc - hc * rb) * 100 >= hb * rc * p for p in (RESPONDER_30, RESPONDER_50)}
    re_, he = pl.col("_early_recorded_days"), pl.col("_early_headache_days")
    rl, hl = pl.col("_late_recorded_days"), pl.col("_late_headache_days")
    wearing = pl.when(
        ~pl.col("in_progress")
        & ~pl.col("_short")
        & (re_ >= MIN_RECORDED_DAYS)
        & (rl >= MIN_RECORDED_DAYS)
    ).then((hl * re_ - he * rl) * WINDOW_DAYS >= rl * re_ * WEARING_OFF_RISE)

    cycles = s.select(
        "patient",
        "cycle",
        "injection_date",
        "interval_days",
        "in_progress",
        "window_start",
        "window_end",
        "recorded_days",
        *COUNTS,
        "baseline_start",
        "baseline_end",
        "baseline_recorded_days",
        "baseline_headache_days",
        "baseline_evaluable",
        pl.when(assessable).then(change_num / change_den).alias("headache_day_change"),
        pl.when(assessable)
        .then(round1(change_num, change_den))
        .alias("headache_day_change_rounded"),
        pl.when(reducible).then(red_num / red_den).alias("headache_day_reduction_pct"),
        pl.when(reducible)
        .then(round1(red_num, red_den))
        .alias("headache_day_reduction_pct_rounded"),
        pl.when(reducible).then(responder[RESPONDER_30]).alias("responder_30"),
        pl.when(reducible).then(responder[RESPONDER_50]).alias("responder_50"),
        wearing.alias("wearing_off"),
    )
    table = pl.concat([baseline_rows, cycles], how="diagonal_relaxed")

    evaluable = pl.col("recorded_days") >= MIN_RECORDED_DAYS
    per_28 = []
    for m in PER_28:
        num = pl.col(m) * WINDOW_DAYS
        per_28.append(pl.when(evaluable).then(num / pl.col("recorded_days")).alias(f"{m}_per_28"))
        per_28.append(
            pl.when(evaluable)
            .then(round1(num, pl.col("recorded_days")))
            .alias(f"{m}_per_28_rounded")
        )
    b_num = pl.col("baseline_headache_days") * WINDOW_DAYS
    return table.with_columns(
        evaluable.alias("evaluable"),
        *per_28,
        pl.when(pl.col("baseline_evaluable"))
        .then(b_num / pl.col("baseline_recorded_days"))
        .alias("baseline_headache_days_per_28"),
        pl.when(pl.col("baseline_evaluable"))
        .then(round1(b_num, pl.col("baseline_recorded_days")))
        .alias("baseline_headache_days_per_28_rounded"),
    ).sort("patient", "cycle")
