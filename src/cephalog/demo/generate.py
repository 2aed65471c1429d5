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
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

if TYPE_CHECKING:
    import polars as pl
    from _typeshed import DataclassInstance

    from cephalog.domain.diary import DiaryDay

Progress = Callable[[int, int], None]

#: Patients generated per chunk (one progress call each).
CHUNK_PATIENTS = 1000
#: At most this many sessions per patient (COMPEL: 9 cycles, ref 6.5).
MAX_SESSIONS = 9

_EPOCH = np.datetime64("1970-01-01", "D")
_NO_DAY = np.iinfo(np.int32).max  # "no date" in the internal int-day arrays

# --- code tables: small ints in the arrays, strings here -------------------------------

SEXES: tuple[str, ...] = ("female", "male", "other")
STAGES: tuple[str, ...] = ("baseline", "active", "stopped")
RESPONDER_CLASSES: tuple[str, ...] = ("non_responder", "partial", "responder")
#: Diary intensity codes; -1 in the arrays means no headache (no intensity).
INTENSITIES: tuple[str, ...] = ("mild", "moderate", "severe")
#: Acute medication classes used by the generator; -1 in the arrays means none.
ACUTE_CLASSES: tuple[str, ...] = (
    "triptan",
    "simple_analgesic",
    "combination_analgesic",
    "opioid",
    "gepant",
    "ergot",
)
TRIPTAN, SIMPLE, COMBINATION, OPIOID, GEPANT, ERGOT = range(6)
_MIGRAINE_SPECIFIC = (TRIPTAN, ERGOT)
_OVERUSE_COUNTED = (TRIPTAN, SIMPLE, COMBINATION, OPIOID, ERGOT)
#: Per-28 overuse thresholds by class code (spec section 5).
OVERUSE_THRESHOLD_BY_CODE: dict[int, int] = {
    TRIPTAN: 10,
    SIMPLE: 15,
    COMBINATION: 10,
    OPIOID: 10,
    ERGOT: 10,
}
MULTIPLE_THRESHOLD = 10

#: (name, class code) of the acute drugs; a patient uses one drug per class.
ACUTE_DRUGS: tuple[tuple[str, int], ...] = (
    ("sumatriptan", TRIPTAN),
    ("rizatriptan", TRIPTAN),
    ("zolmitriptan", TRIPTAN),
    ("eletriptan", TRIPTAN),
    ("naratriptan", TRIPTAN),
    ("ibuprofen", SIMPLE),
    ("paracetamol", SIMPLE),
    ("naproxen", SIMPLE),
    ("aspirin", SIMPLE),
    ("paracetamol/caffeine", COMBINATION),
    ("aspirin/paracetamol/caffeine", COMBINATION),
    ("co-codamol", COMBINATION),
    ("codeine", OPIOID),
    ("tramadol", OPIOID),
    ("rimegepant", GEPANT),
    ("ubrogepant", GEPANT),
    ("ergotamine", ERGOT),
)
ACUTE_DRUG_NAMES: tuple[str, ...] = tuple(name for name, _ in ACUTE_DRUGS)
_ACUTE_DRUG_CLASS = np.array([c for _, c in ACUTE_DRUGS], dtype=np.int8)

PREVENTIVE_OUTCOMES: tuple[str, ...] = (
    "inadequate_response",
    "intolerance",
    "contraindicated",
    "effective",
    "ongoing",
)
_INADEQUATE, _INTOLERANCE, _CONTRAINDICATED, _EFFECTIVE, _ONGOING = range(5)

#: (name, class, typical dose) of the preventives (ref 5.4).
PREVENTIVE_DRUGS: tuple[tuple[str, str, str], ...] = (
    ("topiramate", "antiepileptic", "50 mg twice daily"),
    ("sodium valproate", "antiepileptic", "500 mg twice daily"),
    ("propranolol", "beta_blocker", "80 mg modified-release daily"),
    ("metoprolol", "beta_blocker", "100 mg daily"),
    ("bisoprolol", "beta_blocker", "5 mg daily"),
    ("amitriptyline", "antidepressant", "25 mg at night"),
    ("nortriptyline", "antidepressant", "25 mg at night"),
    ("venlafaxine", "antidepressant", "75 mg daily"),
    ("candesartan", "arb_ace", "16 mg daily"),
    ("lisinopril", "arb_ace", "10 mg daily"),
    ("flunarizine", "calcium_channel_blocker", "10 mg at night"),
    ("erenumab", "cgrp_mab", "140 mg monthly"),
    ("fremanezumab", "cgrp_mab", "225 mg monthly"),
    ("galcanezumab", "cgrp_mab", "120 mg monthly"),
)
#: The oral preventive classes a patient has failed before toxin (index ranges into
#: PREVENTIVE_DRUGS) and how often each class is tried.
_ORAL_CLASSES: tuple[tuple[int, int], ...] = ((0, 2), (2, 5), (5, 8), (8, 10), (10, 11))
_ORAL_CLASS_WEIGHT = np.array([0.9, 0.85, 0.9, 0.5, 0.3])
_CGRP_DRUGS = (11, 14)

#: (name, class, chronic) of other medicines; `chronic` ones have no stop date.
OTHER_MEDICATIONS: tuple[tuple[str, str, bool], ...] = (
    ("levothyroxine", "other", True),
    ("sertraline", "other", True),
    ("omeprazole", "other", True),
    ("combined oral contraceptive", "other", True),
    ("salbutamol inhaler", "other", True),
    ("atorvastatin", "other", True),
    ("cetirizine", "other", True),
    ("colecalciferol", "other", True),
    # interacting with botulinum toxin (spec section 6 flags)
    ("baclofen", "muscle_relaxant", True),
    ("tizanidine", "muscle_relaxant", True),
    ("oxybutynin", "anticholinergic", True),
    ("solifenacin", "anticholinergic", True),
    ("gentamicin", "aminoglycoside", False),
)
_N_COMMON_MEDS = 8

