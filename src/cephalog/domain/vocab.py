"""Closed vocabularies of the case format and the diary (spec section 1).

Every coded value that can enter cephalog is listed here, once. Anything
else is an input error (see `cephalog.domain.case`). The enums are
`StrEnum`s, so a member compares equal to its string code and serialises as
that code; the `*_CODES` tuples keep the spec's order for error messages.
"""

from __future__ import annotations

from enum import StrEnum


class Intensity(StrEnum):
    """Peak headache intensity of a diary day (spec section 1)."""

    MILD = "mild"
    MODERATE = "moderate"
    SEVERE = "severe"


class AcuteClass(StrEnum):
    """Class of an acute (symptomatic) headache medication (spec section 1).

    `simple_analgesic` covers paracetamol, NSAIDs, aspirin and metamizole;
    `combination_analgesic` means two or more classes in one product, or an
    analgesic with an adjuvant such as caffeine (ICHD-3 8.2.5).
    """

    SIMPLE_ANALGESIC = "simple_analgesic"
    TRIPTAN = "triptan"
    ERGOT = "ergot"
    OPIOID = "opioid"
    COMBINATION_ANALGESIC = "combination_analgesic"
    GEPANT = "gepant"
    DITAN = "ditan"
    OTHER = "other"


class PreventiveClass(StrEnum):
    """Class of a preventive treatment tried before (spec section 1)."""

    ANTIEPILEPTIC = "antiepileptic"
    BETA_BLOCKER = "beta_blocker"
    ANTIDEPRESSANT = "antidepressant"
    ARB_ACE = "arb_ace"
    CALCIUM_CHANNEL_BLOCKER = "calcium_channel_blocker"
    CGRP_MAB = "cgrp_mab"
    GEPANT = "gepant"
    BOTULINUM_TOXIN = "botulinum_toxin"
    OTHER = "other"


class PreventiveOutcome(StrEnum):
    """How a preventive treatment ended, or that it is ongoing (spec section 1)."""

    INADEQUATE_RESPONSE = "inadequate_response"
    INTOLERANCE = "intolerance"
    CONTRAINDICATED = "contraindicated"
    EFFECTIVE = "effective"
    ONGOING = "ongoing"


class MedicationClass(StrEnum):
    """Class of another (non-headache) medication (spec section 1)."""

    AMINOGLYCOSIDE = "aminoglycoside"
    NEUROMUSCULAR_BLOCKER = "neuromuscular_blocker"
    ANTICHOLINERGIC = "anticholinergic"
    MUSCLE_RELAXANT = "muscle_relaxant"
    OTHER = "other"


class Condition(StrEnum):
    """A condition relevant to treatment with botulinum toxin (spec section 1)."""

    MYASTHENIA_GRAVIS = "myasthenia_gravis"
    LAMBERT_EATON = "lambert_eaton"
    ALS = "als"
    MOTOR_NEUROPATHY = "motor_neuropathy"
    DYSPHAGIA = "dysphagia"
    RESPIRATORY_COMPROMISE = "respiratory_compromise"
    PREGNANCY = "pregnancy"
    BREASTFEEDING = "breastfeeding"
    IMMUNOCOMPROMISED = "immunocompromised"
    MULTIPLE_SCLEROSIS = "multiple_sclerosis"
    CEREBRAL_PALSY = "cerebral_palsy"
    INJECTION_SITE_INFECTION = "injection_site_infection"


class Allergy(StrEnum):
    """A recorded allergy (spec section 1)."""

    BOTULINUM_TOXIN = "botulinum_toxin"


class ToxinProduct(StrEnum):
    """A botulinum toxin product (spec section 11.5).

    Units of different products are not interchangeable (BOTOX label, 11
    Description); only onabotulinumtoxinA counts toward its 400 U cap.
    """

    ONABOTULINUMTOXINA = "onabotulinumtoxinA"
    ABOBOTULINUMTOXINA = "abobotulinumtoxinA"
    INCOBOTULINUMTOXINA = "incobotulinumtoxinA"
    PRABOTULINUMTOXINA = "prabotulinumtoxinA"
    DAXIBOTULINUMTOXINA = "daxibotulinumtoxinA"
    LETIBOTULINUMTOXINA = "letibotulinumtoxinA"
    RIMABOTULINUMTOXINB = "rimabotulinumtoxinB"
    OTHER = "other"


INTENSITY_CODES: tuple[str, ...] = tuple(Intensity)
ACUTE_CLASS_CODES: tuple[str, ...] = tuple(AcuteClass)
PREVENTIVE_CLASS_CODES: tuple[str, ...] = tuple(PreventiveClass)
PREVENTIVE_OUTCOME_CODES: tuple[str, ...] = tuple(PreventiveOutcome)
MEDICATION_CLASS_CODES: tuple[str, ...] = tuple(MedicationClass)
CONDITION_CODES: tuple[str, ...] = tuple(Condition)
ALLERGY_CODES: tuple[str, ...] = tuple(Allergy)
TOXIN_PRODUCT_CODES: tuple[str, ...] = tuple(ToxinProduct)

#: The product a toxin exposure is assumed to be when none is named (spec section 11.5).
DEFAULT_TOXIN_PRODUCT = ToxinProduct.ONABOTULINUMTOXINA

#: Peak intensities that satisfy ICHD-3 1.1 C(3) and make a moderate/severe day.
MODERATE_OR_SEVERE: frozenset[str] = frozenset({Intensity.MODERATE, Intensity.SEVERE})

#: Migraine-specific acute drugs: treated with one → headache day; relieved → migraine day
#: (spec section 2, `MS` and `T`).
MIGRAINE_SPECIFIC_CLASSES: frozenset[str] = frozenset({AcuteClass.TRIPTAN, AcuteClass.ERGOT})

#: Acute classes that count towards medication overuse (spec section 5), with the
#: per-28-day threshold of each (ICHD-3 8.2.1-8.2.5).
OVERUSE_THRESHOLDS: dict[str, int] = {
    AcuteClass.SIMPLE_ANALGESIC: 15,
    AcuteClass.TRIPTAN: 10,
    AcuteClass.ERGOT: 10,
    AcuteClass.OPIOID: 10,
    AcuteClass.COMBINATION_ANALGESIC: 10,
}

#: Code and threshold for days on which any of the overuse classes was taken (ICHD-3 8.2.6).
MULTIPLE = "multiple"
MULTIPLE_THRESHOLD = 10

#: Preventive outcomes that make a preventive "failed" (spec section 6).
FAILED_OUTCOMES: frozenset[str] = frozenset(
    {
        PreventiveOutcome.INADEQUATE_RESPONSE,
        PreventiveOutcome.INTOLERANCE,
        PreventiveOutcome.CONTRAINDICATED,
    }
)

#: Other-medication classes that interact with botulinum toxin (spec section 6 flags).
INTERACTING_MEDICATION_CLASSES: frozenset[str] = frozenset(
    {
        MedicationClass.AMINOGLYCOSIDE,
        MedicationClass.NEUROMUSCULAR_BLOCKER,
        MedicationClass.ANTICHOLINERGIC,
        MedicationClass.MUSCLE_RELAXANT,
    }
)

#: Conditions that are hard stops rather than flags (spec section 6).
HARD_STOP_CONDITIONS: frozenset[str] = frozenset({Condition.INJECTION_SITE_INFECTION})
