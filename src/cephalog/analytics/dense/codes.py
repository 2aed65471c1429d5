"""Step 1: day codes. Every recorded day packed into a 14-bit code holding the facts the day rules read."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
from numpy.typing import NDArray

from cephalog.domain.cycles import (
    OUTCOME_LAST_DAY,
    WEEKS_5_8,
    WEEKS_9_12,
)
from cephalog.domain.diary import (
    AURA_MAX_MINUTES,
    AURA_MIN_MINUTES,
    DAY_FEATURES,
    LONG_HEADACHE_HOURS,
    AcuteMedication,
    DiaryDay,
)
from cephalog.domain.windows import WINDOW_DAYS

Array = NDArray[Any]

#: The seven day features, bit 0 upwards, in this order.
FEATURES = DAY_FEATURES
#: Intensity codes (bits 7-8): 0 none, then these.
INTENSITIES = ("mild", "moderate", "severe")
#: Hours classes (bits 9-10): 0 = no entry, 1 = headache-free, 2 = short, 3 = long.
NOT_RECORDED, NO_HEADACHE, SHORT, LONG = range(4)
#: Medicine classes (bits 12-13).
NO_MEDICINE, OTHER_ACUTE, SPECIFIC, SPECIFIC_RELIEVED = range(4)
_INTENSITY_SHIFT, _HOURS_SHIFT, _AURA_SHIFT, _MEDICINE_SHIFT = 7, 9, 11, 12
CODES = 1 << 14

#: The counts packed in a class word, 5 bits each, field 0 first.
FIELDS = (
    "recorded_days",
    "headache_days",
    "migraine_days",
    "moderate_severe_days",
    "headache_free_days",
    "acute_medication_days",
)
COUNTS = FIELDS[1:]
_BITS = 5
# Every window summed from the prefix sums must fit a field.
assert WINDOW_DAYS < (1 << _BITS)
assert WEEKS_5_8[1] - WEEKS_5_8[0] + 1 <= WINDOW_DAYS
assert WEEKS_9_12[1] - WEEKS_9_12[0] + 1 <= WINDOW_DAYS
# the outcome window of a cycle without an early next injection is weeks 9-12
assert (WEEKS_9_12[0], WEEKS_9_12[1]) == (OUTCOME_LAST_DAY - WINDOW_DAYS + 1, OUTCOME_LAST_DAY)
assert WEEKS_5_8[1] + 1 == WEEKS_9_12[0]

_EPOCH = dt.date(1970, 1, 1)
_NO_DAY = np.iinfo(np.int32).max


def day_number(date: dt.date) -> int:
    """Days since 1970-01-01 (NumPy's datetime64[D] integer)."""
    return (date - _EPOCH).days


# --- 1. day codes ------------------------------------------------------------------------


def encode(
    *,
    hours: Array,
    intensity: Array,
    features: Array,
    aura_minutes: Array,
    medicine: Array,
) -> NDArray[np.uint16]:
    """Codes of recorded days from their facts (equal-length arrays).

    `hours` headache hours (any numeric dtype); `intensity` 0 none, 1 mild,
    2 moderate, 3 severe; `features` a bitmask of FEATURES; `aura_minutes`;
    `medicine` one of NO_MEDICINE .. SPECIFIC_RELIEVED.
    """
    code = features.astype(np.uint16)
    code |= intensity.astype(np.uint16) << _INTENSITY_SHIFT
    hours_class = (hours > 0).view(np.uint8) + (hours >= LONG_HEADACHE_HOURS).view(np.uint8)
    hours_class += NO_HEADACHE
    code |= hours_class.astype(np.uint16) << _HOURS_SHIFT
    aura = (aura_minutes >= AURA_MIN_MINUTES) & (aura_minutes <= AURA_MAX_MINUTES)
    code |= aura.view(np.uint8).astype(np.uint16) << _AURA_SHIFT
    code |= medicine.astype(np.uint16) << _MEDICINE_SHIFT
    return code


def encode_day(day: DiaryDay) -> int:
    """The code of one domain day (the scalar form of `encode`, for loaders and tests)."""
    from cephalog.domain.vocab import MIGRAINE_SPECIFIC_CLASSES

    features = sum(1 << i for i, name in enumerate(FEATURES) if getattr(day, name))
    intensity = INTENSITIES.index(day.peak_intensity) + 1 if day.peak_intensity else 0
    specific = [m for m in day.acute_medications if m.drug_class in MIGRAINE_SPECIFIC_CLASSES]
    if any(m.effective is True for m in specific):
        medicine = SPECIFIC_RELIEVED
    elif specific:
        medicine = SPECIFIC
    elif day.acute_medications:
        medicine = OTHER_ACUTE
    else:
        medicine = NO_MEDICINE
    return int(
        encode(
            hours=np.array([day.headache_hours], dtype=np.float64),
            intensity=np.array([intensity]),
            features=np.array([features]),
            aura_minutes=np.array([day.aura_minutes]),
            medicine=np.array([medicine]),
        )[0]
    )


def decode(code: int) -> DiaryDay | None:
    """A domain day with exactly the facts `code` keeps (None for "not recorded")."""
    hours_class = (code >> _HOURS_SHIFT) & 3
    if hours_class == NOT_RECORDED:
        return None
    hours = {NO_HEADACHE: 0.0, SHORT: 1.0, LONG: float(LONG_HEADACHE_HOURS)}[hours_class]
    intensity = (code >> _INTENSITY_SHIFT) & 3
    medicine = (code >> _MEDICINE_SHIFT) & 3
    medicines = {
        NO_MEDICINE: (),
        OTHER_ACUTE: (AcuteMedication(name="other", drug_class="simple_analgesic"),),
        SPECIFIC: (AcuteMedication(name="specific", drug_class="triptan"),),
        SPECIFIC_RELIEVED: (
            AcuteMedication(name="specific", drug_class="triptan", effective=True),
        ),
    }[medicine]
    return DiaryDay(
        date=_EPOCH,
        headache_hours=hours,
        peak_intensity=INTENSITIES[intensity - 1] if intensity else None,
        aura_minutes=AURA_MIN_MINUTES if (code >> _AURA_SHIFT) & 1 else 0,
        acute_medications=medicines,
        **{name: bool(code >> i & 1) for i, name in enumerate(FEATURES)},
    )