#: (condition, share of patients); cautions of spec section 6, all rare.
CONDITIONS: tuple[tuple[str, float], ...] = (
    ("respiratory_compromise", 0.02),
    ("dysphagia", 0.008),
    ("pregnancy", 0.006),
    ("breastfeeding", 0.008),
    ("immunocompromised", 0.01),
    ("multiple_sclerosis", 0.005),
    ("myasthenia_gravis", 0.002),
    ("motor_neuropathy", 0.002),
    ("injection_site_infection", 0.003),
)
CONDITION_CODES: tuple[str, ...] = tuple(code for code, _ in CONDITIONS)

#: (indication, units) of botulinum toxin given for other reasons.
TOXIN_INDICATIONS: tuple[tuple[str, int], ...] = (
    ("glabellar_lines", 20),
    ("axillary_hyperhidrosis", 100),
)

#: (symptom, rate per session, onset window in days): the label's CM table (ref 2.7),
#: coded with the symptom vocabulary of `cephalog.domain.safety`. Myalgia and
#: musculoskeletal pain (3 % each) share `muscle_pain`; bronchitis, hypertension and
#: muscle spasms have no code there and are left out. Dysphagia is the very rare red
#: flag (ref 2.3; "<1 %" in ref 2.7).
ADVERSE_EVENTS: tuple[tuple[str, float, int, int], ...] = (
    ("neck_pain", 0.09, 0, 5),
    ("eyelid_ptosis", 0.04, 3, 10),
    ("headache_worse", 0.05, 0, 3),
    ("migraine_worse", 0.04, 0, 7),
    ("facial_weakness", 0.02, 3, 10),
    ("musculoskeletal_stiffness", 0.04, 0, 7),
    ("muscle_weakness_local", 0.04, 2, 10),
    ("muscle_pain", 0.06, 0, 7),
    ("injection_site_pain", 0.03, 0, 1),
    ("dysphagia", 0.002, 2, 10),
)
#: Red-flag symptoms (possible distant spread of toxin effect, ref 2.3).
RED_FLAG_SYMPTOMS: frozenset[str] = frozenset({"dysphagia"})
AE_SYMPTOMS: tuple[str, ...] = tuple(s for s, *_ in ADVERSE_EVENTS)
_DYSPHAGIA = AE_SYMPTOMS.index("dysphagia")
_RED_FLAG_CODES = [i for i, s in enumerate(AE_SYMPTOMS) if s in RED_FLAG_SYMPTOMS]
_MIGRAINE_AE = AE_SYMPTOMS.index("migraine_worse")
SEVERITIES: tuple[str, ...] = ("mild", "moderate", "severe")

# Obviously fake, pleasant names.
GIVEN_NAMES: tuple[tuple[str, ...], ...] = (
    (  # female
        "Amelia", "Beatrice", "Clara", "Daisy", "Eleanor", "Freya", "Grace", "Hazel",
        "Iris", "Juniper", "Lily", "Maisie", "Nora", "Olive", "Poppy", "Rosa", "Sophie",
        "Tess", "Violet", "Willow", "Ada", "Esme", "Ivy", "Mabel",
    ),
    (  # male
        "Arthur", "Benedict", "Caspian", "Declan", "Edmund", "Felix", "Gideon", "Hugo",
        "Ivor", "Jasper", "Laurence", "Miles", "Noel", "Otto", "Percy", "Silas", "Theo",
    ),
    ("Alex", "Robin", "Sasha", "Jules", "Quinn", "Rowan"),  # other
)  # fmt: skip
FAMILY_NAMES: tuple[str, ...] = (
    "Applebloom", "Bramblewick", "Buttercombe", "Cloudberry", "Dandelion", "Elderbrook",
    "Fernhollow", "Foxglove", "Hazelnut", "Honeydew", "Juniperwood", "Larkspur",
    "Marigold", "Meadowlark", "Moonbeam", "Oakhollow", "Pebblebrook", "Primrose",
    "Quillfeather", "Rainford", "Rosemead", "Saffron", "Snowberry", "Sunnydale",
    "Thistledown", "Tumblebrook", "Wildflower", "Willowbrook", "Wrenfield", "Puddlefoot",
)  # fmt: skip

# --- the response model ----------------------------------------------------------------

#: Share of the full effect reached in cycle k (index k; 0 = before treatment): gains
#: grow to cycles 3-5 (ref 6.4, 6.5).
CYCLE_GAIN = np.array([0.0, 0.72, 0.85, 0.93, 0.97, 1.0, 1.0, 1.0, 1.0, 1.0], dtype=np.float32)
#: Wearing-off starts in week 9 (day 56 after the injection, ref 7).
WEARING_OFF_FROM_DAY = 56
#: Without wearing-off the effect fades after 13 weeks, over about 5 weeks.
LATE_FADE_FROM_DAY, LATE_FADE_DAYS = 91, 35
#: Onset: the effect builds up over the first 10 days of a cycle.
ONSET_DAYS = 10


