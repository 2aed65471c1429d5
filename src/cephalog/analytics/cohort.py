"""The cohort table: baseline and per-cycle outcomes for a whole clinic, as a Polars table.

Implements spec sections 2 (day rules), 3 (windows, per-28 values) and 7
(cycles: outcome windows, change, reduction, responders, wearing-off) over
every patient at once. The work is done by the NumPy engine in
`cephalog.analytics.dense` (day codes classified by the domain's own
`classify_day`, prefix sums over a per-patient day grid); this module maps
Polars frames to the engine's arrays and back, and summarises the table. The
results equal `cephalog.domain` exactly (tests/analytics/test_equality.py):

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

import numpy as np
import polars as pl

from cephalog.analytics import dense
from cephalog.domain.rulesets import LEGACY, Rules
from cephalog.domain.vocab import MIGRAINE_SPECIFIC_CLASSES
from cephalog.domain.windows import WINDOW_DAYS

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
_SPECIFIC = sorted(str(c) for c in MIGRAINE_SPECIFIC_CLASSES)


# --- acute medicines as day flags ----------------------------------------------------------


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


# --- the cohort table (spec sections 3 and 7), computed by the NumPy engine -------------


def _features(diary: pl.DataFrame) -> pl.Expr:
    bits = [
        pl.col(name).fill_null(False).cast(pl.UInt8) * (1 << i)
        for i, name in enumerate(dense.FEATURES)
    ]
    return pl.sum_horizontal(bits).cast(pl.UInt8)


def diary_codes(diary: pl.DataFrame) -> pl.DataFrame:
    """`patient`, `date` and the engine's day `code` (`cephalog.analytics.dense.encode`)."""
    d = medication_flags(diary)
    intensity = (
        pl.col("peak_intensity")
        .replace_strict(
            {name: i + 1 for i, name in enumerate(dense.INTENSITIES)},
            default=0,
            return_dtype=pl.UInt8,
        )
        .fill_null(0)
    )
    medicine = (
        pl.when(pl.col("migraine_specific_relieved").fill_null(False))
        .then(dense.SPECIFIC_RELIEVED)
        .when(pl.col("migraine_specific").fill_null(False))
        .then(dense.SPECIFIC)
        .when(pl.col("acute_medication").fill_null(False))
        .then(dense.OTHER_ACUTE)
        .otherwise(dense.NO_MEDICINE)
    )
    facts = d.select(
        "patient",
        pl.col("date").cast(pl.Date),
        pl.col("headache_hours").cast(pl.Float64).alias("hours"),
        intensity.alias("intensity"),
        _features(d).alias("features"),
        pl.col("aura_minutes").fill_null(0).cast(pl.Int32).alias("aura"),
        medicine.cast(pl.UInt8).alias("medicine"),
    )
    codes = dense.encode(
        hours=facts["hours"].to_numpy(),
        intensity=facts["intensity"].to_numpy(),
        features=facts["features"].to_numpy(),
        aura_minutes=facts["aura"].to_numpy(),
        medicine=facts["medicine"].to_numpy(),
    )
    return facts.select("patient", "date").with_columns(pl.Series("code", codes))


