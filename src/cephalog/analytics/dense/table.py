"""Step 2: classification by table, built once per day definition from the domain's `classify_day`."""

from __future__ import annotations

import functools

import numpy as np
from numpy.typing import NDArray

from cephalog.analytics.dense.codes import _BITS, CODES, decode
from cephalog.domain.diary import (
    classify_day,
)

# --- 2. classification by table -------------------------------------------------------------


@functools.cache
def day_class_table(definition: str = "label") -> NDArray[np.uint32]:
    """Class word of every code under a day definition, from the domain's `classify_day`
    (read-only)."""
    table = np.zeros(CODES, dtype=np.uint32)
    for code in range(CODES):
        day = decode(code)
        if day is None:
            continue
        c = classify_day(day, definition)
        flags = (
            True,
            c.headache_day,
            c.migraine_day,
            c.moderate_severe_day,
            c.headache_free,
            c.acute_medication_day,
        )
        table[code] = sum(int(f) << (_BITS * i) for i, f in enumerate(flags))
    table.flags.writeable = False
    return table
