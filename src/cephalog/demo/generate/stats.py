"""Vectorised day rules, windows and the cohort summary (a mirror of `cephalog.domain`,
for statistics over whole cohorts; the tests check both agree)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from cephalog.demo.generate.codes import (
    _EPOCH,
    _MIGRAINE_SPECIFIC,
    _OVERUSE_COUNTED,
    ACUTE_CLASSES,
    MULTIPLE_THRESHOLD,
    OVERUSE_THRESHOLD_BY_CODE,
)
from cephalog.demo.generate.tables import Array, Cohort, Diary


@dataclass(frozen=True, slots=True)
class DayClasses:
    """The day classes of spec section 2, one boolean per diary row.

    A vectorised mirror of `cephalog.domain.diary.classify_day` used to shape
    and summarise cohorts; the tests check both agree on every row.
    """

    headache: Array
    migraine_day: Array
    headache_day: Array
    moderate_severe_day: Array
    headache_free: Array
    acute_medication_day: Array
    overuse_medication_day: Array


def _day_rules(
    hours: Array,
    intensity: Array,
    pain_flags: Sequence[Array],
    nausea: Array,
    vomiting: Array,
    photophobia: Array,
    phonophobia: Array,
    aura: Array,
    acute_class: Array,
    acute_effective: Array,
) -> tuple[Array, Array, Array]:
    """(headache, migraine day, headache day) by spec section 2."""
    h = hours > 0
    pain = (intensity >= 1).astype(np.int8)
    for flag in pain_flags:
        pain += flag
    c = pain >= 2
    d = nausea | vomiting | (photophobia & phonophobia)
    long = hours >= 4
    specific = np.isin(acute_class, _MIGRAINE_SPECIFIC)
    ms = specific.any(axis=1)
    t = (specific & (acute_effective == 1)).any(axis=1)
    a = (aura >= 5) & (aura <= 60)
    migraine = h & ((c & d) | (long & (c | d)) | t | a)
    headache_day = h & (long | ms | migraine)
    return h, migraine, headache_day


def classify(diary: Diary) -> DayClasses:
    """Classify every diary row by the day rules of spec section 2 (vectorised)."""
    h, migraine, headache_day = _day_rules(
        diary.headache_hours,
        diary.intensity,
        (diary.unilateral, diary.pulsating, diary.aggravated_by_activity),
        diary.nausea,
        diary.vomiting,
        diary.photophobia,
        diary.phonophobia,
        diary.aura_minutes,
        diary.acute_class,
        diary.acute_effective,
    )
    return DayClasses(
        headache=h,
        migraine_day=migraine,
        headache_day=headache_day,
        moderate_severe_day=headache_day & (diary.intensity >= 1),
        headache_free=~h,
        acute_medication_day=(diary.acute_class >= 0).any(axis=1),
        overuse_medication_day=np.isin(diary.acute_class, _OVERUSE_COUNTED).any(axis=1),
    )


def _days(dates: Array) -> Array:
    return (dates - _EPOCH).astype(np.int64)


@dataclass(frozen=True, slots=True)
class WindowCounts:
    """Counts over one 28-day window per row of (patient, start, end) (spec section 3).

    `per_28(...)` is NaN where the window is not evaluable (< 20 recorded days).
    `class_days` is (windows, len(ACUTE_CLASSES)).
    """

    patient: Array
    start: Array
    end: Array
    recorded_days: Array
    headache_days: Array
    migraine_days: Array
    acute_medication_days: Array
    overuse_medication_days: Array
    class_days: Array

    @property
    def evaluable(self) -> Array:
        return self.recorded_days >= 20

    def per_28(self, counts: Array) -> Array:
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(self.evaluable, counts * 28 / self.recorded_days, np.nan)


def window_counts(
    cohort: Cohort, classes: DayClasses, patient: Array, start: Array, end: Array
) -> WindowCounts:
    """Count diary rows in one window per (patient, start, end) row (spec section 3).

    The windows of one patient must not overlap (a diary row counts in at
    most one window); dates are datetime64[D].
    """
    key_shift = np.int64(1 << 24)
    wp = patient.astype(np.int64)
    ws, we = _days(start), _days(end)
    order = np.lexsort((ws, wp))
    wkey = wp[order] * key_shift + ws[order]
    dkey = cohort.diary.patient.astype(np.int64) * key_shift + _days(cohort.diary.date)
    pos = np.searchsorted(wkey, dkey, side="right") - 1
    ok = pos >= 0
    pos_c = np.clip(pos, 0, None)
    win = order[pos_c]
    ok &= (wp[win] == cohort.diary.patient) & (_days(cohort.diary.date) <= we[win])
    w = win[ok]
    n = len(wp)

    def count(mask: Array) -> Array:
        return np.bincount(w, weights=mask[ok], minlength=n).astype(np.int32)

    class_days = np.stack(
        [count((cohort.diary.acute_class == c).any(axis=1)) for c in range(len(ACUTE_CLASSES))],
        axis=1,
    )
    return WindowCounts(
        patient=patient,
        start=start,
        end=end,
        recorded_days=np.bincount(w, minlength=n).astype(np.int32),
        headache_days=count(classes.headache_day),
        migraine_days=count(classes.migraine_day),
        acute_medication_days=count(classes.acute_medication_day),
        overuse_medication_days=count(classes.overuse_medication_day),
        class_days=class_days,
    )


@dataclass(frozen=True, slots=True)
class CohortSummary:
    """The cohort table: baseline and per-cycle outcomes (spec sections 3, 5, 7).

    Per patient: `baseline` (window B), `baseline_overuse` (an overuse
    threshold of spec section 5 met in B alone; NaN-free bool, False when B
    is not evaluable) and compliance. Per session: `cycles` (the outcome
    window of spec section 7), `cycle_complete`, `reduction_pct` (NaN when
    not assessable), `wearing_off` (+1 true, 0 false, -1 null).
    """

    baseline: WindowCounts
    baseline_overuse: Array
    recorded_days: Array
    expected_days: Array
    weekday_compliance: float
    weekend_compliance: float
    cycles: WindowCounts
    cycle_number: Array
    cycle_complete: Array
    reduction_pct: Array
    wearing_off: Array

    def responder_rate(self, cycle: int, threshold: float = 50.0) -> float:
        """Share of assessable cycle-`cycle` outcomes with at least `threshold` % fewer days."""
        r = self.reduction_pct[(self.cycle_number == cycle) & ~np.isnan(self.reduction_pct)]
        return float(np.mean(r >= threshold)) if len(r) else float("nan")

    def mean_change(self, cycle: int) -> float:
        """Mean change in per-28 headache days from baseline at `cycle` (negative = fewer)."""
        b = self.baseline.per_28(self.baseline.headache_days)[self.cycles.patient]
        c = self.cycles.per_28(self.cycles.headache_days)
        sel = (self.cycle_number == cycle) & self.cycle_complete & ~np.isnan(b) & ~np.isnan(c)
        return float(np.mean(c[sel] - b[sel])) if sel.any() else float("nan")


def summarise(cohort: Cohort) -> CohortSummary:
    """Baseline, compliance and per-cycle outcome windows of a cohort, vectorised."""
    classes = classify(cohort.diary)
    baseline = _baseline(cohort, classes)
    recorded, span, weekday_compliance, weekend_compliance = _compliance(cohort)
    cycles, complete, reduction = _cycle_outcomes(cohort, classes, baseline)
    return CohortSummary(
        baseline=baseline,
        baseline_overuse=_baseline_overuse(baseline),
        recorded_days=recorded,
        expected_days=span,
        weekday_compliance=weekday_compliance,
        weekend_compliance=weekend_compliance,
        cycles=cycles,
        cycle_number=cohort.sessions.number,
        cycle_complete=complete,
        reduction_pct=reduction,
        wearing_off=_wearing_off(cohort, classes, complete),
    )


def _baseline(cohort: Cohort, classes: DayClasses) -> WindowCounts:
    """Window B: the 28 days before the first session, or up to today without one."""
    p = cohort.patients
    today = np.datetime64(cohort.today, "D")
    has_session = ~np.isnat(p.first_session)
    b_end = np.where(has_session, p.first_session - np.timedelta64(1, "D"), today)
    return window_counts(
        cohort, classes, np.arange(cohort.n_patients), b_end - np.timedelta64(27, "D"), b_end
    )


def _baseline_overuse(baseline: WindowCounts) -> Array:
    """An overuse threshold of spec section 5 met in window B alone (False if not evaluable)."""
    per28 = baseline.class_days * 28 / np.maximum(baseline.recorded_days, 1)[:, None]
    overuse = np.zeros(len(baseline.patient), dtype=bool)
    for code, threshold in OVERUSE_THRESHOLD_BY_CODE.items():
        overuse |= per28[:, code] >= threshold
    overuse |= (
        baseline.overuse_medication_days * 28 / np.maximum(baseline.recorded_days, 1)
        >= MULTIPLE_THRESHOLD
    )
    overuse &= baseline.evaluable
    return overuse


def _compliance(cohort: Cohort) -> tuple[Array, Array, float, float]:
    """(recorded days, expected days) per patient, weekday and weekend compliance."""
    p = cohort.patients
    span = _days(p.diary_end) - _days(p.diary_start) + 1
    recorded = np.bincount(cohort.diary.patient, minlength=cohort.n_patients)
    weekend_rows = (_days(cohort.diary.date) + 3) % 7 >= 5
    total_weekend = int(_weekend_days(_days(p.diary_start), span).sum())
    total_weekday = int(span.sum()) - total_weekend
    return (
        recorded,
        span,
        float((~weekend_rows).sum() / max(total_weekday, 1)),
        float(weekend_rows.sum() / max(total_weekend, 1)),
    )


def _next_session(cohort: Cohort) -> Array:
    """The date of each session's next session of the same patient (NaT for the last)."""
    s = cohort.sessions
    nxt = np.full(len(s.patient), np.datetime64("NaT", "D"), dtype="datetime64[D]")
    same = s.patient[1:] == s.patient[:-1]
    nxt[:-1][same] = s.date[1:][same]
    return nxt


