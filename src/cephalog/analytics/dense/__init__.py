"""The cohort engine: spec sections 2, 3 and 7 over a whole registry in a few NumPy passes.

Three steps, none of them a Python loop over patients or days:

1. **Day codes.** Every recorded day is packed into a 14-bit code holding exactly
   the facts the day rules read (`encode`): the seven features, the intensity,
   the hours as "none / short / 4 h or more", a typical aura, and the acute
   medicines as "none / other / migraine-specific / migraine-specific that
   worked". Code 0 is "nothing recorded".
2. **Classification by table.** `day_class_table()` classifies each of the
   16,384 codes once, by calling the domain's own `classify_day` on a day
   built from the code, so there is one implementation of the day rules.
   A day's classes become one 32-bit word: 5 bits per count (recorded,
   headache, migraine, moderate/severe, headache-free, acute medication).
3. **Windows by prefix sums.** The words are laid out per patient, one cell
   per calendar day from the patient's first to last diary date (`DayGrid`),
   and summed cumulatively in place. A window's six counts are then one
   subtraction of two cumulative words: every window is at most 28 days, so
   no 5-bit field of a window's sum can overflow into the next, and the
   wrap-around of the running 32-bit total cancels out in the subtraction.

Every step takes the day `definition` (`label`, the default and standard-1's,
or `ichd3`; spec section 11.1): the table is built per definition from the
domain's `classify_day`, and the code keeps every fact either definition
reads (a short headache is a headache day under `ichd3`). The printed
one-decimal columns are rounded (standard-1) or truncated toward zero
(`truncate`, standard-2, spec section 11.7). The engine does not screen
medication overuse (the codes keep no drug classes), so the two-class
"multiple" rule of section 11.2 has no counterpart here.

Cycles, baselines and outcomes (spec sections 3 and 7) are then array
arithmetic over the sessions. The results equal the domain exactly
(tests/analytics/test_dense.py, tests/analytics/test_equality.py): counts are
integers, per-28 values are divisions of exact integers (so equal to
`float(Fraction)`), rounding is done on integers half away from zero, and
thresholds compare integers.

Memory: 2 bytes (code) + 4 bytes (word) per grid cell plus the input columns;
for 11M diary-days about 130 MB of arrays.

The package: `codes` (step 1), `table` (step 2), `grid` (step 3) and `cohort`
(`cohort_arrays`).
"""

from __future__ import annotations

from cephalog.analytics.dense.codes import (
    CODES,
    COUNTS,
    FEATURES,
    FIELDS,
    INTENSITIES,
    LONG,
    NO_HEADACHE,
    NO_MEDICINE,
    NOT_RECORDED,
    OTHER_ACUTE,
    SHORT,
    SPECIFIC,
    SPECIFIC_RELIEVED,
    Array,
    day_number,
    decode,
    encode,
    encode_day,
)
from cephalog.analytics.dense.cohort import (
    DATES,
    NULLABLE,
    _round1,
    _trunc1,
    cohort_arrays,
)
from cephalog.analytics.dense.grid import (
    YEAR_CELLS,
    Cumulative,
    DayGrid,
    day_of_year,
    unpack,
    year_of,
)
from cephalog.analytics.dense.table import (
    day_class_table,
)

__all__ = [
    "CODES",
    "COUNTS",
    "DATES",
    "FEATURES",
    "FIELDS",
    "INTENSITIES",
    "LONG",
    "NOT_RECORDED",
    "NO_HEADACHE",
    "NO_MEDICINE",
    "NULLABLE",
    "OTHER_ACUTE",
    "SHORT",
    "SPECIFIC",
    "SPECIFIC_RELIEVED",
    "YEAR_CELLS",
    "Array",
    "Cumulative",
    "DayGrid",
    "_round1",
    "_trunc1",
    "cohort_arrays",
    "day_class_table",
    "day_number",
    "day_of_year",
    "decode",
    "encode",
    "encode_day",
    "unpack",
    "year_of",
]