# --- the cohort ------------------------------------------------------------------------

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
class Cohort:
    """A generated cohort: columnar numpy tables, patient indices 0..n-1."""

    n_patients: int
    seed: int
    today: dt.date
    patients: Patients
    diary: Diary
    sessions: Sessions
    preventives: Preventives
    medications: Medications
    conditions: Conditions
    allergies: Allergies
    toxin_exposures: ToxinExposures
    adverse_events: AdverseEvents

    def to_polars(self) -> dict[str, pl.DataFrame]:
        """The cohort as polars DataFrames keyed by table name, codes decoded to strings."""
        import polars as pl

        def codes(values: Array, table: Sequence[str]) -> pl.Series:
            lookup = pl.Series(list(table), dtype=pl.String)
            idx = pl.Series(values.astype(np.int64))
            return lookup.gather(idx.set(idx < 0, None))

        p, d, s = self.patients, self.diary, self.sessions
        patients = pl.DataFrame(
            {
                "patient": np.arange(self.n_patients, dtype=np.int32),
                "mrn": p.mrn,
                "given_name": p.given_name,
                "family_name": p.family_name,
                "sex": codes(p.sex, SEXES),
                "birth_date": p.birth_date,
                "migraine_onset_year": p.migraine_onset_year,
                "migraine_with_aura": p.migraine_with_aura,
                "chronic_headache_since": p.chronic_headache_since,
                "stage": codes(p.stage, STAGES),
                "diary_start": p.diary_start,
                "diary_end": p.diary_end,
                "first_session": p.first_session,
                "n_sessions": p.n_sessions,
                "baseline_rate": p.baseline_rate,
                "migraine_share": p.migraine_share,
                "compliance": p.compliance,
                "overuser": p.overuser,
                "acute_primary": codes(p.acute_primary, ACUTE_CLASSES),
                "acute_secondary": codes(p.acute_secondary, ACUTE_CLASSES),
                "responder_class": codes(p.responder_class, RESPONDER_CLASSES),
                "target_reduction": p.target_reduction,
                "max_effect": p.max_effect,
                "wearing_off": p.wearing_off,
                "wearing_off_depth": p.wearing_off_depth,
                "follow_the_pain": p.follow_the_pain,
            }
        )
        diary: dict[str, Any] = {
            "patient": d.patient,
            "date": d.date,
            "headache_hours": d.headache_hours,
            "peak_intensity": codes(d.intensity, INTENSITIES),
            "unilateral": d.unilateral,
            "pulsating": d.pulsating,
            "aggravated_by_activity": d.aggravated_by_activity,
            "nausea": d.nausea,
            "vomiting": d.vomiting,
            "photophobia": d.photophobia,
            "phonophobia": d.phonophobia,
            "aura_minutes": d.aura_minutes,
            "late": d.late,
        }
        for slot in (0, 1):
            effective = d.acute_effective[:, slot]
            diary[f"acute{slot + 1}_name"] = codes(d.acute_drug[:, slot], ACUTE_DRUG_NAMES)
            diary[f"acute{slot + 1}_class"] = codes(d.acute_class[:, slot], ACUTE_CLASSES)
            diary[f"acute{slot + 1}_effective"] = pl.Series(effective == 1).set(
                pl.Series(effective < 0), None
            )
        return {
            "patients": patients,
            "diary": pl.DataFrame(diary),
            "sessions": pl.DataFrame(
                {
                    "session": np.arange(len(s.patient), dtype=np.int32),
                    "patient": s.patient,
                    "date": s.date,
                    "number": s.number,
                    "units": s.units,
                    "sites": s.sites,
                }
            ),
            "preventives": pl.DataFrame(
                {
                    "patient": self.preventives.patient,
                    "name": codes(self.preventives.drug, [n for n, _, _ in PREVENTIVE_DRUGS]),
                    "class": codes(self.preventives.drug, [c for _, c, _ in PREVENTIVE_DRUGS]),
                    "start": self.preventives.start,
                    "stop": self.preventives.stop,
                    "outcome": codes(self.preventives.outcome, PREVENTIVE_OUTCOMES),
                }
            ),
            "medications": pl.DataFrame(
                {
                    "patient": self.medications.patient,
                    "name": codes(self.medications.drug, [n for n, _, _ in OTHER_MEDICATIONS]),
                    "class": codes(self.medications.drug, [c for _, c, _ in OTHER_MEDICATIONS]),
                    "start": self.medications.start,
                    "stop": self.medications.stop,
                }
            ),
            "conditions": pl.DataFrame(
                {
                    "patient": self.conditions.patient,
                    "code": codes(self.conditions.code, CONDITION_CODES),
                    "noted_on": self.conditions.noted_on,
                    "resolved_on": self.conditions.resolved_on,
                }
            ),
            "allergies": pl.DataFrame({"patient": self.allergies.patient}),
            "toxin_exposures": pl.DataFrame(
                {
                    "patient": self.toxin_exposures.patient,
                    "date": self.toxin_exposures.date,
                    "units": self.toxin_exposures.units,
                    "indication": codes(
                        self.toxin_exposures.indication, [i for i, _ in TOXIN_INDICATIONS]
                    ),
                }
            ),
            "adverse_events": pl.DataFrame(
                {
                    "patient": self.adverse_events.patient,
                    "session": self.adverse_events.session,
                    "symptom": codes(self.adverse_events.symptom, AE_SYMPTOMS),
                    "onset": self.adverse_events.onset,
                    "severity": codes(self.adverse_events.severity, SEVERITIES),
                    "serious": self.adverse_events.serious,
                    "red_flag": self.adverse_events.red_flag,
                    "resolved_on": self.adverse_events.resolved_on,
                }
            ),
        }

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
                "unilateral",
                "pulsating",
                "aggravated_by_activity",
                "nausea",
                "vomiting",
                "photophobia",
                "phonophobia",
                "aura_minutes",
                "acute_class",
                "acute_drug",
                "acute_effective",
            )
        }
        for i, date in enumerate(dates):
            meds = tuple(
                AcuteMedication(
                    name=ACUTE_DRUG_NAMES[drug],
                    drug_class=ACUTE_CLASSES[cls],
                    effective=None if eff < 0 else eff == 1,
                )
                for cls, drug, eff in zip(
                    cols["acute_class"][i],
                    cols["acute_drug"][i],
                    cols["acute_effective"][i],
                    strict=True,
                )
                if cls >= 0
            )
            intensity = cols["intensity"][i]
            days[date] = DiaryDay(
                date=date,
                headache_hours=float(cols["headache_hours"][i]),
                peak_intensity=INTENSITIES[intensity] if intensity >= 0 else None,
                unilateral=cols["unilateral"][i],
                pulsating=cols["pulsating"][i],
                aggravated_by_activity=cols["aggravated_by_activity"][i],
                nausea=cols["nausea"][i],
                vomiting=cols["vomiting"][i],
                photophobia=cols["photophobia"][i],
                phonophobia=cols["phonophobia"][i],
                aura_minutes=int(cols["aura_minutes"][i]),
                acute_medications=meds,
            )
        return days