def _cycle_outcomes(
    cohort: Cohort, classes: DayClasses, baseline: WindowCounts
) -> tuple[WindowCounts, Array, Array]:
    """The outcome window of each cycle (spec section 7), whether it is complete, and the
    % reduction in headache days from baseline (NaN when not assessable)."""
    s = cohort.sessions
    one = np.timedelta64(1, "D")
    nxt = _next_session(cohort)
    end = s.date + np.timedelta64(83, "D")
    end = np.where(~np.isnat(nxt) & (nxt - one < end), nxt - one, end)
    cycles = window_counts(cohort, classes, s.patient, end - np.timedelta64(27, "D"), end)
    complete: Array = np.asarray(end <= np.datetime64(cohort.today, "D"))
    b28 = baseline.per_28(baseline.headache_days)[s.patient]
    c28 = cycles.per_28(cycles.headache_days)
    with np.errstate(divide="ignore", invalid="ignore"):
        reduction = np.where(complete & (b28 > 0), (b28 - c28) / b28 * 100, np.nan)
    return cycles, complete, reduction


def _wearing_off(cohort: Cohort, classes: DayClasses, complete: Array) -> Array:
    """Wearing-off per session: weeks 5-8 against weeks 9-12 (spec section 7); +1 true,
    0 false, -1 null."""
    s = cohort.sessions

    def days_after(first: int, last: int) -> WindowCounts:
        """Each session's window from day `first` to day `last` after it."""
        return window_counts(
            cohort,
            classes,
            s.patient,
            s.date + np.timedelta64(first, "D"),
            s.date + np.timedelta64(last, "D"),
        )

    w58 = days_after(28, 55)
    w912 = days_after(56, 83)
    rise = w912.per_28(w912.headache_days) - w58.per_28(w58.headache_days)
    nxt = _next_session(cohort)
    short = ~np.isnat(nxt) & (nxt < s.date + np.timedelta64(84, "D"))
    wo = np.where(rise >= 3, 1, 0).astype(np.int8)
    wo[np.isnan(rise) | short | ~complete] = -1
    return wo


def _weekend_days(start_days: Array, span: Array) -> Array:
    """Saturdays and Sundays among `span` days from each start day."""
    full, rest = span // 7, span % 7
    extra = np.zeros_like(span)
    for k in range(6):
        extra += (k < rest) & ((start_days + k + 3) % 7 >= 5)
    return 2 * full + extra
