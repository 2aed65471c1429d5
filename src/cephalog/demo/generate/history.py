"""Generating one chunk of patients, one function per part of their
history (who they are, their headaches, their treatment and its course, the diary, the
sessions and adverse events, the medical history).

The parts draw from the chunk's seeded generator in a fixed order: the same seed, size,
`today` and `years` always give the same cohort.
"""

from __future__ import annotations

import numpy as np

from cephalog.demo.generate.codes import _NO_DAY
from cephalog.demo.generate.days import _diary, _recorded_days
from cephalog.demo.generate.people import (
    Course,
    Habits,
    Response,
    Timeline,
    Who,
    _course,
    _exemplar,
    _habits,
    _response,
    _timeline,
    _who,
)
from cephalog.demo.generate.records import (
    _adverse_events,
    _allergies,
    _conditions,
    _medications,
    _preventives,
    _sessions,
    _toxin_exposures,
)
from cephalog.demo.generate.sampling import _as_dates
from cephalog.demo.generate.tables import Patients, Tables


def _generate_chunk(
    rng: np.random.Generator, first: int, n: int, today: int, span: int, mrn_prefix: str
) -> Tables:
    """Patients `first` .. `first + n - 1`, their history part by part (in draw order)."""
    exemplar = first == 0 and n > 0  # patient 0: the demo's patient login
    who = _who(rng, first, n, today, mrn_prefix)
    habits = _habits(rng, n)
    response = _response(rng, n)
    timeline = _timeline(rng, n, today, span, response.responder_class)
    if exemplar:
        _exemplar(who, habits, response, timeline, today)
    course = _course(rng, n, today, timeline, exemplar)
    diary = _diary(
        rng, first, who, habits, _recorded_days(rng, n, habits, response, timeline, course)
    )
    sessions, s_day = _sessions(rng, first, course, response.follow_the_pain)
    adverse = _adverse_events(rng, first, today, sessions.patient - first, s_day)
    preventives = _preventives(rng, first, n, timeline.diary_start, exemplar)
    medications = _medications(rng, first, n, today, timeline)
    conditions = _conditions(rng, first, n, today, timeline.diary_start)
    allergies = _allergies(rng, first, n, timeline.baseline_only)
    toxin = _toxin_exposures(rng, first, n, today, timeline.first_session, exemplar)
    patients = _patients(rng, n, today, who, habits, response, timeline, course)
    return Tables(
        patients=patients,
        diary=diary,
        sessions=sessions,
        preventives=preventives,
        medications=medications,
        conditions=conditions,
        allergies=allergies,
        toxin_exposures=toxin,
        adverse_events=adverse,
    )


def _patients(
    rng: np.random.Generator,
    n: int,
    today: int,
    who: Who,
    habits: Habits,
    response: Response,
    timeline: Timeline,
    course: Course,
) -> Patients:
    """The patient table, with the history of their headaches before the clinic."""
    chronic_since = np.where(
        rng.random(n) < 0.7, timeline.diary_start - rng.integers(120, 3650, n), _NO_DAY
    )
    birth_year = 1970 + (who.birth / 365.2425).astype(np.int64)
    onset_year = np.minimum(birth_year + rng.integers(10, 29, n), 1970 + today // 365)
    first_session = np.where(course.n_sessions > 0, timeline.first_session, _NO_DAY)
    return Patients(
        mrn=who.mrn,
        given_name=who.given.astype(str),
        family_name=who.family,
        sex=who.sex,
        birth_date=_as_dates(who.birth),
        migraine_onset_year=onset_year.astype(np.int16),
        migraine_with_aura=who.with_aura,
        chronic_headache_since=_as_dates(chronic_since),
        stage=course.stage,
        diary_start=_as_dates(timeline.diary_start),
        diary_end=_as_dates(course.diary_end),
        first_session=_as_dates(first_session),
        n_sessions=course.n_sessions.astype(np.int16),
        baseline_rate=habits.baseline_rate,
        migraine_share=habits.migraine_share,
        compliance=habits.compliance,
        overuser=habits.overuser,
        acute_primary=habits.primary,
        acute_secondary=habits.secondary,
        responder_class=response.responder_class,
        target_reduction=response.target,
        max_effect=response.max_effect,
        wearing_off=response.wearing_off,
        wearing_off_depth=response.wo_depth,
        follow_the_pain=response.follow_the_pain,
    )
