"""A built-in catalogue of migraine preventives and of drugs that interact with the toxin.

The consultation form suggests a class from the name a clinician types
(spec section 1: preventive `class` and other medication `class`
vocabularies).

- Preventives (clinical reference 5.4, "Preventive classes that commonly
  count as failed prior preventives"): antiepileptics, beta-blockers,
  antidepressants (TCA/SNRI), ACE inhibitors/ARBs, calcium-channel blockers,
  CGRP monoclonal antibodies and gepants. A preventive's class is not read by
  any eligibility rule (spec section 6 counts distinct names); it is shown
  as evidence and on the prior-authorisation letter, where payers ask for
  classes (5.3). Pizotifen, cyproheptadine and supplements are `other`.
- Interacting drugs (clinical reference 2.6): aminoglycosides and
  neuromuscular blockers may potentiate the toxin; anticholinergics may
  potentiate systemic anticholinergic effects; muscle relaxants may
  exaggerate weakness. Each class raises the `interacting_medication:<class>`
  flag of spec section 6 when current. Amitriptyline and nortriptyline are
  anticholinergic too, but they are recorded as preventives, which the spec
  does not flag; the clinician sees them in the preventive list.

A name that is not in the catalogue needs an explicit class: guessing would
change a flag.

For the failed-preventives count (spec section 11.3) `drug_key` maps a
brand name or salt to its generic ("Inderal LA" and "Propranolol MR 80 mg"
are propranolol; "Epilim" and "sodium valproate" are valproate), then takes
the case-folded first word, so brand names and strengths count as one drug. Lookups ignore case and extra spaces and also match the
leading words of a longer entry ("Propranolol MR 80 mg" → propranolol).
Brand names are included for the CGRP-targeting agents, whose brand names
are in common use. Names are for orientation only, not a formulary.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from cephalog.domain.vocab import MedicationClass, PreventiveClass

_AE = PreventiveClass.ANTIEPILEPTIC
_BB = PreventiveClass.BETA_BLOCKER
_AD = PreventiveClass.ANTIDEPRESSANT
_ARB = PreventiveClass.ARB_ACE
_CCB = PreventiveClass.CALCIUM_CHANNEL_BLOCKER
_MAB = PreventiveClass.CGRP_MAB
_GEP = PreventiveClass.GEPANT
_OTHER = PreventiveClass.OTHER

#: Preventive names (generic, some brands) with their class (clinical reference 5.4).
PREVENTIVES: Mapping[str, PreventiveClass] = MappingProxyType(
    {
        # Antiepileptics
        "topiramate": _AE,
        "valproate": _AE,
        "sodium valproate": _AE,
        "valproic acid": _AE,
        "divalproex": _AE,
        "divalproex sodium": _AE,
        "gabapentin": _AE,
        "zonisamide": _AE,
        # Beta-blockers
        "propranolol": _BB,
        "metoprolol": _BB,
        "timolol": _BB,
        "atenolol": _BB,
        "bisoprolol": _BB,
        "nadolol": _BB,
        # Antidepressants (tricyclic and SNRI)
        "amitriptyline": _AD,
        "nortriptyline": _AD,
        "venlafaxine": _AD,
        "duloxetine": _AD,
        # ACE inhibitors and angiotensin-receptor blockers
        "candesartan": _ARB,
        "lisinopril": _ARB,
        "telmisartan": _ARB,
        # Calcium-channel blockers
        "flunarizine": _CCB,
        "verapamil": _CCB,
        # CGRP monoclonal antibodies
        "erenumab": _MAB,
        "aimovig": _MAB,
        "fremanezumab": _MAB,
        "ajovy": _MAB,
        "galcanezumab": _MAB,
        "emgality": _MAB,
        "eptinezumab": _MAB,
        "vyepti": _MAB,
        # Gepants taken as preventives
        "atogepant": _GEP,
        "qulipta": _GEP,
        "aquipta": _GEP,
        "rimegepant": _GEP,
        "nurtec": _GEP,
        "vydura": _GEP,
        # Botulinum toxin given before for migraine
        "onabotulinumtoxina": PreventiveClass.BOTULINUM_TOXIN,
        "botox": PreventiveClass.BOTULINUM_TOXIN,
        # Others
        "pizotifen": _OTHER,
        "cyproheptadine": _OTHER,
        "melatonin": _OTHER,
        "riboflavin": _OTHER,
        "magnesium": _OTHER,
        "coenzyme q10": _OTHER,
    }
)

#: Brand names, salts and other names of one preventive, mapped to the generic the
#: failed-preventives count uses (spec section 11.3: distinct drugs). Brands from the
#: BNF and US labels; orientation only, not a formulary.
GENERIC_OF: Mapping[str, str] = MappingProxyType(
    {
        # Antiepileptics
        "topamax": "topiramate",
        "sodium valproate": "valproate",
        "valproic acid": "valproate",
        "valproate semisodium": "valproate",
        "divalproex": "valproate",
        "divalproex sodium": "valproate",
        "epilim": "valproate",
        "depakote": "valproate",
        "depakene": "valproate",
        "convulex": "valproate",
        "neurontin": "gabapentin",
        "zonegran": "zonisamide",
        # Beta-blockers
        "inderal": "propranolol",
        "half-inderal": "propranolol",
        "bedranol": "propranolol",
        "lopressor": "metoprolol",
        "toprol": "metoprolol",
        "betaloc": "metoprolol",
        "betim": "timolol",
        "blocadren": "timolol",
        "tenormin": "atenolol",
        "cardicor": "bisoprolol",
        "concor": "bisoprolol",
        "corgard": "nadolol",
        # Antidepressants
        "elavil": "amitriptyline",
        "pamelor": "nortriptyline",
        "allegron": "nortriptyline",
        "aventyl": "nortriptyline",
        "effexor": "venlafaxine",
        "cymbalta": "duloxetine",
        # ACE inhibitors and ARBs
        "atacand": "candesartan",
        "amias": "candesartan",
        "zestril": "lisinopril",
        "prinivil": "lisinopril",
        "micardis": "telmisartan",
        # Calcium-channel blockers
        "sibelium": "flunarizine",
        "securon": "verapamil",
        "calan": "verapamil",
        "isoptin": "verapamil",
        # CGRP monoclonal antibodies and gepants
        "aimovig": "erenumab",
        "ajovy": "fremanezumab",
        "emgality": "galcanezumab",
        "vyepti": "eptinezumab",
        "qulipta": "atogepant",
        "aquipta": "atogepant",
        "nurtec": "rimegepant",
        "vydura": "rimegepant",
        # Toxin and others
        "botox": "onabotulinumtoxina",
        "sanomigran": "pizotifen",
        "periactin": "cyproheptadine",
    }
)

#: Drugs that interact with botulinum toxin, with their class (clinical reference 2.6).
INTERACTING: Mapping[str, MedicationClass] = MappingProxyType(
    {
        # Aminoglycosides
        "gentamicin": MedicationClass.AMINOGLYCOSIDE,
        "tobramycin": MedicationClass.AMINOGLYCOSIDE,
        "amikacin": MedicationClass.AMINOGLYCOSIDE,
        "neomycin": MedicationClass.AMINOGLYCOSIDE,
        "streptomycin": MedicationClass.AMINOGLYCOSIDE,
        "kanamycin": MedicationClass.AMINOGLYCOSIDE,
        # Neuromuscular blockers
        "rocuronium": MedicationClass.NEUROMUSCULAR_BLOCKER,
        "vecuronium": MedicationClass.NEUROMUSCULAR_BLOCKER,
        "atracurium": MedicationClass.NEUROMUSCULAR_BLOCKER,
        "cisatracurium": MedicationClass.NEUROMUSCULAR_BLOCKER,
        "pancuronium": MedicationClass.NEUROMUSCULAR_BLOCKER,
        "succinylcholine": MedicationClass.NEUROMUSCULAR_BLOCKER,
        "suxamethonium": MedicationClass.NEUROMUSCULAR_BLOCKER,
        # Anticholinergics
        "oxybutynin": MedicationClass.ANTICHOLINERGIC,
        "tolterodine": MedicationClass.ANTICHOLINERGIC,
        "solifenacin": MedicationClass.ANTICHOLINERGIC,
        "trospium": MedicationClass.ANTICHOLINERGIC,
        "fesoterodine": MedicationClass.ANTICHOLINERGIC,
        "hyoscine": MedicationClass.ANTICHOLINERGIC,
        "hyoscine butylbromide": MedicationClass.ANTICHOLINERGIC,
        "hyoscine hydrobromide": MedicationClass.ANTICHOLINERGIC,
        "scopolamine": MedicationClass.ANTICHOLINERGIC,
        "glycopyrronium": MedicationClass.ANTICHOLINERGIC,
        "glycopyrrolate": MedicationClass.ANTICHOLINERGIC,
        "trihexyphenidyl": MedicationClass.ANTICHOLINERGIC,
        "benztropine": MedicationClass.ANTICHOLINERGIC,
        "procyclidine": MedicationClass.ANTICHOLINERGIC,
        # Muscle relaxants
        "baclofen": MedicationClass.MUSCLE_RELAXANT,
        "tizanidine": MedicationClass.MUSCLE_RELAXANT,
        "cyclobenzaprine": MedicationClass.MUSCLE_RELAXANT,
        "methocarbamol": MedicationClass.MUSCLE_RELAXANT,
        "dantrolene": MedicationClass.MUSCLE_RELAXANT,
        "carisoprodol": MedicationClass.MUSCLE_RELAXANT,
        "orphenadrine": MedicationClass.MUSCLE_RELAXANT,
    }
)

#: Names offered as suggestions in the forms, sorted.
PREVENTIVE_SUGGESTIONS: tuple[str, ...] = tuple(sorted(PREVENTIVES))
INTERACTING_SUGGESTIONS: tuple[str, ...] = tuple(sorted(INTERACTING))


def normalise(name: str) -> str:
    """The catalogue key of a typed name: lower case (casefold), single spaces."""
    return " ".join(name.casefold().split())


def _lookup[T](table: Mapping[str, T], name: str) -> T | None:
    words = normalise(name).split(" ")
    # The whole name first, then shorter leading parts: "propranolol mr 80 mg" → "propranolol".
    for end in range(len(words), 0, -1):
        found = table.get(" ".join(words[:end]))
        if found is not None:
            return found
    return None


def preventive_class(name: str) -> PreventiveClass | None:
    """The preventive class of a named drug (clinical reference 5.4); None when unknown."""
    found = _lookup(PREVENTIVES, name)
    if found is None:
        generic = _lookup(GENERIC_OF, name)
        found = None if generic is None else PREVENTIVES.get(generic)
    return found


def generic_name(name: str) -> str | None:
    """The generic of a catalogued preventive, brand or salt ("Inderal LA" → propranolol)."""
    generic = _lookup(GENERIC_OF, name)
    if generic is not None:
        return generic
    words = normalise(name).split(" ")
    for end in range(len(words), 0, -1):
        key = " ".join(words[:end])
        if key in PREVENTIVES:
            return key
    return None


# Punctuation around a first word: "Propranolol," "(propranolol)".
_STRIP = " \t.,;:()[]{}\"'"


def drug_key(name: str) -> str:
    """The drug a preventive's name stands for, for counting distinct drugs (spec 11.3).

    The case-folded first word of the name, after mapping a catalogued brand
    name or salt to its generic: "Propranolol MR 80 mg", "propranolol" and
    "Inderal LA" → "propranolol"; "Sodium valproate" and "Epilim" →
    "valproate". A name the catalogue does not know keeps its first word.
    """
    generic = _lookup(GENERIC_OF, name)
    text = generic if generic is not None else normalise(name)
    words = [w.strip(_STRIP) for w in text.split(" ")]
    words = [w for w in words if w]
    return words[0] if words else ""


def medication_class(name: str) -> MedicationClass | None:
    """The interacting-medication class of a named drug (clinical reference 2.6).

    None when the name is not a known interacting drug: the caller asks for
    a class (often `other`) rather than assume the drug is harmless.
    """
    return _lookup(INTERACTING, name)


__all__ = [
    "GENERIC_OF",
    "INTERACTING",
    "INTERACTING_SUGGESTIONS",
    "PREVENTIVES",
    "PREVENTIVE_SUGGESTIONS",
    "drug_key",
    "generic_name",
    "medication_class",
    "normalise",
    "preventive_class",
]
