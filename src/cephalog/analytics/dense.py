"""The cohort engine: spec sections 2, 3 and 7 over a whole registry in a few NumPy passes.

Three steps, none of them a Python loop over patients or days:

1. **Day codes.** Every recorded day is packed into a 14-bit code holding exactly
   the facts the day rules read (`encode`): the seven features, the intensity,
   the hours as "none / short / 4 h or more", a typical aura, and the acute
   medicines as "none / other / migraine-specific / migraine-specific that
   worked". Code 0 is "nothing recorded".
2. **Classification by table.** `day_class_table()` classifies each of the
   16,384 codes once, by calling the domain's own `classify_day` on a day
   built from the code, so there is one implementation of the day rules.
   A day's classes become one 32-bit word: 5 bits per count (recorded,
   headache, migraine, moderate/severe, headache-free, acute medication).
3. **Windows by prefix sums.** The words are laid out per patient, one cell
   per calendar day from the patient's first to last diary date (`DayGrid`),
   and summed cumulatively in place. A window's six counts are then one
   subtraction of two cumulative words: every window is at most 28 days, so
   no 5-bit field of a window's sum can overflow into the next, and the
   wrap-around of the running 32-bit total cancels out in the subtraction.

Every step takes the day `definition` (`label`, the default and standard-1's,
or `ichd3`; spec section 11.1): the table is built per definition from the
domain's `classify_day`, and the code keeps every fact either definition
reads (a short headache is a headache day under `ichd3`). The printed
one-decimal columns are rounded (standard-1) or truncated toward zero
(`truncate`, standard-2, spec section 11.7). The engine does not screen
medication overuse (the codes keep no drug classes), so the two-class
"multiple" rule of section 11.2 has no counterpart here.

Cycles, baselines and outcomes (spec sections 3 and 7) are then array
arithmetic over the sessions. The results equal the domain exactly
(tests/analytics/test_dense.py, tests/analytics/test_equality.py): counts are
integers, per-28 values are divisions of exact integers (so equal to
`float(Fraction)`), rounding is done on integers half away from zero, and
thresholds compare integers.

Memory: 2 bytes (code) + 4 bytes (word) per grid cell plus the input columns;
for 11M diary-days about 130 MB of arrays.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from cephalog.domain.cycles import (
    CYCLE_DAYS,
    OUTCOME_LAST_DAY,
    RESPONDER_30,
    RESPONDER_50,
    WEARING_OFF_RISE,
    WEEKS_5_8,
    WEEKS_9_12,
)
from cephalog.domain.diary import (
    AURA_MAX_MINUTES,
    AURA_MIN_MINUTES,
    LONG_HEADACHE_HOURS,
    AcuteMedication,
    DiaryDay,
    classify_day,
)
from cephalog.domain.windows import MIN_RECORDED_DAYS, WINDOW_DAYS

Array = NDArray[Any]

#: The seven day features, bit 0 upwards, in this order.
FEATURES = (
    "unilateral",
    "pulsating",
    "aggravated_by_activity",
    "nausea",
    "vomiting",
    "photophobia",
    "phonophobia",
)
#: Intensity codes (bits 7-8): 0 none, then these.
INTENSITIES = ("mild", "moderate", "severe")
#: Hours classes (bits 9-10): 0 = no entry, 1 = headache-free, 2 = short, 3 = long.
NOT_RECORDED, NO_HEADACHE, SHORT, LONG = range(4)
#: Medicine classes (bits 12-13).
NO_MEDICINE, OTHER_ACUTE, SPECIFIC, SPECIFIC_RELIEVED = range(4)
_INTENSITY_SHIFT, _HOURS_SHIFT, _AURA_SHIFT, _MEDICINE_SHIFT = 7, 9, 11, 12
CODES = 1 << 14

#: The counts packed in a class word, 5 bits each, field 0 first.
FIELDS = (
    "recorded_days",
    "headache_days",
    "migraine_days",
    "moderate_severe_days",
    "headache_free_days",
    "acute_medication_days",
)
COUNTS = FIELDS[1:]
_BITS = 5
# Every window summed from the prefix sums must fit a field.
assert WINDOW_DAYS < (1 << _BITS)
assert WEEKS_5_8[1] - WEEKS_5_8[0] + 1 <= WINDOW_DAYS
assert WEEKS_9_12[1] - WEEKS_9_12[0] + 1 <= WINDOW_DAYS
# the outcome window of a cycle without an early next injection is weeks 9-12
assert (WEEKS_9_12[0], WEEKS_9_12[1]) == (OUTCOME_LAST_DAY - WINDOW_DAYS + 1, OUTCOME_LAST_DAY)
assert WEEKS_5_8[1] + 1 == WEEKS_9_12[0]

_EPOCH = dt.date(1970, 1, 1)
_NO_DAY = np.iinfo(np.int32).max


def day_number(date: dt.date) -> int:
    """Days since 1970-01-01 (NumPy's datetime64[D] integer)."""
    return (date - _EPOCH).days


# --- 1. day codes ------------------------------------------------------------------------


def encode(
    *,
    hours: Array,
    intensity: Array,
    features: Array,
    aura_minutes: Array,
    medicine: Array,
) -> NDArray[np.uint16]:
    """Codes of recorded days from their facts (equal-length arrays).

    `hours` headache hours (any numeric dtype); `intensity` 0 none, 1 mild,
    2 moderate, 3 severe; `features` a bitmask of FEATURES; `aura_minutes`;
    `medicine` one of NO_MEDICINE .. SPECIFIC_RELIEVED.
    """
    code = features.astype(np.uint16)
    code |= intensity.astype(np.uint16) << _INTENSITY_SHIFT
    hours_class = (hours > 0).view(np.uint8) + (hours >= LONG_HEADACHE_HOURS).view(np.uint8)
    hours_class += NO_HEADACHE
    code |= hours_class.astype(np.uint16) << _HOURS_SHIFT
    aura = (aura_minutes >= AURA_MIN_MINUTES) & (aura_minutes <= AURA_MAX_MINUTES)
    code |= aura.view(np.uint8).astype(np.uint16) << _AURA_SHIFT
    code |= medicine.astype(np.uint16) << _MEDICINE_SHIFT
    return code


def encode_day(day: DiaryDay) -> int:
    """The code of one domain day (the scalar form of `encode`, for loaders and tests)."""
    from cephalog.domain.vocab import MIGRAINE_SPECIFIC_CLASSES

    features = sum(1 << i for i, name in enumerate(FEATURES) if getattr(day, name))
    intensity = INTENSITIES.index(day.peak_intensity) + 1 if day.peak_intensity else 0
    specific = [m for m in day.acute_medications if m.drug_class in MIGRAINE_SPECIFIC_CLASSES]
    if any(m.effective is True for m in specific):
        medicine = SPECIFIC_RELIEVED
    elif specific:
        medicine = SPECIFIC
    elif day.acute_medications:
        medicine = OTHER_ACUTE
    else:
        medicine = NO_MEDICINE
    return int(
        encode(
            hours=np.array([day.headache_hours], dtype=np.float64),
            intensity=np.array([intensity]),
            features=np.array([features]),
            aura_minutes=np.array([day.aura_minutes]),
            medicine=np.array([medicine]),
        )[0]
    )


def decode(code: int) -> DiaryDay | None:
    """A domain day with exactly the facts `code` keeps (None for "not recorded")."""
    hours_class = (code >> _HOURS_SHIFT) & 3
    if hours_class == NOT_RECORDED:
        return None
    hours = {NO_HEADACHE: 0.0, SHORT: 1.0, LONG: float(LONG_HEADACHE_HOURS)}[hours_class]
    intensity = (code >> _INTENSITY_SHIFT) & 3
    medicine = (code >> _MEDICINE_SHIFT) & 3
    medicines = {
        NO_MEDICINE: (),
        OTHER_ACUTE: (AcuteMedication(name="other", drug_class="simple_analgesic"),),
        SPECIFIC: (AcuteMedication(name="specific", drug_class="triptan"),),
        SPECIFIC_RELIEVED: (
            AcuteMedication(name="specific", drug_class="triptan", effective=True),
        ),
    }[medicine]
    return DiaryDay(
        date=_EPOCH,
        headache_hours=hours,
        peak_intensity=INTENSITIES[intensity - 1] if intensity else None,
        aura_minutes=AURA_MIN_MINUTES if (code >> _AURA_SHIFT) & 1 else 0,
        acute_medications=medicines,
        **{name: bool(code >> i & 1) for i, name in enumerate(FEATURES)},
    )


# --- 2. classification by table -------------------------------------------------------------


@functools.cache
def day_class_table(definition: str = "label") -> NDArray[np.uint32]:
    """Class word of every code under a day definition, from the domain's `classify_day`
    (read-only)."""
    table = np.zeros(CODES, dtype=np.uint32)
    for code in range(CODES):
        day = decode(code)
        if day is None:
            continue
        c = classify_day(day, definition)
        flags = (
            True,
            c.headache_day,
            c.migraine_day,
            c.moderate_severe_day,
            c.headache_free,
            c.acute_medication_day,
        )
        table[code] = sum(int(f) << (_BITS * i) for i, f in enumerate(flags))
    table.flags.writeable = False
    return table


# --- 3. the day grid and windows -------------------------------------------------------------


#: Cells per year in the "years" layout: day-of-year 0..365 (the last is empty in common years).
YEAR_CELLS = 366


def year_of(day: Array) -> NDArray[np.int64]:
    """Calendar year of day numbers."""
    years: NDArray[np.int64] = (
        day.astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970
    )
    return years


def day_of_year(day: Array) -> NDArray[np.int64]:
    """0-based day of the year of day numbers."""
    jan1 = day.astype("datetime64[D]").astype("datetime64[Y]").astype("datetime64[D]")
    doy: NDArray[np.int64] = (day - jan1.astype(np.int64)).astype(np.int64)
    return doy


@dataclass(frozen=True)
class DayGrid:
    """Day codes per patient, one cell per calendar day, patients one after another.

    Patient `p` owns cells `offset[p]` .. `offset[p + 1] - 1` (none without a diary).
    Two layouts:

    - `"days"`: cell `k` of patient `p` is day number `first[p] + k`;
    - `"years"`: 366 cells per calendar year from year `first[p]`, cell
      `(year - first[p]) * 366 + day_of_year` (how `cephalog.outcomes.daycodes`
      stores a patient-year in PostgreSQL). The 366th cell of a common year is
      never recorded, so it adds nothing to any count.
    """

    codes: NDArray[np.uint16]
    offset: NDArray[np.int64]  # n_patients + 1
    first: NDArray[np.int64]
    layout: str = "days"

    @property
    def n_patients(self) -> int:
        return len(self.offset) - 1

    def cells(self, patient: Array, day: Array) -> NDArray[np.int64]:
        """Cell of each (patient, day) relative to the patient's first cell (may be out of range)."""
        if self.layout == "days":
            relative: NDArray[np.int64] = day - self.first[patient]
            return relative
        return (year_of(day) - self.first[patient]) * YEAR_CELLS + day_of_year(day)

    @classmethod
    def from_rows(
        cls, n_patients: int, patient: Array, day: Array, codes: NDArray[np.uint16]
    ) -> DayGrid:
        """From recorded days sorted by (patient, day), one row per patient and day."""
        if len(patient) and not (
            np.all(patient[1:] >= patient[:-1]) and patient[0] >= 0 and patient[-1] < n_patients
        ):
            raise ValueError("diary rows must be sorted by patient, with indices < n_patients")
        bounds = np.searchsorted(patient, np.arange(n_patients + 1, dtype=patient.dtype))
        has_rows = bounds[1:] > bounds[:-1]
        first = np.zeros(n_patients, dtype=np.int64)
        last = np.full(n_patients, -1, dtype=np.int64)
        first[has_rows] = day[bounds[:-1][has_rows]]
        last[has_rows] = day[bounds[1:][has_rows] - 1]
        span = last - first + 1
        offset = np.zeros(n_patients + 1, dtype=np.int64)
        np.cumsum(span, out=offset[1:])
        cells = np.zeros(int(offset[-1]), dtype=np.uint16)
        counts = bounds[1:] - bounds[:-1]
        # native-size positions: NumPy scatters with them three times faster than with int32
        position = np.repeat(offset[:-1] - first, counts)
        position += day
        if len(position) and np.any(position[1:] <= position[:-1]):
            raise ValueError("diary rows must be sorted by date within a patient, one per date")
        cells[position] = codes
        return cls(cells, offset, first)

    @classmethod
    def from_years(
        cls, n_patients: int, patient: Array, year: Array, codes: NDArray[np.uint16]
    ) -> DayGrid:
        """From patient-years sorted by (patient, year): `codes` is (rows, 366), row-major.

        Years missing between a patient's first and last are left unrecorded.
        """
        patient = np.asarray(patient, dtype=np.int64)
        year = np.asarray(year, dtype=np.int64)
        if len(patient) and not (
            np.all(np.diff(patient * 100_000 + year) > 0)
            and patient[0] >= 0
            and patient[-1] < n_patients
        ):
            raise ValueError("patient-years must be sorted and unique, with indices < n_patients")
        bounds = np.searchsorted(patient, np.arange(n_patients + 1))
        has_rows = bounds[1:] > bounds[:-1]
        first = np.zeros(n_patients, dtype=np.int64)
        last = np.full(n_patients, -1, dtype=np.int64)
        first[has_rows] = year[bounds[:-1][has_rows]]
        last[has_rows] = year[bounds[1:][has_rows] - 1]
        years = last - first + 1
        offset = np.zeros(n_patients + 1, dtype=np.int64)
        np.cumsum(years * YEAR_CELLS, out=offset[1:])
        flat = np.ascontiguousarray(codes, dtype=np.uint16).reshape(-1, YEAR_CELLS)
        if int(years.sum()) == len(patient):  # no gaps: the strips are the grid
            return cls(flat.reshape(-1), offset, first, "years")
        cells = np.zeros((int(years.sum()), YEAR_CELLS), dtype=np.uint16)
        slot = offset[:-1][patient] // YEAR_CELLS + (year - first[patient])
        cells[slot] = flat
        return cls(cells.reshape(-1), offset, first, "years")


@dataclass(frozen=True)
class Cumulative:
    """Prefix sums of class words over the grid: `totals[k]` = words of cells before k."""

    grid: DayGrid
    totals: NDArray[np.uint32]

    @classmethod
    def of(cls, grid: DayGrid, definition: str = "label") -> Cumulative:
        totals = np.empty(len(grid.codes) + 1, dtype=np.uint32)
        totals[0] = 0
        words = day_class_table(definition)[grid.codes]
        np.cumsum(words, out=totals[1:], dtype=np.uint32)
        return cls(grid, totals)

    def at(self, patient: Array, day: Array) -> NDArray[np.uint32]:
        """The running total of each patient's words before `day` (a window's boundary)."""
        g = self.grid
        span = g.offset[patient + 1] - g.offset[patient]
        totals: NDArray[np.uint32] = self.totals[
            g.offset[patient] + np.clip(g.cells(patient, day), 0, span)
        ]
        return totals

    def window(self, patient: Array, start: Array, end: Array) -> dict[str, NDArray[np.int64]]:
        """The six counts of each window `[start, end]` (day numbers, at most 28 days)."""
        return unpack(self.at(patient, end + 1) - self.at(patient, start))


def unpack(packed: NDArray[np.uint32]) -> dict[str, NDArray[np.int64]]:
    """The six counts of packed window sums (differences of running totals)."""
    return {
        name: ((packed >> (_BITS * i)) & ((1 << _BITS) - 1)).astype(np.int64)
        for i, name in enumerate(FIELDS)
    }


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
    _round1 = _trunc1 if truncate else _round_half_up
    today_day = day_number(today)
    sp = np.asarray(session_patient, dtype=np.int64)
    sd = np.asarray(session_day, dtype=np.int64)
    m = len(sp)

    # sessions: cycle number, previous and next injection of the same patient
    same_prev = np.zeros(m, dtype=bool)
    same_prev[1:] = sp[1:] == sp[:-1]
    same_next = np.zeros(m, dtype=bool)
    same_next[:-1] = same_prev[1:]
    patient_start = np.searchsorted(sp, sp, side="left")
    cycle = np.arange(m, dtype=np.int64) - patient_start + 1
    prev = np.where(same_prev, np.roll(sd, 1), 0)
    nxt = np.where(same_next, np.roll(sd, -1), _NO_DAY)
    interval = sd - prev
    window_end = np.minimum(sd + OUTCOME_LAST_DAY, nxt - 1)
    window_start = window_end - (WINDOW_DAYS - 1)
    short = same_next & (nxt < sd + CYCLE_DAYS)
    in_progress = today_day < window_end

    # baselines: the 28 days before the first injection, or ending today
    has_session = np.zeros(n, dtype=bool)
    has_session[sp] = True
    first_injection = np.full(n, today_day + 1, dtype=np.int64)
    first_injection[sp[~same_prev]] = sd[~same_prev]
    b_end = first_injection - 1
    b_start = b_end - (WINDOW_DAYS - 1)
    everyone = np.arange(n, dtype=np.int64)
    base = cumulative.window(everyone, b_start, b_end)

    # weeks 5-8 and 9-12 share a boundary, and the outcome window is weeks 9-12 unless the
    # next injection came early: three lookups per session instead of six
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
    outcome = unpack(late_packed)

    rb = base["recorded_days"]
    hb = base["headache_days"]
    b_evaluable = rb >= MIN_RECORDED_DAYS
    rb_s, hb_s, b_ok_s = rb[sp], hb[sp], b_evaluable[sp]
    rc, hc = outcome["recorded_days"], outcome["headache_days"]
    assessable = ~in_progress & (rc >= MIN_RECORDED_DAYS) & b_ok_s
    change_num = (hc * rb_s - hb_s * rc) * WINDOW_DAYS
    change_den = rc * rb_s
    reducible = assessable & (hb_s > 0)
    red_num = (hb_s * rc - hc * rb_s) * 100
    red_den = hb_s * rc
    re_, he = early["recorded_days"], early["headache_days"]
    rl, hl = late["recorded_days"], late["headache_days"]
    wearing_judged = ~in_progress & ~short & (re_ >= MIN_RECORDED_DAYS) & (rl >= MIN_RECORDED_DAYS)

    # rows: baselines of reported patients, then cycles, ordered by patient then cycle
    reported = np.ones(n, dtype=bool) if report is None else np.asarray(report, dtype=bool).copy()
    reported |= has_session
    bp = np.flatnonzero(reported)
    nb = len(bp)
    row_patient = np.concatenate([bp, sp])
    order = np.argsort(row_patient, kind="stable")

    def rows(baseline: Array, cycles: Array) -> Array:
        joined: Array = np.concatenate([baseline, cycles])
        return joined[order]

    zeros_b = np.zeros(nb, dtype=np.int64)
    false_b = np.zeros(nb, dtype=bool)
    nan_c = np.full(m, np.nan)
    out: dict[str, Array] = {
        "patient": row_patient[order],
        "cycle": rows(zeros_b, cycle),
        "injection_date": rows(zeros_b, sd),
        "injection_date_valid": rows(false_b, np.ones(m, dtype=bool)),
        "interval_days": rows(zeros_b, interval),
        "interval_days_valid": rows(false_b, same_prev),
        "in_progress": rows(false_b, in_progress),
        "window_start": rows(b_start[bp], window_start),
        "window_end": rows(b_end[bp], window_end),
    }
    for name in FIELDS:
        out[name] = rows(base[name][bp], outcome[name])
    out["baseline_start"] = rows(b_start[bp], b_start[sp])
    out["baseline_end"] = rows(b_end[bp], b_end[sp])
    out["baseline_recorded_days"] = rows(rb[bp], rb_s)
    out["baseline_headache_days"] = rows(hb[bp], hb_s)
    out["baseline_evaluable"] = rows(b_evaluable[bp], b_ok_s)
    nan_b = np.full(nb, np.nan)
    out["headache_day_change"] = rows(
        nan_b, np.where(assessable, _div(change_num, change_den), nan_c)
    )
    out["headache_day_change_rounded"] = rows(
        nan_b, np.where(assessable, _round1(change_num, change_den), nan_c)
    )
    out["headache_day_reduction_pct"] = rows(
        nan_b, np.where(reducible, _div(red_num, red_den), nan_c)
    )
    out["headache_day_reduction_pct_rounded"] = rows(
        nan_b, np.where(reducible, _round1(red_num, red_den), nan_c)
    )
    for pct, name in ((RESPONDER_30, "responder_30"), (RESPONDER_50, "responder_50")):
        out[name] = rows(false_b, (hb_s * rc - hc * rb_s) * 100 >= hb_s * rc * pct)
        out[f"{name}_valid"] = rows(false_b, reducible)
    out["wearing_off"] = rows(
        false_b, (hl * re_ - he * rl) * WINDOW_DAYS >= rl * re_ * WEARING_OFF_RISE
    )
    out["wearing_off_valid"] = rows(false_b, wearing_judged)

    recorded = out["recorded_days"]
    evaluable = recorded >= MIN_RECORDED_DAYS
    out["evaluable"] = evaluable
    for name in ("headache_days", "migraine_days", "moderate_severe_days", "acute_medication_days"):
        num = out[name] * WINDOW_DAYS
        out[f"{name}_per_28"] = np.where(evaluable, _div(num, recorded), np.nan)
        out[f"{name}_per_28_rounded"] = np.where(evaluable, _round1(num, recorded), np.nan)
    b_num = out["baseline_headache_days"] * WINDOW_DAYS
    b_den = out["baseline_recorded_days"]
    b_ok = out["baseline_evaluable"]
    out["baseline_headache_days_per_28"] = np.where(b_ok, _div(b_num, b_den), np.nan)
    out["baseline_headache_days_per_28_rounded"] = np.where(b_ok, _round1(b_num, b_den), np.nan)
    return out


#: Columns whose nulls are carried in a `<name>_valid` mask (floats use NaN).
NULLABLE = ("injection_date", "interval_days", "responder_30", "responder_50", "wearing_off")
#: Date columns (day numbers in `cohort_arrays`).
DATES = ("injection_date", "window_start", "window_end", "baseline_start", "baseline_end")
