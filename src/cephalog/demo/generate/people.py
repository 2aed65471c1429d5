"""Who the patients are and the course of their treatment: the first parts of a history.

Each part draws from the chunk's generator in a fixed order (the same seed gives the
same cohort), so the parts run in the order `_generate_chunk` calls them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cephalog.demo.generate.codes import (
    _ACUTE_DRUG_CLASS,
    _NO_DAY,
    ACUTE_CLASSES,
    COMBINATION,
    CYCLE_GAIN,
    FAMILY_NAMES,
    GIVEN_NAMES,
    MAX_SESSIONS,
    SIMPLE,
    TRIPTAN,
)
from cephalog.demo.generate.sampling import _clinic_day, _pick, _uniform_int
from cephalog.demo.generate.tables import Array


@dataclass(frozen=True, slots=True)
class Who:
    """Names, sex, birth (int days) and aura; `name_draw` picks the given name."""

    mrn: Array
    sex: Array
    birth: Array
    given: Array
    family: Array
    name_draw: Array
    with_aura: Array


@dataclass(frozen=True, slots=True)
class Habits:
    """The baseline: headache days, diary compliance and acute medicines."""

    baseline_rate: Array
    migraine_share: Array
    compliance: Array
    overuser: Array
    primary: Array
    secondary: Array
    drug_of_class: Array  # (n, classes) -> index into ACUTE_DRUGS
    treat_share: Array
    relief: Array


@dataclass(frozen=True, slots=True)
class Response:
    """How each patient responds to treatment (ref 6.2-6.5, 7)."""

    responder_class: Array
    target: Array
    wearing_off: Array
    wo_depth: Array
    max_effect: Array
    follow_the_pain: Array


@dataclass(frozen=True, slots=True)
class Timeline:
    """Planned dates (int days): diary start, first session, up to MAX_SESSIONS sessions."""

    baseline_only: Array
    diary_start: Array
    first_session: Array
    sessions: Array  # (n, MAX_SESSIONS)
    stop_after: Array


@dataclass(frozen=True, slots=True)
class Course:
    """What happened by today: sessions given, stage, diary end and a holiday gap."""

    valid_session: Array  # (n, MAX_SESSIONS) bool
    sessions: Array  # (n, MAX_SESSIONS), _NO_DAY where not given
    n_sessions: Array
    stage: Array
    diary_end: Array
    gap_start: Array
    gap_len: Array


def _who(rng: np.random.Generator, first: int, n: int, today: int, mrn_prefix: str) -> Who:
    sex = _pick(rng, n, (0.86, 0.13, 0.01))  # ref 6.1: 87.6 % female
    age_years = np.clip(rng.normal(42.0, 11.0, n), 19, 74)
    birth = today - (age_years * 365.25).astype(np.int64)
    gi = rng.integers(0, 1 << 30, n)
    given = np.empty(n, dtype=object)
    for code, names in enumerate(GIVEN_NAMES):
        sel = sex == code
        given[sel] = np.array(names)[gi[sel] % len(names)]
    family = np.array(FAMILY_NAMES)[rng.integers(0, len(FAMILY_NAMES), n)]
    mrn = np.array([f"{mrn_prefix}-{first + i + 1:05d}" for i in range(n)])
    with_aura = rng.random(n) < 0.25
    return Who(mrn, sex, birth, given, family, gi, with_aura)


def _habits(rng: np.random.Generator, n: int) -> Habits:
    baseline_rate = np.clip(rng.normal(20.0, 3.1, n), 13.0, 27.5).astype(np.float32)
    migraine_share = np.clip(rng.beta(9.0, 1.3, n), 0.55, 1.0).astype(np.float32)
    compliance = np.clip(rng.beta(16.0, 1.7, n), 0.72, 0.99).astype(np.float32)
    overuser = rng.random(n) < 0.66  # ref 6.1: 64.8 % overuse at baseline
    primary = np.where(
        overuser,
        _pick(rng, n, (0.52, 0.16, 0.24, 0.08, 0.0)),
        _pick(rng, n, (0.55, 0.22, 0.08, 0.02, 0.13)),
    ).astype(np.int8)
    u = rng.random(n)
    secondary = np.select(
        [primary == TRIPTAN, primary == SIMPLE, primary == COMBINATION],
        [
            np.where(u < 0.6, SIMPLE, COMBINATION),
            np.where(u < 0.5, TRIPTAN, COMBINATION),
            np.where(u < 0.5, SIMPLE, TRIPTAN),
        ],
        SIMPLE,
    ).astype(np.int8)
    # the drug each patient uses in each class
    drug_of_class = np.zeros((n, len(ACUTE_CLASSES)), dtype=np.int16)
    for code in range(len(ACUTE_CLASSES)):
        options = np.flatnonzero(np.equal(_ACUTE_DRUG_CLASS, code))
        drug_of_class[:, code] = options[rng.integers(0, len(options), n)]
    # days treated / headache days: overusers treat most days, others few
    treat_share = np.where(
        overuser,
        np.clip(rng.uniform(12.5, 20.0, n) / baseline_rate, 0.55, 0.97),
        np.clip(rng.uniform(3.0, 7.0, n) / baseline_rate, 0.1, 0.5),
    ).astype(np.float32)
    relief = rng.uniform(0.45, 0.85, n).astype(np.float32)
    return Habits(
        baseline_rate,
        migraine_share,
        compliance,
        overuser,
        primary,
        secondary,
        drug_of_class,
        treat_share,
        relief,
    )


def _response(rng: np.random.Generator, n: int) -> Response:
    responder_class = _pick(rng, n, (0.22, 0.32, 0.46))
    target = np.select(
        [responder_class == 0, responder_class == 1],
        [rng.uniform(-0.08, 0.28, n), rng.uniform(0.30, 0.50, n)],
        rng.uniform(0.50, 0.82, n),
    ).astype(np.float32)
    wearing_off = rng.random(n) < 0.5
    wo_depth = np.where(wearing_off, rng.uniform(0.35, 0.8, n), 0.0).astype(np.float32)
    # the weeks 9-12 window keeps on average 1 - 0.48 * depth of the plateau effect
    max_effect = np.clip(target / (CYCLE_GAIN[2] * (1 - 0.48 * wo_depth)), -0.15, 0.95)
    max_effect = max_effect.astype(np.float32)
    follow_the_pain = rng.random(n) < np.where(wearing_off, 0.22, 0.1)
    return Response(responder_class, target, wearing_off, wo_depth, max_effect, follow_the_pain)


def _timeline(
    rng: np.random.Generator, n: int, today: int, span: int, responder_class: Array
) -> Timeline:
    lead = rng.integers(28, 121, n)  # diary days before the first session
    lead = np.minimum(lead, span - 7)
    baseline_only = rng.random(n) < 0.06
    elapsed = np.floor(rng.random(n) * (np.maximum(span - lead, 0) + 1)).astype(np.int64)
    first_session = _clinic_day(today - elapsed, today)
    diary_start = np.where(
        baseline_only, today - _uniform_int(rng, 7, lead - 1, n), first_session - lead
    )
    first_session = np.where(baseline_only, diary_start + lead, first_session)  # planned
    u = rng.random((n, MAX_SESSIONS - 1))
    intervals = np.select(
        [u < 0.07, u < 0.86],
        [rng.integers(77, 84, u.shape), rng.integers(84, 92, u.shape)],
        rng.integers(92, 127, u.shape),  # > 13 weeks
    )
    offsets = np.concatenate([np.zeros((n, 1), np.int64), np.cumsum(intervals, axis=1)], axis=1)
    sessions = _clinic_day(first_session[:, None] + offsets, today)
    stop_after = np.full(n, MAX_SESSIONS)
    u = rng.random(n)
    stop_after = np.where((responder_class == 0) & (u < 0.45), np.where(u < 0.3, 2, 3), stop_after)
    stop_after = np.where(
        (responder_class == 2) & (u < 0.06), 4 + (u * 100).astype(int) % 3, stop_after
    )
    stop_after = np.where(rng.random(n) < 0.02, 1, stop_after)  # stopped for adverse events
    return Timeline(baseline_only, diary_start, first_session, sessions, stop_after)


def _exemplar(who: Who, habits: Habits, response: Response, timeline: Timeline, today: int) -> None:
    """Patient 0, the demo's patient login: a typical patient mid-treatment with a good
    diary, 4 sessions, in cycle 4 (set in place, after the draws of the parts above)."""
    who.sex[0], who.with_aura[0] = 0, False
    who.given[0] = GIVEN_NAMES[0][who.name_draw[0] % len(GIVEN_NAMES[0])]
    who.birth[0] = today - int(41.5 * 365.25)
    h = habits
    h.baseline_rate[0], h.migraine_share[0], h.compliance[0] = 21.0, 0.88, 0.97
    h.overuser[0], h.primary[0], h.secondary[0], h.treat_share[0], h.relief[0] = (
        True, TRIPTAN, SIMPLE, 0.75, 0.75,
    )  # fmt: skip
    r = response
    r.responder_class[0], r.target[0], r.wearing_off[0], r.wo_depth[0] = 2, 0.5, True, 0.45
    r.max_effect[0] = r.target[0] / (CYCLE_GAIN[2] * (1 - 0.48 * r.wo_depth[0]))
    r.follow_the_pain[0] = False
    t = timeline
    t.baseline_only[0], t.stop_after[0] = False, MAX_SESSIONS
    t.sessions[0] = _clinic_day(today - 45 - 84 * np.arange(3, -6, -1), today)
    t.first_session[0] = t.sessions[0, 0]
    t.diary_start[0] = t.first_session[0] - 63


def _course(
    rng: np.random.Generator, n: int, today: int, timeline: Timeline, exemplar: bool
) -> Course:
    t = timeline
    valid_session = (
        (t.sessions <= today)
        & (np.arange(MAX_SESSIONS)[None, :] < t.stop_after[:, None])
        & ~t.baseline_only[:, None]
    )
    n_sessions = valid_session.sum(axis=1)
    sessions = np.where(valid_session, t.sessions, _NO_DAY)
    last = np.where(n_sessions > 0, sessions[np.arange(n), np.maximum(n_sessions - 1, 0)], _NO_DAY)
    stopped = (n_sessions > 0) & (n_sessions == t.stop_after) & (last + 91 < today)
    stage = np.where(t.baseline_only, 0, np.where(stopped, 2, 1)).astype(np.int8)
    lag = _pick(rng, n, (0.35, 0.5, 0.08, 0.04, 0.03)).astype(np.int64)  # not filled in yet
    diary_end = today - lag
    diary_end = np.where(
        stopped, np.minimum(diary_end, last + 84 + rng.integers(0, 43, n)), diary_end
    )
    diary_end = np.maximum(diary_end, t.diary_start)
    if exemplar:
        diary_end[0] = today - 1
    # a holiday gap of 5-14 days for some, after the first weeks of treatment
    gap_len = rng.integers(5, 15, n)
    gap_room = diary_end - (t.first_session + 14) - gap_len
    has_gap = (rng.random(n) < 0.25) & (gap_room > 0) & ~t.baseline_only
    if exemplar:
        has_gap[0] = False
    gap_start = np.where(
        has_gap, t.first_session + 14 + np.floor(rng.random(n) * np.maximum(gap_room, 1)), _NO_DAY
    ).astype(np.int64)
    return Course(valid_session, sessions, n_sessions, stage, diary_end, gap_start, gap_len)
