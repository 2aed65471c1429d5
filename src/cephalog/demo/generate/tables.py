"""The cohort's tables: columnar numpy arrays, one dataclass per table."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from cephalog.demo.generate.codes import INTENSITIES, acute_taken_on
from cephalog.domain.diary import DAY_FEATURES

if TYPE_CHECKING:
    import polars as pl
    from _typeshed import DataclassInstance

    from cephalog.domain.diary import DiaryDay

Array = NDArray[Any]


@dataclass(frozen=True, slots=True)
class Patients:
    """One row per patient. Dates are datetime64[D]; NaT means none.

    Codes: `sex` indexes SEXES, `stage` STAGES, `responder_class`
    RESPONDER_CLASSES, `acute_primary` / `acute_secondary` ACUTE_CLASSES.
    `baseline_rate` is the expected headache days per 28 before treatment,
    `target_reduction` the designed fraction fewer headache days in the
    outcome window of cycle 2, `max_effect` the plateau effect reached from
    cycle 5, `wearing_off_depth` the share of the effect lost by day 84.
    """

    mrn: Array
    given_name: Array
    family_name: Array
    sex: Array
    birth_date: Array
    migraine_onset_year: Array
    migraine_with_aura: Array
    chronic_headache_since: Array
    stage: Array
    diary_start: Array
    diary_end: Array
    first_session: Array
    n_sessions: Array
    baseline_rate: Array
    migraine_share: Array
    compliance: Array
    overuser: Array
    acute_primary: Array
    acute_secondary: Array
    responder_class: Array
    target_reduction: Array
    max_effect: Array
    wearing_off: Array
    wearing_off_depth: Array
    follow_the_pain: Array


@dataclass(frozen=True, slots=True)
class Diary:
    """One row per recorded diary day, sorted by patient then date.

    `intensity` indexes INTENSITIES (-1: no headache). The acute medicines are
    (rows, 2) arrays, one column per medicine taken that day: `acute_class`
    indexes ACUTE_CLASSES (-1: none), `acute_drug` ACUTE_DRUGS (-1: none),
    `acute_effective` is 1 (worked within 2 h), 0 (did not) or -1 (unknown).
    """

    patient: Array
    date: Array
    headache_hours: Array
    intensity: Array
    unilateral: Array
    pulsating: Array
    aggravated_by_activity: Array
    nausea: Array
    vomiting: Array
    photophobia: Array
    phonophobia: Array
    aura_minutes: Array
    late: Array
    acute_class: Array
    acute_drug: Array
    acute_effective: Array


@dataclass(frozen=True, slots=True)
class Sessions:
    """One row per (completed) injection session, sorted by patient then date."""

    patient: Array
    date: Array
    number: Array
    units: Array
    sites: Array


@dataclass(frozen=True, slots=True)
class Preventives:
    """`drug` indexes PREVENTIVE_DRUGS, `outcome` PREVENTIVE_OUTCOMES."""

    patient: Array
    drug: Array
    start: Array
    stop: Array
    outcome: Array


@dataclass(frozen=True, slots=True)
class Medications:
    """Other (non-headache) medicines; `drug` indexes OTHER_MEDICATIONS."""

    patient: Array
    drug: Array
    start: Array
    stop: Array


@dataclass(frozen=True, slots=True)
class Conditions:
    """`code` indexes CONDITION_CODES."""

    patient: Array
    code: Array
    noted_on: Array
    resolved_on: Array


@dataclass(frozen=True, slots=True)
class Allergies:
    """Botulinum toxin allergies (the only allergy code)."""

    patient: Array


@dataclass(frozen=True, slots=True)
class ToxinExposures:
    """`indication` indexes TOXIN_INDICATIONS."""

    patient: Array
    date: Array
    units: Array
    indication: Array


@dataclass(frozen=True, slots=True)
class AdverseEvents:
    """`session` is a row index into Sessions; `symptom` indexes AE_SYMPTOMS,
    `severity` SEVERITIES."""

    patient: Array
    session: Array
    symptom: Array
    onset: Array
    severity: Array
    serious: Array
    red_flag: Array
    resolved_on: Array


def _concat[T: DataclassInstance](cls: type[T], parts: Sequence[T]) -> T:
    return cls(**{f.name: np.concatenate([getattr(p, f.name) for p in parts]) for f in fields(cls)})


def _take[T: DataclassInstance](table: T, index: Array) -> T:
    return type(table)(**{f.name: getattr(table, f.name)[index] for f in fields(table)})


@dataclass(frozen=True, slots=True)
class Tables:
    """The generated tables of some patients: one chunk of the cohort, or all of it."""

    patients: Patients
    diary: Diary
    sessions: Sessions
    preventives: Preventives
    medications: Medications
    conditions: Conditions
    allergies: Allergies
    toxin_exposures: ToxinExposures
    adverse_events: AdverseEvents


@dataclass(frozen=True, slots=True)
class Cohort(Tables):
    """A generated cohort: columnar numpy tables, patient indices 0..n-1."""

    n_patients: int
    seed: int
    today: dt.date

    def to_polars(self) -> dict[str, pl.DataFrame]:
        """The cohort as polars DataFrames keyed by table name, codes decoded to strings."""
        from cephalog.demo.generate.frames import cohort_frames

        return cohort_frames(self)

    def patient_rows(self, patient: int) -> slice:
        """The diary rows of one patient (rows are sorted by patient)."""
        lo, hi = np.searchsorted(self.diary.patient, [patient, patient + 1])
        return slice(int(lo), int(hi))

    def session_rows(self, patient: int) -> slice:
        """The session rows of one patient (rows are sorted by patient)."""
        lo, hi = np.searchsorted(self.sessions.patient, [patient, patient + 1])
        return slice(int(lo), int(hi))

    def diary_days(self, patient: int) -> dict[dt.date, DiaryDay]:
        """One patient's diary as the domain's `DiaryDay`s, keyed by date (spec section 1)."""
        from cephalog.domain.diary import AcuteMedication, DiaryDay

        rows = self.patient_rows(patient)
        d = type(self.diary)(**{f.name: getattr(self.diary, f.name)[rows] for f in fields(Diary)})
        days: dict[dt.date, DiaryDay] = {}
        dates = d.date.astype(object).tolist()
        cols = {
            name: getattr(d, name).tolist()
            for name in (
                "headache_hours",
                "intensity",
                *DAY_FEATURES,
                "aura_minutes",
                "acute_class",
                "acute_drug",
                "acute_effective",
            )
        }
        for i, date in enumerate(dates):
            meds = tuple(AcuteMedication(**taken) for taken in acute_taken_on(cols, i))
            intensity = cols["intensity"][i]
            days[date] = DiaryDay(
                date=date,
                headache_hours=float(cols["headache_hours"][i]),
                peak_intensity=INTENSITIES[intensity] if intensity >= 0 else None,
                **{name: cols[name][i] for name in DAY_FEATURES},
                aura_minutes=int(cols["aura_minutes"][i]),
                acute_medications=meds,
            )
        return days
