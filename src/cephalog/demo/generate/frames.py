"""The cohort as polars DataFrames, codes decoded to strings (`Cohort.to_polars`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

from cephalog.demo.generate.codes import (
    ACUTE_CLASSES,
    ACUTE_DRUG_NAMES,
    AE_SYMPTOMS,
    CONDITION_CODES,
    INTENSITIES,
    OTHER_MEDICATIONS,
    PREVENTIVE_DRUGS,
    PREVENTIVE_OUTCOMES,
    RESPONDER_CLASSES,
    SEVERITIES,
    SEXES,
    STAGES,
    TOXIN_INDICATIONS,
)
from cephalog.domain.diary import DAY_FEATURES

if TYPE_CHECKING:
    from cephalog.demo.generate.tables import (
        Array,
        Cohort,
        Diary,
        Medications,
        Patients,
        Preventives,
    )


def cohort_frames(cohort: Cohort) -> dict[str, pl.DataFrame]:
    """One DataFrame per table, keyed by table name."""
    return {
        "patients": _patients(cohort.patients, cohort.n_patients),
        "diary": _diary(cohort.diary),
        "sessions": _sessions(cohort),
        "preventives": _preventives(cohort),
        "medications": _medications(cohort),
        "conditions": _conditions(cohort),
        "allergies": pl.DataFrame({"patient": cohort.allergies.patient}),
        "toxin_exposures": _toxin_exposures(cohort),
        "adverse_events": _adverse_events(cohort),
    }


def _codes(values: Array, table: Sequence[str]) -> pl.Series:
    """Codes decoded through `table`; a negative code is null."""
    lookup = pl.Series(list(table), dtype=pl.String)
    idx = pl.Series(values.astype(np.int64))
    return lookup.gather(idx.set(idx < 0, None))


def _patients(p: Patients, n_patients: int) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "patient": np.arange(n_patients, dtype=np.int32),
            "mrn": p.mrn,
            "given_name": p.given_name,
            "family_name": p.family_name,
            "sex": _codes(p.sex, SEXES),
            "birth_date": p.birth_date,
            "migraine_onset_year": p.migraine_onset_year,
            "migraine_with_aura": p.migraine_with_aura,
            "chronic_headache_since": p.chronic_headache_since,
            "stage": _codes(p.stage, STAGES),
            "diary_start": p.diary_start,
            "diary_end": p.diary_end,
            "first_session": p.first_session,
            "n_sessions": p.n_sessions,
            "baseline_rate": p.baseline_rate,
            "migraine_share": p.migraine_share,
            "compliance": p.compliance,
            "overuser": p.overuser,
            "acute_primary": _codes(p.acute_primary, ACUTE_CLASSES),
            "acute_secondary": _codes(p.acute_secondary, ACUTE_CLASSES),
            "responder_class": _codes(p.responder_class, RESPONDER_CLASSES),
            "target_reduction": p.target_reduction,
            "max_effect": p.max_effect,
            "wearing_off": p.wearing_off,
            "wearing_off_depth": p.wearing_off_depth,
            "follow_the_pain": p.follow_the_pain,
        }
    )


def _diary(d: Diary) -> pl.DataFrame:
    diary: dict[str, Any] = {
        "patient": d.patient,
        "date": d.date,
        "headache_hours": d.headache_hours,
        "peak_intensity": _codes(d.intensity, INTENSITIES),
        **{name: getattr(d, name) for name in DAY_FEATURES},
        "aura_minutes": d.aura_minutes,
        "late": d.late,
    }
    for slot in (0, 1):
        effective = d.acute_effective[:, slot]
        diary[f"acute{slot + 1}_name"] = _codes(d.acute_drug[:, slot], ACUTE_DRUG_NAMES)
        diary[f"acute{slot + 1}_class"] = _codes(d.acute_class[:, slot], ACUTE_CLASSES)
        diary[f"acute{slot + 1}_effective"] = pl.Series(effective == 1).set(
            pl.Series(effective < 0), None
        )
    return pl.DataFrame(diary)


def _sessions(cohort: Cohort) -> pl.DataFrame:
    s = cohort.sessions
    return pl.DataFrame(
        {
            "session": np.arange(len(s.patient), dtype=np.int32),
            "patient": s.patient,
            "date": s.date,
            "number": s.number,
            "units": s.units,
            "sites": s.sites,
        }
    )


def _drug_columns(
    drugs: Preventives | Medications, catalogue: Sequence[tuple[str, str, Any]]
) -> dict[str, Any]:
    """patient, name, class, start and stop of drug rows whose `drug` indexes `catalogue`
    (name, class, ...)."""
    return {
        "patient": drugs.patient,
        "name": _codes(drugs.drug, [name for name, _, _ in catalogue]),
        "class": _codes(drugs.drug, [drug_class for _, drug_class, _ in catalogue]),
        "start": drugs.start,
        "stop": drugs.stop,
    }


def _preventives(cohort: Cohort) -> pl.DataFrame:
    p = cohort.preventives
    return pl.DataFrame(
        {
            **_drug_columns(p, PREVENTIVE_DRUGS),
            "outcome": _codes(p.outcome, PREVENTIVE_OUTCOMES),
        }
    )


def _medications(cohort: Cohort) -> pl.DataFrame:
    return pl.DataFrame(_drug_columns(cohort.medications, OTHER_MEDICATIONS))


def _conditions(cohort: Cohort) -> pl.DataFrame:
    c = cohort.conditions
    return pl.DataFrame(
        {
            "patient": c.patient,
            "code": _codes(c.code, CONDITION_CODES),
            "noted_on": c.noted_on,
            "resolved_on": c.resolved_on,
        }
    )


def _toxin_exposures(cohort: Cohort) -> pl.DataFrame:
    t = cohort.toxin_exposures
    return pl.DataFrame(
        {
            "patient": t.patient,
            "date": t.date,
            "units": t.units,
            "indication": _codes(t.indication, [i for i, _ in TOXIN_INDICATIONS]),
        }
    )


def _adverse_events(cohort: Cohort) -> pl.DataFrame:
    ae = cohort.adverse_events
    return pl.DataFrame(
        {
            "patient": ae.patient,
            "session": ae.session,
            "symptom": _codes(ae.symptom, AE_SYMPTOMS),
            "onset": ae.onset,
            "severity": _codes(ae.severity, SEVERITIES),
            "serious": ae.serious,
            "red_flag": ae.red_flag,
            "resolved_on": ae.resolved_on,
        }
    )