def cohort_table(
    diary: pl.DataFrame,
    sessions: pl.DataFrame,
    patients: pl.DataFrame,
    today: dt.date,
    rules: Rules = LEGACY,
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
    spec section 7. Sorted by patient and cycle. Patients are reported when
    they are in `patients` or have sessions.

    Days are counted with `rules.definition` and the `*_rounded` columns
    printed as `rules`' ruleset prints (spec section 11); the table names
    both in its `ruleset` and `day_definition` columns.

    The work is done by `cephalog.analytics.dense` on day codes; this
    function only maps Polars frames to its arrays and back.
    """
    everyone = pl.concat(
        [patients.select("patient"), sessions.select("patient"), diary.select("patient")]
    ).unique(maintain_order=True)
    index = everyone.with_row_index("_i")
    days = (
        diary_codes(diary)
        .join(index, on="patient", how="inner")
        .select(pl.col("_i").cast(pl.Int64), (pl.col("date").cast(pl.Int32)).alias("day"), "code")
        .sort("_i", "day")
    )
    grid = dense.DayGrid.from_rows(
        index.height,
        days["_i"].to_numpy(),
        days["day"].to_numpy().astype(np.int64),
        days["code"].to_numpy(),
    )
    s = (
        sessions.select("patient", pl.col("date").cast(pl.Date))
        .join(index, on="patient", how="inner")
        .select(pl.col("_i").cast(pl.Int64), pl.col("date").cast(pl.Int32).alias("day"))
        .sort("_i", "day")
    )
    report = np.zeros(index.height, dtype=bool)
    listed = patients.select("patient").join(index, on="patient", how="inner")["_i"].to_numpy()
    report[listed.astype(np.int64)] = True
    columns = dense.cohort_arrays(
        grid,
        s["_i"].to_numpy(),
        s["day"].to_numpy().astype(np.int64),
        today,
        report,
        definition=rules.definition,
        truncate=rules.ruleset.truncate,
    )
    return with_ruleset(to_frame(columns, index["patient"]).sort("patient", "cycle"), rules)


def with_ruleset(table: pl.DataFrame, rules: Rules) -> pl.DataFrame:
    """The table with the ruleset and day definition it was computed with (spec section 11)."""
    return table.with_columns(
        pl.lit(rules.ruleset.name).alias("ruleset"),
        pl.lit(rules.definition.value).alias("day_definition"),
    )


def to_frame(columns: dict[str, np.ndarray], patient_ids: pl.Series) -> pl.DataFrame:
    """The engine's columns as a Polars table: patient ids, dates, nulls."""
    data: dict[str, pl.Series] = {}
    for name, values in columns.items():
        if name.endswith("_valid"):
            continue
        if name == "patient":
            series = patient_ids.gather(pl.Series(values))
        elif name in dense.DATES:
            series = pl.Series(values.astype("datetime64[D]"))
        elif values.dtype.kind == "f":
            series = pl.Series(values, nan_to_null=True)
        else:
            series = pl.Series(values)
        if name == "cycle":
            series = series.cast(pl.Int32)
        if name in dense.NULLABLE:
            series = series.set(pl.Series(~columns[f"{name}_valid"]), None)
        data[name] = series.alias(name)
    return pl.DataFrame(data)


# --- summaries in the shape of the published results ----------------------------------------


def _pct(flag: str) -> pl.Expr:
    return (pl.col(flag).cast(pl.Float64).mean() * 100).alias(f"{flag}_pct")


def cohort_summary(table: pl.DataFrame, adverse_events: pl.DataFrame | None = None) -> pl.DataFrame:
    """By cycle, as trial reports tabulate results (clinical reference section 6).

    Row `cycle` 0 is the baseline: `patients`, `assessable` (evaluable
    baselines) and `baseline_mean`. Each cycle k: `patients` (sessions
    given), `complete`, `assessable` (change not null), `baseline_mean` and
    `cycle_mean` (per-28 headache days of the assessable patients),
    `change_mean`, `change_sd`, `reduction_pct_mean`, `responder_30_pct`,
    `responder_50_pct` (of the patients with a reduction), `wearing_off_pct`
    (of the cycles where it can be judged) and, with `adverse_events`,
    `adverse_events` (count) and `sessions_with_adverse_event_pct`.
    Means are unrounded.
    """
    baseline = (
        table.filter(pl.col("cycle") == 0)
        .select(
            pl.lit(0, dtype=pl.Int32).alias("cycle"),
            pl.len().cast(pl.Int64).alias("patients"),
            pl.col("evaluable").sum().cast(pl.Int64).alias("assessable"),
            pl.col("headache_days_per_28").mean().alias("baseline_mean"),
        )
        .filter(pl.col("patients") > 0)
    )
    assessable = pl.col("headache_day_change").is_not_null()
    cycles = (
        table.filter(pl.col("cycle") >= 1)
        .group_by("cycle")
        .agg(
            pl.len().cast(pl.Int64).alias("patients"),
            (~pl.col("in_progress")).sum().cast(pl.Int64).alias("complete"),
            assessable.sum().cast(pl.Int64).alias("assessable"),
            pl.col("baseline_headache_days_per_28")
            .filter(assessable)
            .mean()
            .alias("baseline_mean"),
            pl.col("headache_days_per_28").filter(assessable).mean().alias("cycle_mean"),
            pl.col("headache_day_change").mean().alias("change_mean"),
            pl.col("headache_day_change").std().alias("change_sd"),
            pl.col("headache_day_reduction_pct").mean().alias("reduction_pct_mean"),
            pl.col("responder_30").is_not_null().sum().cast(pl.Int64).alias("responder_n"),
            _pct("responder_30"),
            _pct("responder_50"),
            pl.col("wearing_off").is_not_null().sum().cast(pl.Int64).alias("wearing_off_n"),
            _pct("wearing_off"),
        )
    )
    summary = pl.concat([baseline, cycles], how="diagonal_relaxed").sort("cycle")
    if adverse_events is not None:
        by_cycle = adverse_events_by_cycle(table, adverse_events)
        summary = summary.join(by_cycle, on="cycle", how="left")
    return summary


def _events_with_cycle(table: pl.DataFrame, adverse_events: pl.DataFrame) -> pl.DataFrame:
    """Each adverse event with the cycle it followed: the latest injection on or before onset."""
    injections = (
        table.filter(pl.col("cycle") >= 1)
        .select("patient", "cycle", "injection_date")
        .sort("injection_date")
    )
    events = adverse_events.select(
        "patient", pl.col("onset").cast(pl.Date), pl.col("symptom")
    ).sort("onset")
    return events.join_asof(
        injections,
        left_on="onset",
        right_on="injection_date",
        by="patient",
        strategy="backward",
        check_sortedness=False,
    ).filter(pl.col("cycle").is_not_null())


def adverse_events_by_cycle(table: pl.DataFrame, adverse_events: pl.DataFrame) -> pl.DataFrame:
    """Per cycle: adverse events and the share of sessions followed by at least one."""
    sessions = table.filter(pl.col("cycle") >= 1).group_by("cycle").agg(pl.len().alias("_sessions"))
    events = _events_with_cycle(table, adverse_events)
    per_cycle = events.group_by("cycle").agg(
        pl.len().cast(pl.Int64).alias("adverse_events"),
        pl.col("patient").n_unique().cast(pl.Int64).alias("_with_event"),
    )
    return (
        sessions.join(per_cycle, on="cycle", how="left")
        .with_columns(
            pl.col("adverse_events").fill_null(0),
            (pl.col("_with_event").fill_null(0) / pl.col("_sessions") * 100).alias(
                "sessions_with_adverse_event_pct"
            ),
        )
        .select("cycle", "adverse_events", "sessions_with_adverse_event_pct")
    )


def adverse_events_by_symptom(table: pl.DataFrame, adverse_events: pl.DataFrame) -> pl.DataFrame:
    """Per symptom: events and the share of all sessions followed by it (label-table shape)."""
    n_sessions = table.filter(pl.col("cycle") >= 1).height
    events = _events_with_cycle(table, adverse_events)
    return (
        events.group_by("symptom")
        .agg(
            pl.len().cast(pl.Int64).alias("events"),
            pl.struct("patient", "cycle").n_unique().cast(pl.Int64).alias("sessions"),
        )
        .with_columns(
            (pl.col("sessions") / max(n_sessions, 1) * 100).alias("sessions_pct"),
        )
        .sort(["sessions", "symptom"], descending=[True, False])
    )


def diary_compliance(diary: pl.DataFrame, patients: pl.DataFrame, today: dt.date) -> pl.DataFrame:
    """Per patient: her days filled in of the 28 ending `today`, counted from when her diary
    began when that is later, as the patient list and the clinic's diary page count them
    (`cephalog.patients.queries.DaysFilled`).

    `patients` has `patient` and `diary_start`: the first day her diary covers, as
    `cephalog.patients.queries.diary_start` defines it (the day she joined, in her time
    zone, or her first recorded day when earlier). The caller reads it with that function;
    this one only counts. A null `diary_start` counts from today.

    Columns: `patient`, `first_entry` and `last_entry` (null without entries),
    `diary_began` (`diary_start`, never after `today`, as `diary_began` caps it: a patient
    whose joining day is still ahead in her time zone began today), `recorded_last_28`,
    `expected_days` (the 28 days, or those from `diary_began` to `today` when fewer:
    always 1 to 28) and `compliance_pct` (`recorded_last_28` of `expected_days`,
    unrounded; 0 for a patient who has filled in nothing, never null). One row per
    patient of `patients`, in their order.
    """
    if "diary_start" not in patients.columns:
        raise ValueError(
            "patients: needs diary_start, the first day each diary covers "
            "(cephalog.patients.queries.diary_start)"
        )
    start = today - dt.timedelta(days=WINDOW_DAYS - 1)
    today_lit = pl.lit(today, dtype=pl.Date)
    per_patient = diary.group_by("patient").agg(
        pl.col("date").cast(pl.Date).min().alias("first_entry"),
        pl.col("date").cast(pl.Date).max().alias("last_entry"),
        pl.col("date")
        .cast(pl.Date)
        .is_between(pl.lit(start, dtype=pl.Date), today_lit)
        .sum()
        .cast(pl.Int64)
        .alias("recorded_last_28"),
    )
    began = pl.min_horizontal(pl.col("diary_start").cast(pl.Date), today_lit)
    first_day = pl.max_horizontal(pl.col("diary_began"), pl.lit(start, dtype=pl.Date))
    return (
        patients.select("patient", "diary_start")
        .unique(subset="patient", keep="first", maintain_order=True)
        .join(per_patient, on="patient", how="left", maintain_order="left")
        .select(
            "patient",
            "first_entry",
            "last_entry",
            began.alias("diary_began"),
            pl.col("recorded_last_28").fill_null(0),
        )
        .with_columns(((today_lit - first_day).dt.total_days() + 1).alias("expected_days"))
        .with_columns(
            (pl.col("recorded_last_28") / pl.col("expected_days") * 100).alias("compliance_pct")
        )
    )
