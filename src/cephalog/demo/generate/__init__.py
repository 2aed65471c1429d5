"""Synthetic chronic-migraine cohorts for the demo clinic, tests and benchmarks.

Pure and vectorised: numpy only (plus the stdlib-only vocabularies of
`cephalog.domain`), no Django, no I/O, no wall clock. The same `seed`,
`n_patients`, `today` and `years` always give the same cohort.

What a cohort looks like, and where the numbers come from
(../shared/domain/clinical-reference.md, "ref" below):

- Baseline: about 20 +/- 4 headache days per 28 (ref 6.1: 19.9; COMPEL 22.0,
  SD 4.8), most of them migraine days under the day rules of spec section 2;
  about two thirds overusing acute medication (ref 6.1: 64.8 %).
- 2-4 failed oral preventives from different classes (ref 5.4), a few
  cautions (conditions) and interacting medicines (spec section 6 flags).
- 12-weekly sessions of 155 U / 31 sites, some 195 U / 39 sites with
  follow-the-pain (ref 1.2); 10-20 % of intervals longer than 13 weeks.
- Response by cycle shaped like PREEMPT / COMPEL (ref 6.2-6.5): the outcome
  window of spec section 7 (the last 28 days of a cycle) shows a mean
  reduction of about 8-9 headache days and about 45 % >= 50 % responders by
  cycle 2, growing to cycles 3-5; about a quarter non-responders.
- Wearing-off in weeks 9-12 for about half of the patients (ref 7: 44-63 %).
- Adverse events per session at the rates of the label's CM table (ref 2.7),
  dysphagia (a red flag) very rare.
- Diary compliance 85-95 % of days, lower at weekends; a missing day has no
  row; a headache-free day has `headache_hours == 0`.

Patients are generated in chunks of `CHUNK_PATIENTS`, each chunk from its own
seeded generator, so memory stays bounded and `progress(done, total)` is
called once per chunk. Patient 0 is always a typical patient mid-treatment
with a good diary (the demo's patient login).

`generate_cohort` is here; the rest, one module per concern: `codes` (the code tables),
`tables` (the cohort's dataclasses), `history` (generating a chunk, one function per part
of the history, the parts in `people`, `days` and `records`), `stats` (the vectorised day
rules, windows and cohort summary) and `frames` (the cohort as polars DataFrames).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import fields

import numpy as np

from cephalog.demo.generate.codes import (
    ACUTE_CLASSES,
    ACUTE_DRUG_NAMES,
    ACUTE_DRUGS,
    ADVERSE_EVENTS,
    AE_SYMPTOMS,
    CHUNK_PATIENTS,
    COMBINATION,
    CONDITION_CODES,
    CONDITIONS,
    CYCLE_GAIN,
    ERGOT,
    FAMILY_NAMES,
    GEPANT,
    GIVEN_NAMES,
    INTENSITIES,
    LATE_FADE_DAYS,
    LATE_FADE_FROM_DAY,
    MAX_SESSIONS,
    MULTIPLE_THRESHOLD,
    ONSET_DAYS,
    OPIOID,
    OTHER_MEDICATIONS,
    OVERUSE_THRESHOLD_BY_CODE,
    PREVENTIVE_DRUGS,
    PREVENTIVE_OUTCOMES,
    RED_FLAG_SYMPTOMS,
    RESPONDER_CLASSES,
    SEVERITIES,
    SEXES,
    SIMPLE,
    STAGES,
    TOXIN_INDICATIONS,
    TRIPTAN,
    WEARING_OFF_FROM_DAY,
    acute_taken,
    acute_taken_on,
)
from cephalog.demo.generate.history import _generate_chunk
from cephalog.demo.generate.sampling import _to_days
from cephalog.demo.generate.stats import (
    CohortSummary,
    DayClasses,
    WindowCounts,
    classify,
    summarise,
    window_counts,
)
from cephalog.demo.generate.tables import (
    AdverseEvents,
    Allergies,
    Array,
    Cohort,
    Conditions,
    Diary,
    Medications,
    Patients,
    Preventives,
    Sessions,
    Tables,
    ToxinExposures,
    _concat,
)
from cephalog.domain.diary import DAY_FEATURES

Progress = Callable[[int, int], None]

__all__ = [
    "ACUTE_CLASSES",
    "ACUTE_DRUGS",
    "ACUTE_DRUG_NAMES",
    "ADVERSE_EVENTS",
    "AE_SYMPTOMS",
    "CHUNK_PATIENTS",
    "COMBINATION",
    "CONDITIONS",
    "CONDITION_CODES",
    "CYCLE_GAIN",
    "DAY_FEATURES",
    "ERGOT",
    "FAMILY_NAMES",
    "GEPANT",
    "GIVEN_NAMES",
    "INTENSITIES",
    "LATE_FADE_DAYS",
    "LATE_FADE_FROM_DAY",
    "MAX_SESSIONS",
    "MULTIPLE_THRESHOLD",
    "ONSET_DAYS",
    "OPIOID",
    "OTHER_MEDICATIONS",
    "OVERUSE_THRESHOLD_BY_CODE",
    "PREVENTIVE_DRUGS",
    "PREVENTIVE_OUTCOMES",
    "RED_FLAG_SYMPTOMS",
    "RESPONDER_CLASSES",
    "SEVERITIES",
    "SEXES",
    "SIMPLE",
    "STAGES",
    "TOXIN_INDICATIONS",
    "TRIPTAN",
    "WEARING_OFF_FROM_DAY",
    "AdverseEvents",
    "Allergies",
    "Array",
    "Cohort",
    "CohortSummary",
    "Conditions",
    "DayClasses",
    "Diary",
    "Medications",
    "Patients",
    "Preventives",
    "Progress",
    "Sessions",
    "ToxinExposures",
    "WindowCounts",
    "acute_taken",
    "acute_taken_on",
    "classify",
    "generate_cohort",
    "summarise",
    "window_counts",
]


def generate_cohort(
    n_patients: int,
    seed: int,
    today: dt.date,
    years: float = 2.0,
    progress: Progress | None = None,
    *,
    mrn_prefix: str = "DEMO",
) -> Cohort:
    """Generate `n_patients` synthetic patients with up to `years` of history before `today`.

    Deterministic for (n_patients, seed, today, years, mrn_prefix). See the
    package docstring for the shape of the cohort and its sources.
    """
    if n_patients < 0:
        raise ValueError("n_patients must not be negative")
    if years <= 0:
        raise ValueError("years must be positive")
    today_days = _to_days(today)
    span = max(int(round(years * 365.25)), 35)
    parts: list[Tables] = []
    done = 0
    for index, first in enumerate(range(0, n_patients, CHUNK_PATIENTS)):
        size = min(CHUNK_PATIENTS, n_patients - first)
        rng = np.random.default_rng(np.random.SeedSequence([seed, index]))
        parts.append(_generate_chunk(rng, first, size, today_days, span, mrn_prefix))
        done += size
        if progress is not None:
            progress(done, n_patients)
    if not parts:
        parts.append(
            _generate_chunk(np.random.default_rng(seed), 0, 0, today_days, span, mrn_prefix)
        )
    return Cohort(
        n_patients=n_patients,
        seed=seed,
        today=today,
        patients=_concat(Patients, [c.patients for c in parts]),
        diary=_concat(Diary, [c.diary for c in parts]),
        sessions=_concat(Sessions, [c.sessions for c in parts]),
        preventives=_concat(Preventives, [c.preventives for c in parts]),
        medications=_concat(Medications, [c.medications for c in parts]),
        conditions=_concat(Conditions, [c.conditions for c in parts]),
        allergies=_concat(Allergies, [c.allergies for c in parts]),
        toxin_exposures=_concat(ToxinExposures, [c.toxin_exposures for c in parts]),
        adverse_events=_concat(AdverseEvents, _renumbered_adverse_events(parts)),
    )


def _renumbered_adverse_events(parts: list[Tables]) -> list[AdverseEvents]:
    """Each chunk's adverse events with `session` made a row index into all sessions."""
    session_offset = np.cumsum([0] + [len(c.sessions.patient) for c in parts[:-1]])
    return [
        AdverseEvents(
            **{
                f.name: getattr(c.adverse_events, f.name) + off
                if f.name == "session"
                else getattr(c.adverse_events, f.name)
                for f in fields(AdverseEvents)
            }
        )
        for c, off in zip(parts, session_offset, strict=True)
    ]
