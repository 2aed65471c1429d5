"""The diary part of a history: which days are recorded and what happened on each.

The draws follow a fixed order within a chunk (the same seed gives the same diary).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cephalog.demo.generate.codes import (
    CYCLE_GAIN,
    LATE_FADE_DAYS,
    LATE_FADE_FROM_DAY,
    MAX_SESSIONS,
    ONSET_DAYS,
    SIMPLE,
    TRIPTAN,
    WEARING_OFF_FROM_DAY,
)
from cephalog.demo.generate.people import Course, Habits, Response, Timeline, Who
from cephalog.demo.generate.sampling import _half_hours, _weekday
from cephalog.demo.generate.stats import _day_rules
from cephalog.demo.generate.tables import Array, Diary


@dataclass(frozen=True, slots=True)
class Recorded:
    """One entry per recorded diary day: patient (chunk index), int day, and the chance
    that it is a headache day."""

    patient: Array
    day: Array
    p_headache_day: Array


@dataclass(frozen=True, slots=True)
class _Kinds:
    """What kind of day each recorded day is (masks over the recorded days)."""

    headache_day: Array
    migraine: Array
    short_triptan: Array  # a short headache treated with a triptan that did not work
    tension: Array
    minor: Array  # a short mild headache: not a headache day


def _recorded_days(
    rng: np.random.Generator,
    n: int,
    habits: Habits,
    response: Response,
    timeline: Timeline,
    course: Course,
) -> Recorded:
    """Draw the recorded days on the grid patients x days, with each day's chance of a
    headache from the response model (onset, plateau, wearing-off, late fade)."""
    diary_start, sessions = timeline.diary_start, course.sessions
    length = (course.diary_end - diary_start + 1).astype(np.int64)
    width = int(length.max()) if n else 0
    j = np.arange(width, dtype=np.int64)[None, :]
    day = diary_start[:, None] + j
    in_diary = j < length[:, None]
    cycle = np.zeros(day.shape, dtype=np.int8)
    for k in range(MAX_SESSIONS):
        cycle += day >= sessions[:, k : k + 1]
    rows = np.arange(n)[:, None]
    k_prev = np.maximum(cycle.astype(np.int64) - 1, 0)
    since = (day - sessions[rows, k_prev]).astype(np.float32)
    prev_interval = np.where(
        cycle >= 2,
        sessions[rows, k_prev] - sessions[rows, np.maximum(k_prev - 1, 0)],
        0,
    ).astype(np.float32)
    depth = response.wo_depth[:, None]

    def plateau(d: Array) -> Array:
        fade_wo = 1 - depth * (d - WEARING_OFF_FROM_DAY) / 28
        fade_late = 1 - (d - LATE_FADE_FROM_DAY) / LATE_FADE_DAYS
        clipped: Array = np.clip(np.minimum(fade_wo, fade_late), 0, 1)
        return clipped

    start_level = np.where(cycle >= 2, plateau(prev_interval), 0.3)
    onset = np.minimum(1, start_level + (1 - start_level) * since / ONSET_DAYS)
    shape = np.minimum(onset, plateau(since))
    effect = response.max_effect[:, None] * CYCLE_GAIN[cycle] * shape
    p_headache_day = np.clip(habits.baseline_rate[:, None] / 28 * (1 - effect), 0, 0.98)

    weekend = _weekday(day) >= 5
    compliance = habits.compliance[:, None]
    p_recorded = np.where(weekend, compliance - 0.085, np.minimum(compliance + 0.034, 0.995))
    recorded = in_diary & (rng.random(day.shape, dtype=np.float32) < p_recorded)
    gap_start, gap_len = course.gap_start[:, None], course.gap_len[:, None]
    recorded &= ~((day >= gap_start) & (day < gap_start + gap_len))
    r_patient, r_col = np.nonzero(recorded)
    return Recorded(r_patient, day[r_patient, r_col], p_headache_day[r_patient, r_col])


def _diary(rng: np.random.Generator, first: int, who: Who, habits: Habits, rec: Recorded) -> Diary:
    """What happened on each recorded day: headache, features, acute medicines."""
    m = len(rec.patient)
    rp = rec.patient
    rnd = rng.random((m, 20), dtype=np.float32)
    kinds = _day_kinds(rnd, rec, habits)
    hours = _raw_hours(rng, rnd, kinds, m)
    intensity = _intensity(rnd, kinds, m)
    unilateral, pulsating, aggravated, nausea, vomiting, photophobia, phonophobia = _features(
        rnd, kinds, intensity
    )
    aura = np.where(
        kinds.migraine & who.with_aura[rp] & (rnd[:, 12] < 0.35),
        (10 + rnd[:, 13] * 36).astype(np.int16),
        0,
    ).astype(np.int16)
    acute_class, acute_effective = _acute_medicines(rng, rnd, kinds, habits, rp)
    hours = _final_hours(rnd, kinds, hours, acute_class, acute_effective)
    taken = acute_class >= 0
    acute_drug = np.where(
        taken, habits.drug_of_class[rp[:, None], np.maximum(acute_class, 0)], -1
    ).astype(np.int16)

    # make every intended migraine day meet the rules (ICHD-3 1.1 C and D)
    _, mig_ok, _ = _day_rules(
        hours, intensity, (unilateral, pulsating, aggravated), nausea, vomiting,
        photophobia, phonophobia, aura, acute_class, acute_effective,
    )  # fmt: skip
    fix = kinds.migraine & ~mig_ok
    nausea |= fix
    pulsating |= fix
    aggravated |= fix

    return Diary(
        patient=(rp + first).astype(np.int32),
        date=rec.day.astype("datetime64[D]"),
        headache_hours=hours,
        intensity=intensity,
        unilateral=unilateral,
        pulsating=pulsating,
        aggravated_by_activity=aggravated,
        nausea=nausea,
        vomiting=vomiting,
        photophobia=photophobia,
        phonophobia=phonophobia,
        aura_minutes=aura,
        late=rng.random(m, dtype=np.float32) < 0.05,
        acute_class=acute_class,
        acute_drug=acute_drug,
        acute_effective=acute_effective,
    )


def _day_kinds(rnd: Array, rec: Recorded, habits: Habits) -> _Kinds:
    is_hd = rnd[:, 0] < rec.p_headache_day
    is_migraine = is_hd & (rnd[:, 1] < habits.migraine_share[rec.patient])
    uses_triptan = (habits.primary == TRIPTAN) | (habits.secondary == TRIPTAN)
    short_triptan = is_hd & ~is_migraine & uses_triptan[rec.patient] & (rnd[:, 2] < 0.3)
    tension = is_hd & ~is_migraine & ~short_triptan
    minor = ~is_hd & (rnd[:, 2] < 0.12)
    return _Kinds(is_hd, is_migraine, short_triptan, tension, minor)


def _raw_hours(rng: np.random.Generator, rnd: Array, kinds: _Kinds, m: int) -> Array:
    """Headache hours before treatment shortens an attack."""
    hours = np.zeros(m, dtype=np.float32)
    n_mig = int(kinds.migraine.sum())
    mig_hours = np.exp(rng.normal(np.log(8.0), 0.55, n_mig))
    mig_hours = np.where(rng.random(n_mig) < 0.05, 24.0, mig_hours)  # continuous days
    hours[kinds.migraine] = np.clip(mig_hours, 1.0, 24.0)
    hours[kinds.tension] = 4.0 + rnd[kinds.tension, 3] * 6.0
    hours[kinds.short_triptan] = 1.0 + rnd[kinds.short_triptan, 3] * 2.5
    hours[kinds.minor] = 0.5 + rnd[kinds.minor, 3] * 3.0
    return hours


def _intensity(rnd: Array, kinds: _Kinds, m: int) -> Array:
    intensity = np.full(m, -1, dtype=np.int8)
    mig = kinds.migraine
    intensity[mig] = np.where(rnd[mig, 4] < 0.12, 0, np.where(rnd[mig, 4] < 0.62, 1, 2))
    calm = kinds.tension | kinds.short_triptan
    intensity[calm] = np.where(rnd[calm, 4] < 0.55, 0, 1)
    intensity[kinds.minor] = 0
    return intensity


def _features(rnd: Array, kinds: _Kinds, intensity: Array) -> tuple[Array, ...]:
    """(unilateral, pulsating, aggravated, nausea, vomiting, photophobia, phonophobia)."""
    mig = kinds.migraine
    unilateral = mig & (rnd[:, 5] < 0.6)
    pulsating = mig & (rnd[:, 6] < 0.65)
    aggravated = mig & (rnd[:, 7] < 0.7)
    nausea = mig & (rnd[:, 8] < 0.6)
    vomiting = nausea & (rnd[:, 9] < 0.25)
    photophobia = mig & (rnd[:, 10] < 0.8)
    phonophobia = mig & (rnd[:, 11] < 0.65)
    # tension-type and minor headaches: at most one pain feature (none when moderate),
    # light or sound sensitivity alone, never nausea: never a migraine day
    other = kinds.tension | kinds.short_triptan | kinds.minor
    one_feature = other & (intensity == 0) & (rnd[:, 5] < 0.3)
    which = (rnd[:, 6] * 3).astype(np.int8)
    unilateral |= one_feature & (which == 0)
    pulsating |= one_feature & (which == 1)
    aggravated |= one_feature & (which == 2)
    photophobia |= other & (rnd[:, 10] < 0.12)
    phonophobia |= other & ~photophobia & (rnd[:, 11] < 0.1)
    return unilateral, pulsating, aggravated, nausea, vomiting, photophobia, phonophobia


def _acute_medicines(
    rng: np.random.Generator, rnd: Array, kinds: _Kinds, habits: Habits, rp: Array
) -> tuple[Array, Array]:
    """(class, effective) of up to two acute medicines per day, (days, 2) each."""
    m = len(rp)
    acute_class = np.full((m, 2), -1, dtype=np.int8)
    share = habits.treat_share[rp]
    prim, sec = habits.primary[rp], habits.secondary[rp]
    treated_mig = kinds.migraine & (rnd[:, 14] < share)
    acute_class[treated_mig, 0] = np.where(
        rnd[treated_mig, 15] < 0.8, prim[treated_mig], sec[treated_mig]
    )
    treated_tension = kinds.tension & (rnd[:, 14] < share * 0.6)
    acute_class[treated_tension, 0] = np.where(
        prim[treated_tension] == TRIPTAN, sec[treated_tension], prim[treated_tension]
    )
    acute_class[kinds.short_triptan, 0] = TRIPTAN
    treated_minor = kinds.minor & (rnd[:, 14] < 0.15)
    acute_class[treated_minor, 0] = SIMPLE
    second = treated_mig & (rnd[:, 16] < np.where(habits.overuser[rp], 0.25, 0.08))
    acute_class[second, 1] = np.where(
        acute_class[second, 0] == prim[second], sec[second], prim[second]
    )
    acute_class[second & (acute_class[:, 1] == acute_class[:, 0]), 1] = -1

    taken = acute_class >= 0
    eff_draw = rng.random((m, 2), dtype=np.float32)
    unknown = rng.random((m, 2), dtype=np.float32) < 0.1
    rel = habits.relief[rp][:, None]
    acute_effective = np.where(taken, (eff_draw < rel).astype(np.int8), -1).astype(np.int8)
    acute_effective[taken & unknown] = -1
    # a triptan on a non-migraine headache day did not work (else the day would be migraine)
    st = kinds.short_triptan
    acute_effective[st, 0] = np.where(rnd[st, 17] < 0.6, 0, -1)
    acute_effective[kinds.tension & taken[:, 0] & (acute_class[:, 0] == TRIPTAN), 0] = 0
    return acute_class, acute_effective


def _final_hours(
    rnd: Array, kinds: _Kinds, hours: Array, acute_class: Array, acute_effective: Array
) -> Array:
    """Shorten attacks stopped by a triptan, round to half hours, keep short days short."""
    aborted = kinds.migraine & ((acute_class == TRIPTAN) & (acute_effective == 1)).any(axis=1)
    aborted &= rnd[:, 18] < 0.6
    hours[aborted] = np.minimum(hours[aborted], 1.0 + rnd[aborted, 19] * 3.0)
    hours = _half_hours(hours)
    hours[(kinds.headache_day | kinds.minor) & (hours < 0.5)] = 0.5
    hours[kinds.minor] = np.minimum(hours[kinds.minor], 3.5)
    hours[kinds.short_triptan] = np.minimum(hours[kinds.short_triptan], 3.5)
    return hours
