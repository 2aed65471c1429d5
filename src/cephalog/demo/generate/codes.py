"""The code tables of the demo cohort: small ints in the arrays, strings here.

Codes come from the domain's vocabularies (`cephalog.domain.vocab`, `cephalog.domain.safety`);
which generated symptoms are red flags is the domain's safety triage's decision.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import TypedDict

import numpy as np

from cephalog.domain.safety import SYMPTOMS, Symptom

#: Patients generated per chunk (one progress call each).
CHUNK_PATIENTS = 1000
#: At most this many sessions per patient (COMPEL: 9 cycles, ref 6.5).
MAX_SESSIONS = 9

_EPOCH = np.datetime64("1970-01-01", "D")
_NO_DAY = np.iinfo(np.int32).max  # "no date" in the internal int-day arrays

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
#: muscle spasms have no code there and are left out. Dysphagia is very rare (ref 2.3;
#: "<1 %" in ref 2.7); drooping eyelids are common near the injections but also a sign
#: of possible spread of toxin effect, so the triage makes them a red flag too.
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
AE_SYMPTOMS: tuple[str, ...] = tuple(s for s, *_ in ADVERSE_EVENTS)
#: The generated symptoms that are red flags (emergency or same-day: possible distant
#: spread of toxin effect, ref 2.3), as the domain's safety triage classifies them.
RED_FLAG_SYMPTOMS: frozenset[str] = frozenset(
    s for s in AE_SYMPTOMS if SYMPTOMS[Symptom(s)].red_flag
)
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


class AcuteTaken(TypedDict):
    name: str
    drug_class: str
    effective: bool | None


def acute_taken(cls: int, drug: int, eff: int) -> AcuteTaken:
    """One acute medicine of the arrays as fields: name, class, effective (-1: not said)."""
    return {
        "name": ACUTE_DRUG_NAMES[drug],
        "drug_class": ACUTE_CLASSES[cls],
        "effective": None if eff < 0 else eff == 1,
    }


def acute_taken_on(cols: Mapping[str, Sequence[Sequence[int]]], row: int) -> Iterator[AcuteTaken]:
    """The acute medicines of one diary row as fields; `cols` holds the diary's
    acute_class, acute_drug and acute_effective arrays as lists (class -1: no medicine)."""
    for cls, drug, eff in zip(
        cols["acute_class"][row], cols["acute_drug"][row], cols["acute_effective"][row], strict=True
    ):
        if cls >= 0:
            yield acute_taken(cls, drug, eff)