# --- vectorised day rules and windows (mirror of cephalog.domain, for statistics) -------


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
    p, s = cohort.patients, cohort.sessions
    today = np.datetime64(cohort.today, "D")
    one = np.timedelta64(1, "D")
    n = cohort.n_patients
    has_session = ~np.isnat(p.first_session)
    b_end = np.where(has_session, p.first_session - one, today)
    baseline = window_counts(cohort, classes, np.arange(n), b_end - np.timedelta64(27, "D"), b_end)
    per28 = baseline.class_days * 28 / np.maximum(baseline.recorded_days, 1)[:, None]
    overuse = np.zeros(n, dtype=bool)
    for code, threshold in OVERUSE_THRESHOLD_BY_CODE.items():
        overuse |= per28[:, code] >= threshold
    overuse |= (
        baseline.overuse_medication_days * 28 / np.maximum(baseline.recorded_days, 1)
        >= MULTIPLE_THRESHOLD
    )
    overuse &= baseline.evaluable

    # compliance over each patient's diary span
    span = _days(p.diary_end) - _days(p.diary_start) + 1
    recorded = np.bincount(cohort.diary.patient, minlength=n)
    weekend_rows = (_days(cohort.diary.date) + 3) % 7 >= 5
    total_weekend = int(_weekend_days(_days(p.diary_start), span).sum())
    total_weekday = int(span.sum()) - total_weekend

    # cycle outcome windows (spec section 7)
    nxt = np.full(len(s.patient), np.datetime64("NaT", "D"), dtype="datetime64[D]")
    same = s.patient[1:] == s.patient[:-1]
    nxt[:-1][same] = s.date[1:][same]
    end = s.date + np.timedelta64(83, "D")
    end = np.where(~np.isnat(nxt) & (nxt - one < end), nxt - one, end)
    cycles = window_counts(cohort, classes, s.patient, end - np.timedelta64(27, "D"), end)
    complete: Array = np.asarray(end <= today)
    b28 = baseline.per_28(baseline.headache_days)[s.patient]
    c28 = cycles.per_28(cycles.headache_days)
    with np.errstate(divide="ignore", invalid="ignore"):
        reduction = np.where(complete & (b28 > 0), (b28 - c28) / b28 * 100, np.nan)

    # wearing-off: weeks 5-8 against weeks 9-12 (spec section 7)
    w58 = window_counts(
        cohort,
        classes,
        s.patient,
        s.date + np.timedelta64(28, "D"),
        s.date + np.timedelta64(55, "D"),
    )
    w912 = window_counts(
        cohort,
        classes,
        s.patient,
        s.date + np.timedelta64(56, "D"),
        s.date + np.timedelta64(83, "D"),
    )
    rise = w912.per_28(w912.headache_days) - w58.per_28(w58.headache_days)
    short = ~np.isnat(nxt) & (nxt < s.date + np.timedelta64(84, "D"))
    wo = np.where(rise >= 3, 1, 0).astype(np.int8)
    wo[np.isnan(rise) | short | ~complete] = -1

    return CohortSummary(
        baseline=baseline,
        baseline_overuse=overuse,
        recorded_days=recorded,
        expected_days=span,
        weekday_compliance=float((~weekend_rows).sum() / max(total_weekday, 1)),
        weekend_compliance=float(weekend_rows.sum() / max(total_weekend, 1)),
        cycles=cycles,
        cycle_number=s.number,
        cycle_complete=complete,
        reduction_pct=reduction,
        wearing_off=wo,
    )


def _weekend_days(start_days: Array, span: Array) -> Array:
    """Saturdays and Sundays among `span` days from each start day."""
    full, rest = span // 7, span % 7
    extra = np.zeros_like(span)
    for k in range(6):
        extra += (k < rest) & ((start_days + k + 3) % 7 >= 5)
    return 2 * full + extra


# --- generation ------------------------------------------------------------------------


def _to_days(date: dt.date) -> int:
    return (date - dt.date(1970, 1, 1)).days


def _weekday(days: Array) -> Array:
    """Monday = 0 ... Sunday = 6 for int days since 1970-01-01 (a Thursday)."""
    return (days + 3) % 7


def _clinic_day(days: Array, today: int) -> Array:
    """Move a Saturday back to Friday and a Sunday on to Monday (not past `today`)."""
    wd = _weekday(days)
    out = np.where(wd == 5, days - 1, np.where(wd == 6, days + 1, days))
    return np.where((wd == 6) & (out > today), days - 2, out)


def _as_dates(days: Array) -> Array:
    out = days.astype("datetime64[D]")
    out[days == _NO_DAY] = np.datetime64("NaT", "D")
    return out


