"""A built-in catalogue of common acute headache medicines and their classes.

The diary form offers these names as suggestions and works out the class of
a medicine the patient names (spec section 1, acute medication `class`
vocabulary; the classes drive the day rules of section 2 and the overuse
screen of section 5). A name that is not in the catalogue needs an explicit
class: guessing would change how a day and a window are counted.

Classes follow the spec's vocabulary: a product with two or more classes, or
an analgesic with an adjuvant such as caffeine or butalbital, is a
`combination_analgesic`; an ergot with caffeine stays an `ergot`, because
ergotamine is not an analgesic and its overuse is counted as an ergot's.
A triptan combined with another drug (sumatriptan/naproxen, Treximet) is a
`triptan` (issue 14.6): ICHD-3 8.2.2 counts "one or more triptans, in any
formulation", and a triptan that relieves the headache is the relief of
1.3 C(3); classing it as a combination analgesic would hide both. Any name
that contains a catalogued triptan or ergot is classed so
(`migraine_specific_in`).
Atogepant is left out on purpose: it is a daily preventive, not an acute
medicine.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType

from cephalog.domain.vocab import AcuteClass

_SIMPLE = AcuteClass.SIMPLE_ANALGESIC
_COMBINATION = AcuteClass.COMBINATION_ANALGESIC

#: Generic names, as suggested in the diary form, with their class.
GENERIC_NAMES: Mapping[str, str] = MappingProxyType(
    {
        # Triptans
        "almotriptan": AcuteClass.TRIPTAN,
        "eletriptan": AcuteClass.TRIPTAN,
        "frovatriptan": AcuteClass.TRIPTAN,
        "naratriptan": AcuteClass.TRIPTAN,
        "rizatriptan": AcuteClass.TRIPTAN,
        "sumatriptan": AcuteClass.TRIPTAN,
        "zolmitriptan": AcuteClass.TRIPTAN,
        # Ergots
        "dihydroergotamine": AcuteClass.ERGOT,
        "ergotamine": AcuteClass.ERGOT,
        "ergotamine with caffeine": AcuteClass.ERGOT,
        # Simple analgesics: paracetamol, NSAIDs, aspirin, metamizole
        "paracetamol": _SIMPLE,
        "acetaminophen": _SIMPLE,
        "aspirin": _SIMPLE,
        "acetylsalicylic acid": _SIMPLE,
        "celecoxib": _SIMPLE,
        "dexketoprofen": _SIMPLE,
        "diclofenac": _SIMPLE,
        "ibuprofen": _SIMPLE,
        "indometacin": _SIMPLE,
        "indomethacin": _SIMPLE,
        "ketoprofen": _SIMPLE,
        "ketorolac": _SIMPLE,
        "mefenamic acid": _SIMPLE,
        "naproxen": _SIMPLE,
        "tolfenamic acid": _SIMPLE,
        "metamizole": _SIMPLE,
        "dipyrone": _SIMPLE,
        # Combinations: two or more classes, or an analgesic with an adjuvant
        "paracetamol with caffeine": _COMBINATION,
        "aspirin with caffeine": _COMBINATION,
        "aspirin, paracetamol and caffeine": _COMBINATION,
        "butalbital, paracetamol and caffeine": _COMBINATION,
        "butalbital, aspirin and caffeine": _COMBINATION,
        "paracetamol with codeine": _COMBINATION,
        "ibuprofen with codeine": _COMBINATION,
        # Triptan combinations count as triptans (ICHD-3 8.2.2: "in any formulation")
        "sumatriptan with naproxen": AcuteClass.TRIPTAN,
        "sumatriptan with naproxen sodium": AcuteClass.TRIPTAN,
        # Opioids
        "codeine": AcuteClass.OPIOID,
        "dihydrocodeine": AcuteClass.OPIOID,
        "hydrocodone": AcuteClass.OPIOID,
        "hydromorphone": AcuteClass.OPIOID,
        "morphine": AcuteClass.OPIOID,
        "oxycodone": AcuteClass.OPIOID,
        "pethidine": AcuteClass.OPIOID,
        "tapentadol": AcuteClass.OPIOID,
        "tramadol": AcuteClass.OPIOID,
        "butorphanol": AcuteClass.OPIOID,
        # Gepants (acute use)
        "rimegepant": AcuteClass.GEPANT,
        "ubrogepant": AcuteClass.GEPANT,
        "zavegepant": AcuteClass.GEPANT,
        # Ditans
        "lasmiditan": AcuteClass.DITAN,
        # Anti-sickness medicines taken for an attack
        "domperidone": AcuteClass.OTHER,
        "metoclopramide": AcuteClass.OTHER,
        "prochlorperazine": AcuteClass.OTHER,
    }
)

#: Brand and other common names a patient may type, mapped to their class.
OTHER_NAMES: Mapping[str, str] = MappingProxyType(
    {
        "imitrex": AcuteClass.TRIPTAN,
        "imigran": AcuteClass.TRIPTAN,
        "maxalt": AcuteClass.TRIPTAN,
        "zomig": AcuteClass.TRIPTAN,
        "relpax": AcuteClass.TRIPTAN,
        "almogran": AcuteClass.TRIPTAN,
        "axert": AcuteClass.TRIPTAN,
        "naramig": AcuteClass.TRIPTAN,
        "amerge": AcuteClass.TRIPTAN,
        "frova": AcuteClass.TRIPTAN,
        "migard": AcuteClass.TRIPTAN,
        "dhe": AcuteClass.ERGOT,
        "migranal": AcuteClass.ERGOT,
        "trudhesa": AcuteClass.ERGOT,
        "cafergot": AcuteClass.ERGOT,
        "tylenol": _SIMPLE,
        "panadol": _SIMPLE,
        "advil": _SIMPLE,
        "motrin": _SIMPLE,
        "nurofen": _SIMPLE,
        "aleve": _SIMPLE,
        "naprosyn": _SIMPLE,
        "voltaren": _SIMPLE,
        "voltarol": _SIMPLE,
        "novalgin": _SIMPLE,
        "excedrin": _COMBINATION,
        "fioricet": _COMBINATION,
        "fiorinal": _COMBINATION,
        "co-codamol": _COMBINATION,
        "co-dydramol": _COMBINATION,
        "solpadeine": _COMBINATION,
        "migraleve": _COMBINATION,
        "treximet": AcuteClass.TRIPTAN,
        "suvexx": AcuteClass.TRIPTAN,
        "nurtec": AcuteClass.GEPANT,
        "vydura": AcuteClass.GEPANT,
        "ubrelvy": AcuteClass.GEPANT,
        "zavzpret": AcuteClass.GEPANT,
        "reyvow": AcuteClass.DITAN,
        "rayvow": AcuteClass.DITAN,
    }
)

_ALL: Mapping[str, str] = MappingProxyType({**GENERIC_NAMES, **OTHER_NAMES})

#: The names to suggest, sorted: generic names first, then brands.
SUGGESTIONS: tuple[str, ...] = (*sorted(GENERIC_NAMES), *sorted(OTHER_NAMES))

# A strength or form at the end of a name: "sumatriptan 50 mg", "rizatriptan 10mg wafer".
_DOSE = re.compile(
    r"\s+\d[\d.,/]*\s*(mg|mcg|µg|g|ml|%)?(\s.*)?$|\s+(tablets?|wafers?|nasal spray|spray|injection)$"
)
_SPACES = re.compile(r"\s+")


def normalise(name: str) -> str:
    """A name as the catalogue keys it: lower case, single spaces, "+" and "/" between two
    names read as "with" ("sumatriptan/naproxen" = "sumatriptan with naproxen")."""
    text = _SPACES.sub(" ", name.strip().lower())
    text = _JOINED.sub(r"\1 with \2", text)
    return text.replace(" + ", " with ").replace("+", " with ")


# "sumatriptan/naproxen" (letters on both sides: not "85/500").
_JOINED = re.compile(r"([a-z])\s*/\s*([a-z])")
_WORD = re.compile(r"[a-z]+")
#: The migraine-specific drugs by name, for names that combine one with another drug.
_SPECIFIC_NAMES: Mapping[str, str] = MappingProxyType(
    {
        name: str(cls)
        for name, cls in GENERIC_NAMES.items()
        if cls in (AcuteClass.TRIPTAN, AcuteClass.ERGOT) and " " not in name
    }
)


def migraine_specific_in(name: str) -> str | None:
    """`triptan` or `ergot` when a word of `name` is a catalogued triptan or ergot
    ("Sumatriptan 85 mg / naproxen sodium 500 mg" → triptan), else None."""
    for word in _WORD.findall(name.lower()):
        found = _SPECIFIC_NAMES.get(word)
        if found is not None:
            return found
    return None


def acute_class(name: str) -> str | None:
    """The acute class (spec section 1 vocabulary) of a catalogued medicine, else None.

    Case and spacing do not matter, and a trailing strength or form is
    ignored ("Sumatriptan 50 mg" is a triptan). Unknown names give None: the
    patient or clinician must then choose the class.
    """
    text = normalise(name)
    if not text:
        return None
    found = _ALL.get(text) or _ALL.get(_DOSE.sub("", text).strip())
    if found is None:
        return migraine_specific_in(text)
    return str(found)
