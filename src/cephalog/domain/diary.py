"""Diary days and the day rules (spec section 2; clinical reference section 3.6).

A `DiaryDay` holds the raw facts a patient records for one calendar date.
`classify_day` derives the day's classes (headache day, migraine day, ...)
from those facts, with a human-readable reason for each, and never changes
the raw record. Values are assumed valid: validation with error messages
lives in `cephalog.domain.case` (`validate_diary_entry`).

Public API (stable; used by the Django apps and the demo generator):

- `AcuteMedication(name, drug_class, effective=None)`
- `DiaryDay(date, headache_hours, peak_intensity=None, unilateral=False, ...,
  aura_minutes=0, acute_medications=())`
- `classify_day(day) -> DayClassification`
- `DAY_FEATURES`: the names of the seven yes/no features of a day
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache

from cephalog.domain.vocab import MIGRAINE_SPECIFIC_CLASSES, MODERATE_OR_SEVERE

#: Minimum duration, in hours, of a headache day without other features (spec section 2, `L`).
LONG_HEADACHE_HOURS = 4
#: Typical aura duration in minutes, inclusive (ICHD-3 1.2 C(3); spec section 2, `A`).
AURA_MIN_MINUTES = 5
AURA_MAX_MINUTES = 60
#: The seven yes/no features of a day, in this order: the `DiaryDay` fields, the case
#: format's names, the diary's columns (every layer reads this one list).
DAY_FEATURES: tuple[str, ...] = (
    "unilateral",
    "pulsating",
    "aggravated_by_activity",
    "nausea",
    "vomiting",
    "photophobia",
    "phonophobia",
)


@dataclass(frozen=True, slots=True)
class AcuteMedication:
    """One acute medication taken on a diary day (spec section 1).

    `drug_class` is a code of `vocab.AcuteClass`; `effective` is True when
    the drug relieved the headache, False when it did not, None when unknown.
    """

    name: str
    drug_class: str
    effective: bool | None = None


@dataclass(frozen=True, slots=True)
class DiaryDay:
    """The raw facts recorded for one date (spec section 1, `diary` entries).

    `headache_hours` is 0 to 24; 0 records a headache-free day. `peak_intensity`
    is a code of `vocab.Intensity`, required when `headache_hours > 0`.
    """

    date: dt.date
    headache_hours: float
    peak_intensity: str | None = None
    unilateral: bool = False
    pulsating: bool = False
    aggravated_by_activity: bool = False
    nausea: bool = False
    vomiting: bool = False
    photophobia: bool = False
    phonophobia: bool = False
    aura_minutes: int = 0
    acute_medications: tuple[AcuteMedication, ...] = ()


@dataclass(frozen=True, slots=True)
class DayClassification:
    """The classes derived from one recorded day, with reasons (spec section 2).

    - `headache`: any headache (`H`).
    - `migraine_day`, `headache_day`, `moderate_severe_day`, `headache_free`:
      the day classes of section 2.
    - `acute_medication_day`: any acute medication taken (headache or not).
    - `acute_medication_classes`: the distinct classes taken, sorted.
    - `reasons`: why the day is classed as it is, for clinicians.
    """

    headache: bool
    migraine_day: bool
    headache_day: bool
    moderate_severe_day: bool
    headache_free: bool
    acute_medication_day: bool
    acute_medication_classes: tuple[str, ...]
    reasons: tuple[str, ...]


def pain_features(day: DiaryDay) -> tuple[str, ...]:
    """The ICHD-3 1.1 C pain features present on `day` (spec section 2, `C`)."""
    features = []
    if day.unilateral:
        features.append("unilateral")
    if day.pulsating:
        features.append("pulsating")
    if day.peak_intensity in MODERATE_OR_SEVERE:
        features.append(f"{day.peak_intensity} pain")
    if day.aggravated_by_activity:
        features.append("aggravated by activity")
    return tuple(features)


def associated_features(day: DiaryDay) -> tuple[str, ...]:
    """The ICHD-3 1.1 D features present on `day` (spec section 2, `D`).

    Photophobia counts only together with phonophobia, and vice versa.
    """
    features = []
    if day.nausea:
        features.append("nausea")
    if day.vomiting:
        features.append("vomiting")
    if day.photophobia and day.phonophobia:
        features.append("photophobia and phonophobia")
    return tuple(features)


def _article(drug_class: str) -> str:
    return f"an {drug_class}" if drug_class[0] in "aeiou" else f"a {drug_class}"


def _hours(value: float) -> str:
    return f"{value:g} h"


def _headache_free(classes: tuple[str, ...]) -> DayClassification:
    return DayClassification(
        headache=False,
        migraine_day=False,
        headache_day=False,
        moderate_severe_day=False,
        headache_free=True,
        acute_medication_day=bool(classes),
        acute_medication_classes=classes,
        reasons=("headache-free day",),
    )


def _migraine_reason(
    day: DiaryDay,
    migraine_word: str,
    specific: list[AcuteMedication],
    *,
    long: bool,
    ichd3: bool,
) -> str | None:
    """The first rule that makes a headache day a migraine day, in words; None if none does."""
    pain = pain_features(day)
    associated = associated_features(day)
    c = len(pain) >= 2
    d = bool(associated)
    relieved = [m for m in specific if m.effective is True]
    aura = AURA_MIN_MINUTES <= day.aura_minutes <= AURA_MAX_MINUTES
    if c and d:
        return f"{migraine_word}: {len(pain)} pain features + {' + '.join(associated)}"
    if not ichd3 and long and c:
        return (
            f"{migraine_word} (probable): {_hours(day.headache_hours)} + {len(pain)} pain features"
        )
    if not ichd3 and long and d:
        return (
            f"{migraine_word} (probable): {_hours(day.headache_hours)} + {' + '.join(associated)}"
        )
    if relieved:
        return f"{migraine_word}: relieved by {_article(relieved[0].drug_class)}"
    if aura:
        return f"{migraine_word}: typical aura ({day.aura_minutes} min)"
    return None


def _headache_reason(
    day: DiaryDay,
    headache_word: str,
    specific: list[AcuteMedication],
    *,
    long: bool,
    ichd3: bool,
) -> str:
    """Why a headache that is not a migraine day is (or is not) a headache day."""
    if ichd3:
        return (
            f"{headache_word}: headache of any duration ({_hours(day.headache_hours)}); "
            "migraine criteria not met"
        )
    if long:
        return f"{headache_word}: {LONG_HEADACHE_HOURS} h or more"
    if specific:
        return f"{headache_word}: treated with {_article(specific[0].drug_class)}"
    return (
        f"not a {headache_word}: {_hours(day.headache_hours)}, under {LONG_HEADACHE_HOURS} h, "
        "no triptan or ergot, migraine criteria not met"
    )


@lru_cache(maxsize=8192)
def classify_day(
    day: DiaryDay, definition: str = "label", named: bool = False
) -> DayClassification:
    """Classify one recorded diary day (spec section 2; section 11.1 for `ichd3`).

    `definition` is `label` (spec section 2, the default and standard-1's
    only definition) or `ichd3` (spec section 11.1). `named` puts the
    definition in the reasons ("ichd3 migraine day: ..."), as standard-2
    does; standard-1's reasons stay as released.

    label:
    - migraine day = H and ((C and D) or (L and (C or D)) or T or A)
    - headache day = H and (L or MS or migraine day)
    ichd3 (ICHD-3 1.3 A and C):
    - migraine day = H and ((C and D) or T or A), no probable-migraine clause
    - headache day = H
    both:
    - moderate/severe headache day = headache day with moderate or severe peak
    - headache-free day = recorded and not H (features ticked without
      headache hours are ignored)
    - acute medication day = any acute medication taken, even on a
      headache-free day

    The reasons name the first rule that makes the day a migraine day
    (definite, probable, relieved by a triptan or ergot, typical aura);
    for a headache day that is not a migraine day, the rule that makes it a
    headache day; otherwise why it is neither.
    """
    if definition not in ("label", "ichd3"):
        raise ValueError(f"unknown day definition {definition!r}")
    ichd3 = definition == "ichd3"
    classes = tuple(sorted({str(m.drug_class) for m in day.acute_medications}))
    headache = day.headache_hours > 0
    if not headache:
        return _headache_free(classes)

    long = day.headache_hours >= LONG_HEADACHE_HOURS
    specific = [m for m in day.acute_medications if m.drug_class in MIGRAINE_SPECIFIC_CLASSES]
    # Standard-1's texts are kept word for word; standard-2's name the definition.
    migraine_word = f"{definition} migraine day" if named else "migraine"
    headache_word = f"{definition} headache day" if named else "headache day"
    migraine_reason = _migraine_reason(day, migraine_word, specific, long=long, ichd3=ichd3)
    migraine = migraine_reason is not None
    if migraine_reason is not None:
        reasons: tuple[str, ...] = (migraine_reason,)
    else:
        reasons = (_headache_reason(day, headache_word, specific, long=long, ichd3=ichd3),)
    headache_day = True if ichd3 else (migraine or long or bool(specific))
    return DayClassification(
        headache=True,
        migraine_day=migraine,
        headache_day=headache_day,
        moderate_severe_day=headache_day and day.peak_intensity in MODERATE_OR_SEVERE,
        headache_free=False,
        acute_medication_day=bool(classes),
        acute_medication_classes=classes,
        reasons=reasons,
    )