def _half_hours(hours: Array) -> Array:
    return (np.round(hours * 2) / 2).astype(np.float32)


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
    module docstring for the shape of the cohort and its sources.
    """
    if n_patients < 0:
        raise ValueError("n_patients must not be negative")
    if years <= 0:
        raise ValueError("years must be positive")
    today_days = _to_days(today)
    span = max(int(round(years * 365.25)), 35)
    parts: list[_Chunk] = []
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
    session_offset = np.cumsum([0] + [len(c.sessions.patient) for c in parts[:-1]])
    adverse = [
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
        adverse_events=_concat(AdverseEvents, adverse),
    )


@dataclass(frozen=True, slots=True)
class _Chunk:
    patients: Patients
    diary: Diary
    sessions: Sessions
    preventives: Preventives
    medications: Medications
    conditions: Conditions
    allergies: Allergies
    toxin_exposures: ToxinExposures
    adverse_events: AdverseEvents


def _pick(rng: np.random.Generator, n: int, probs: Sequence[float]) -> Array:
    """n category codes drawn with the given probabilities (int8)."""
    cum = np.cumsum(probs)
    return np.searchsorted(cum / cum[-1], rng.random(n), side="right").astype(np.int8)


def _uniform_int(rng: np.random.Generator, low: Array | int, high: Array | int, n: int) -> Array:
    """Integers in [low, high] inclusive, elementwise."""
    low_a = np.asarray(low, dtype=np.float64)
    high_a = np.asarray(high, dtype=np.float64)
    return (low_a + np.floor(rng.random(n) * (high_a - low_a + 1))).astype(np.int64)


def _generate_chunk(
    rng: np.random.Generator, first: int, n: int, today: int, span: int, mrn_prefix: str
) -> _Chunk:
    exemplar = first == 0 and n > 0  # patient 0: the demo's patient login

    # --- who ---------------------------------------------------------------------------
    sex = _pick(rng, n, (0.86, 0.13, 0.01))  # ref 6.1: 87.6 % female
    age_years = np.clip(rng.normal(42.0, 11.0, n), 19, 74)
    birth = today - (age_years * 365.25).astype(np.int64)
    given_lists = [np.array(names) for names in GIVEN_NAMES]
    gi = rng.integers(0, 1 << 30, n)
    given = np.empty(n, dtype=object)
    for code, names in enumerate(given_lists):
        sel = sex == code
        given[sel] = names[gi[sel] % len(names)]
    family = np.array(FAMILY_NAMES)[rng.integers(0, len(FAMILY_NAMES), n)]
    mrn = np.array([f"{mrn_prefix}-{first + i + 1:05d}" for i in range(n)])
    with_aura = rng.random(n) < 0.25

    # --- baseline parameters --------------------------------------------------------------
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
    # the drug each patient uses in each class: (n, classes) -> index into ACUTE_DRUGS
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

    # --- response profile (ref 6.2-6.5, 7) --------------------------------------------------
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

    # --- timeline ----------------------------------------------------------------------------
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

    if exemplar:
        # Typical patient mid-treatment with a good diary: 4 sessions, in cycle 4.
        sex[0], given[0], with_aura[0] = 0, given_lists[0][gi[0] % len(given_lists[0])], False
        baseline_rate[0], migraine_share[0], compliance[0] = 21.0, 0.88, 0.97
        overuser[0], primary[0], secondary[0], treat_share[0], relief[0] = (
            True, TRIPTAN, SIMPLE, 0.75, 0.75,
        )  # fmt: skip
        responder_class[0], target[0], wearing_off[0], wo_depth[0] = 2, 0.5, True, 0.45
        max_effect[0] = target[0] / (CYCLE_GAIN[2] * (1 - 0.48 * wo_depth[0]))
        follow_the_pain[0], baseline_only[0], stop_after[0] = False, False, MAX_SESSIONS
        birth[0] = today - int(41.5 * 365.25)
        sessions[0] = _clinic_day(today - 45 - 84 * np.arange(3, -6, -1), today)
        first_session[0] = sessions[0, 0]
        diary_start[0] = first_session[0] - 63

    valid_session = (
        (sessions <= today)
        & (np.arange(MAX_SESSIONS)[None, :] < stop_after[:, None])
        & ~baseline_only[:, None]
    )
    n_sessions = valid_session.sum(axis=1)
    sessions = np.where(valid_session, sessions, _NO_DAY)
    last = np.where(n_sessions > 0, sessions[np.arange(n), np.maximum(n_sessions - 1, 0)], _NO_DAY)
    stopped = (n_sessions > 0) & (n_sessions == stop_after) & (last + 91 < today)
    stage = np.where(baseline_only, 0, np.where(stopped, 2, 1)).astype(np.int8)
    lag = _pick(rng, n, (0.35, 0.5, 0.08, 0.04, 0.03)).astype(np.int64)  # not filled in yet
    diary_end = today - lag
    diary_end = np.where(
        stopped, np.minimum(diary_end, last + 84 + rng.integers(0, 43, n)), diary_end
    )
    diary_end = np.maximum(diary_end, diary_start)
    if exemplar:
        diary_end[0] = today - 1
    # a holiday gap of 5-14 days for some, after the first weeks of treatment
    gap_len = rng.integers(5, 15, n)
    gap_room = diary_end - (first_session + 14) - gap_len
    has_gap = (rng.random(n) < 0.25) & (gap_room > 0) & ~baseline_only
    if exemplar:
        has_gap[0] = False
    gap_start = np.where(
        has_gap, first_session + 14 + np.floor(rng.random(n) * np.maximum(gap_room, 1)), _NO_DAY
    ).astype(np.int64)

    # --- the diary grid: patients x days -----------------------------------------------------
    length = (diary_end - diary_start + 1).astype(np.int64)
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
    depth = wo_depth[:, None]

    def plateau(d: Array) -> Array:
        fade_wo = 1 - depth * (d - WEARING_OFF_FROM_DAY) / 28
        fade_late = 1 - (d - LATE_FADE_FROM_DAY) / LATE_FADE_DAYS
        clipped: Array = np.clip(np.minimum(fade_wo, fade_late), 0, 1)
        return clipped

    start_level = np.where(cycle >= 2, plateau(prev_interval), 0.3)
    onset = np.minimum(1, start_level + (1 - start_level) * since / ONSET_DAYS)
    shape = np.minimum(onset, plateau(since))
    effect = max_effect[:, None] * CYCLE_GAIN[cycle] * shape
    p_headache_day = np.clip(baseline_rate[:, None] / 28 * (1 - effect), 0, 0.98)

    weekend = _weekday(day) >= 5
    p_recorded = np.where(
        weekend,
        compliance[:, None] - 0.085,
        np.minimum(compliance[:, None] + 0.034, 0.995),
    )
    recorded = in_diary & (rng.random(day.shape, dtype=np.float32) < p_recorded)
    recorded &= ~((day >= gap_start[:, None]) & (day < gap_start[:, None] + gap_len[:, None]))
    r_patient, r_col = np.nonzero(recorded)
    m = len(r_patient)
    r_day = day[r_patient, r_col]
    p_hd = p_headache_day[r_patient, r_col]
    # free the grid before the per-row work (bounded memory per chunk)
    del day, in_diary, cycle, since, prev_interval, start_level, onset, shape, effect
    del p_headache_day, weekend, p_recorded, recorded

    # --- what happened on each recorded day ------------------------------------------------
    rnd = rng.random((m, 20), dtype=np.float32)
    is_hd = rnd[:, 0] < p_hd
    is_migraine = is_hd & (rnd[:, 1] < migraine_share[r_patient])
    uses_triptan = (primary == TRIPTAN) | (secondary == TRIPTAN)
    short_triptan = is_hd & ~is_migraine & uses_triptan[r_patient] & (rnd[:, 2] < 0.3)
    tension = is_hd & ~is_migraine & ~short_triptan
    minor = ~is_hd & (rnd[:, 2] < 0.12)  # short mild headache: not a headache day

    hours = np.zeros(m, dtype=np.float32)
    n_mig = int(is_migraine.sum())
    mig_hours = np.exp(rng.normal(np.log(8.0), 0.55, n_mig))
    mig_hours = np.where(rng.random(n_mig) < 0.05, 24.0, mig_hours)  # continuous days
    hours[is_migraine] = np.clip(mig_hours, 1.0, 24.0)
    hours[tension] = 4.0 + rnd[tension, 3] * 6.0
    hours[short_triptan] = 1.0 + rnd[short_triptan, 3] * 2.5
    hours[minor] = 0.5 + rnd[minor, 3] * 3.0

    intensity = np.full(m, -1, dtype=np.int8)
    intensity[is_migraine] = np.where(
        rnd[is_migraine, 4] < 0.12, 0, np.where(rnd[is_migraine, 4] < 0.62, 1, 2)
    )
    calm = tension | short_triptan
    intensity[calm] = np.where(rnd[calm, 4] < 0.55, 0, 1)
    intensity[minor] = 0

    unilateral = is_migraine & (rnd[:, 5] < 0.6)
    pulsating = is_migraine & (rnd[:, 6] < 0.65)
    aggravated = is_migraine & (rnd[:, 7] < 0.7)
    nausea = is_migraine & (rnd[:, 8] < 0.6)
    vomiting = nausea & (rnd[:, 9] < 0.25)
    photophobia = is_migraine & (rnd[:, 10] < 0.8)
    phonophobia = is_migraine & (rnd[:, 11] < 0.65)
    # tension-type and minor headaches: at most one pain feature (none when moderate),
    # light or sound sensitivity alone, never nausea: never a migraine day
    other = calm | minor
    one_feature = other & (intensity == 0) & (rnd[:, 5] < 0.3)
    which = (rnd[:, 6] * 3).astype(np.int8)
    unilateral |= one_feature & (which == 0)
    pulsating |= one_feature & (which == 1)
    aggravated |= one_feature & (which == 2)
    photophobia |= other & (rnd[:, 10] < 0.12)
    phonophobia |= other & ~photophobia & (rnd[:, 11] < 0.1)
    aura = np.where(
        is_migraine & with_aura[r_patient] & (rnd[:, 12] < 0.35),
        (10 + rnd[:, 13] * 36).astype(np.int16),
        0,
    ).astype(np.int16)

    # acute medicines: up to two per day
    acute_class = np.full((m, 2), -1, dtype=np.int8)
    acute_effective = np.full((m, 2), -1, dtype=np.int8)
    share = treat_share[r_patient]
    prim, sec = primary[r_patient], secondary[r_patient]
    treated_mig = is_migraine & (rnd[:, 14] < share)
    acute_class[treated_mig, 0] = np.where(
        rnd[treated_mig, 15] < 0.8, prim[treated_mig], sec[treated_mig]
    )
    treated_tension = tension & (rnd[:, 14] < share * 0.6)
    acute_class[treated_tension, 0] = np.where(
        prim[treated_tension] == TRIPTAN, sec[treated_tension], prim[treated_tension]
    )
    acute_class[short_triptan, 0] = TRIPTAN
    treated_minor = minor & (rnd[:, 14] < 0.15)
    acute_class[treated_minor, 0] = SIMPLE
    second = treated_mig & (rnd[:, 16] < np.where(overuser[r_patient], 0.25, 0.08))
    acute_class[second, 1] = np.where(
        acute_class[second, 0] == prim[second], sec[second], prim[second]
    )
    acute_class[second & (acute_class[:, 1] == acute_class[:, 0]), 1] = -1

    taken = acute_class >= 0
    eff_draw = rng.random((m, 2), dtype=np.float32)
    unknown = rng.random((m, 2), dtype=np.float32) < 0.1
    rel = relief[r_patient][:, None]
    acute_effective = np.where(taken, (eff_draw < rel).astype(np.int8), -1).astype(np.int8)
    acute_effective[taken & unknown] = -1
    # a triptan on a non-migraine headache day did not work (else the day would be migraine)
    acute_effective[short_triptan, 0] = np.where(rnd[short_triptan, 17] < 0.6, 0, -1)
    acute_effective[tension & taken[:, 0] & (acute_class[:, 0] == TRIPTAN), 0] = 0
    # an attack stopped by a triptan is short
    aborted = is_migraine & ((acute_class == TRIPTAN) & (acute_effective == 1)).any(axis=1)
    aborted &= rnd[:, 18] < 0.6
    hours[aborted] = np.minimum(hours[aborted], 1.0 + rnd[aborted, 19] * 3.0)
    hours = _half_hours(hours)
    hours[(is_hd | minor) & (hours < 0.5)] = 0.5
    hours[minor] = np.minimum(hours[minor], 3.5)
    hours[short_triptan] = np.minimum(hours[short_triptan], 3.5)

    acute_drug = np.where(
        taken, drug_of_class[r_patient[:, None], np.maximum(acute_class, 0)], -1
    ).astype(np.int16)

    # make every intended migraine day meet the rules (ICHD-3 1.1 C and D)
    _, mig_ok, _ = _day_rules(
        hours, intensity, (unilateral, pulsating, aggravated), nausea, vomiting,
        photophobia, phonophobia, aura, acute_class, acute_effective,
    )  # fmt: skip
    fix = is_migraine & ~mig_ok
    nausea |= fix
    pulsating |= fix
    aggravated |= fix

    late = rng.random(m, dtype=np.float32) < 0.05
    diary = Diary(
        patient=(r_patient + first).astype(np.int32),
        date=r_day.astype("datetime64[D]"),
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
        late=late,
        acute_class=acute_class,
        acute_drug=acute_drug,
        acute_effective=acute_effective,
    )

    # --- sessions and adverse events -------------------------------------------------------
    s_patient, s_index = np.nonzero(valid_session)
    s_day = sessions[s_patient, s_index]
    ftp = follow_the_pain[s_patient] & (s_index >= 1)
    units = np.where(ftp, np.where(rng.random(len(s_patient)) < 0.75, 195, 175), 155)
    session_table = Sessions(
        patient=(s_patient + first).astype(np.int32),
        date=_as_dates(s_day),
        number=(s_index + 1).astype(np.int16),
        units=units.astype(np.int16),
        sites=(units // 5).astype(np.int16),
    )
    rates = np.array([r for _, r, _, _ in ADVERSE_EVENTS], dtype=np.float32)
    ae_session, ae_symptom = np.nonzero(
        rng.random((len(s_patient), len(ADVERSE_EVENTS)), dtype=np.float32) < rates
    )
    lo = np.array([a for _, _, a, _ in ADVERSE_EVENTS])[ae_symptom]
    hi = np.array([b for _, _, _, b in ADVERSE_EVENTS])[ae_symptom]
    n_ae = len(ae_session)
    onset = s_day[ae_session] + _uniform_int(rng, lo, hi, n_ae)
    severity = _pick(rng, n_ae, (0.65, 0.3, 0.05))
    severity[ae_symptom == _DYSPHAGIA] = np.maximum(severity[ae_symptom == _DYSPHAGIA], 1)
    resolved = onset + _uniform_int(rng, 3, 42, n_ae)
    keep = onset <= today
    resolved = np.where(resolved <= today, resolved, _NO_DAY)
    serious = (severity == 2) & np.isin(ae_symptom, (_DYSPHAGIA, _MIGRAINE_AE))
    adverse = _take(
        AdverseEvents(
            patient=(s_patient[ae_session] + first).astype(np.int32),
            session=ae_session.astype(np.int32),
            symptom=ae_symptom.astype(np.int8),
            onset=_as_dates(onset),
            severity=severity,
            serious=serious,
            red_flag=np.isin(ae_symptom, _RED_FLAG_CODES),
            resolved_on=_as_dates(resolved),
        ),
        np.flatnonzero(keep),
    )

    # --- preventive history (ref 5.4): 2-4 failed oral classes, some CGRP, some ongoing ---
    n_failed = _pick(rng, n, (0.35, 0.4, 0.25)) + 2
    if exemplar:
        n_failed[0] = 3
    keys = rng.random((n, len(_ORAL_CLASSES))) ** (1 / _ORAL_CLASS_WEIGHT)
    class_order = np.argsort(-keys, axis=1)  # weighted sampling without replacement
    pv_patient: list[Array] = []
    pv_drug: list[Array] = []
    pv_start: list[Array] = []
    pv_stop: list[Array] = []
    pv_outcome: list[Array] = []
    cursor = diary_start - rng.integers(0, 120, n)
    has_cgrp = rng.random(n) < 0.2
    # most recent first: a CGRP antibody, then the oral preventives
    cgrp_drug = rng.integers(*_CGRP_DRUGS, n)
    c_len = rng.integers(90, 200, n)
    pv_patient.append(np.flatnonzero(has_cgrp))
    pv_drug.append(cgrp_drug[has_cgrp])
    pv_stop.append(cursor[has_cgrp])
    pv_start.append((cursor - c_len)[has_cgrp])
    pv_outcome.append(np.full(int(has_cgrp.sum()), _INADEQUATE))
    cursor = np.where(has_cgrp, cursor - c_len - rng.integers(14, 120, n), cursor)
    for slot in range(4):
        present = slot < n_failed
        cls = class_order[:, slot]
        lo_d = np.array([a for a, _ in _ORAL_CLASSES])[cls]
        hi_d = np.array([b for _, b in _ORAL_CLASSES])[cls]
        drug = lo_d + np.floor(rng.random(n) * (hi_d - lo_d)).astype(np.int64)
        outcome = _pick(rng, n, (0.6, 0.35, 0.05))
        trial = rng.integers(42, 180, n)
        stop = cursor
        start = cursor - trial
        never = outcome == _CONTRAINDICATED
        pv_patient.append(np.flatnonzero(present))
        pv_drug.append(drug[present])
        # contraindicated: never taken; dated the day it was ruled out
        pv_start.append(np.where(never, stop, start)[present])
        pv_stop.append(stop[present])
        pv_outcome.append(outcome[present])
        cursor = np.where(present & ~never, start - rng.integers(14, 150, n), cursor)
    ongoing = rng.random(n) < 0.15
    if exemplar:
        ongoing[0] = False
    cls = class_order[:, 4]
    lo_d = np.array([a for a, _ in _ORAL_CLASSES])[cls]
    pv_patient.append(np.flatnonzero(ongoing))
    pv_drug.append(lo_d[ongoing])
    pv_start.append((diary_start - rng.integers(30, 400, n))[ongoing])
    pv_stop.append(np.full(int(ongoing.sum()), _NO_DAY))
    pv_outcome.append(np.full(int(ongoing.sum()), _ONGOING))
    pv_p = np.concatenate(pv_patient)
    order = np.argsort(pv_p, kind="stable")
    preventives = Preventives(
        patient=(pv_p[order] + first).astype(np.int32),
        drug=np.concatenate(pv_drug)[order].astype(np.int16),
        start=_as_dates(np.concatenate(pv_start)[order].astype(np.int64)),
        stop=_as_dates(np.concatenate(pv_stop)[order].astype(np.int64)),
        outcome=np.concatenate(pv_outcome)[order].astype(np.int8),
    )

    # --- other medicines, conditions, allergies, other toxin ------------------------------
    med_keys = rng.random((n, _N_COMMON_MEDS))
    n_common = np.minimum(rng.poisson(0.9, n), 3)
    rank = np.argsort(np.argsort(med_keys, axis=1), axis=1)
    m_patient, m_drug = np.nonzero(rank < n_common[:, None])
    m_start = diary_start[m_patient] - rng.integers(60, 3000, len(m_patient))
    m_stop = np.full(len(m_patient), _NO_DAY, dtype=np.int64)
    interacting = rng.random(n) < 0.07  # some interacting medicines (spec section 6 flags)
    i_patient = np.flatnonzero(interacting)
    i_drug = rng.integers(_N_COMMON_MEDS, len(OTHER_MEDICATIONS), len(i_patient))
    short_course = ~np.array([c for _, _, c in OTHER_MEDICATIONS])[i_drug]
    i_anchor = np.where(
        first_session[i_patient] <= today, first_session[i_patient], today
    ) - rng.integers(-5, 20, len(i_patient))
    i_start = np.where(
        short_course, i_anchor - 3, diary_start[i_patient] - rng.integers(30, 900, len(i_patient))
    )
    i_stop = np.where(short_course, i_anchor + 7, _NO_DAY)
    all_p = np.concatenate([m_patient, i_patient])
    order = np.argsort(all_p, kind="stable")
    medications = Medications(
        patient=(all_p[order] + first).astype(np.int32),
        drug=np.concatenate([m_drug, i_drug])[order].astype(np.int16),
        start=_as_dates(np.concatenate([m_start, i_start])[order].astype(np.int64)),
        stop=_as_dates(
            np.minimum(np.concatenate([m_stop, i_stop])[order], _NO_DAY).astype(np.int64)
        ),
    )
    shares = np.array([s for _, s in CONDITIONS])
    c_patient, c_code = np.nonzero(rng.random((n, len(CONDITIONS))) < shares)
    noted = diary_start[c_patient] - rng.integers(0, 2000, len(c_patient))
    infection = np.array(CONDITION_CODES)[c_code] == "injection_site_infection"
    noted = np.where(infection, diary_start[c_patient] + rng.integers(0, 20, len(c_patient)), noted)
    conditions = Conditions(
        patient=(c_patient + first).astype(np.int32),
        code=c_code.astype(np.int8),
        noted_on=_as_dates(noted),
        resolved_on=_as_dates(np.where(infection, np.minimum(noted + 10, today), _NO_DAY)),
    )
    allergic = np.flatnonzero(baseline_only & (rng.random(n) < 0.03))
    t_patient = np.flatnonzero(rng.random(n) < 0.03)
    if exemplar:
        t_patient = t_patient[t_patient != 0]
    t_ind = _pick(rng, len(t_patient), (0.8, 0.2))
    anchor = np.where(first_session[t_patient] <= today, first_session[t_patient], today)
    toxin = ToxinExposures(
        patient=(t_patient + first).astype(np.int32),
        date=_as_dates(anchor - rng.integers(20, 300, len(t_patient))),
        units=np.array([u for _, u in TOXIN_INDICATIONS], dtype=np.int16)[t_ind],
        indication=t_ind,
    )

    chronic_since = np.where(rng.random(n) < 0.7, diary_start - rng.integers(120, 3650, n), _NO_DAY)
    birth_year = 1970 + (birth / 365.2425).astype(np.int64)
    onset_year = np.minimum(birth_year + rng.integers(10, 29, n), 1970 + today // 365)
    patients = Patients(
        mrn=mrn,
        given_name=given.astype(str),
        family_name=family,
        sex=sex,
        birth_date=_as_dates(birth),
        migraine_onset_year=onset_year.astype(np.int16),
        migraine_with_aura=with_aura,
        chronic_headache_since=_as_dates(chronic_since),
        stage=stage,
        diary_start=_as_dates(diary_start),
        diary_end=_as_dates(diary_end),
        first_session=_as_dates(np.where(n_sessions > 0, first_session, _NO_DAY)),
        n_sessions=n_sessions.astype(np.int16),
        baseline_rate=baseline_rate,
        migraine_share=migraine_share,
        compliance=compliance,
        overuser=overuser,
        acute_primary=primary,
        acute_secondary=secondary,
        responder_class=responder_class,
        target_reduction=target,
        max_effect=max_effect,
        wearing_off=wearing_off,
        wearing_off_depth=wo_depth,
        follow_the_pain=follow_the_pain,
    )
    return _Chunk(
        patients=patients,
        diary=diary,
        sessions=session_table,
        preventives=preventives,
        medications=medications,
        conditions=conditions,
        allergies=Allergies(patient=(allergic + first).astype(np.int32)),
        toxin_exposures=toxin,
        adverse_events=adverse,
    )
