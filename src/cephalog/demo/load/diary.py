"""The generated diary in batches, with the medicines taken (unsaved rows: written by
`cephalog.demo.actions.store_cohort_history`)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import numpy as np

from cephalog.demo import generate as gen
from cephalog.demo.actions import BATCH_ROWS, DiaryBatch
from cephalog.demo.load.base import _required_dates
from cephalog.diary.models import AcuteMedicationTaken, DiaryEntry, EntrySource
from cephalog.patients.models import Patient

_HALF_HOURS = [Decimal(k) / 2 for k in range(49)]


_COLUMNS = (
    "patient",
    "intensity",
    *gen.DAY_FEATURES,
    "aura_minutes",
    "late",
    "acute_class",
    "acute_drug",
    "acute_effective",
)


def _entries(
    d: Any, part: slice, patients: list[Patient]
) -> tuple[list[DiaryEntry], dict[str, Any]]:
    """One batch's diary entries (unsaved) and its columns as lists."""
    cols = {name: getattr(d, name)[part].tolist() for name in _COLUMNS}
    half_hours = np.rint(d.headache_hours[part] * 2).astype(np.int64).tolist()
    dates = _required_dates(d.date[part])
    entries = [
        DiaryEntry(
            patient=patients[cols["patient"][k]],
            date=dates[k],
            headache_hours=_HALF_HOURS[half_hours[k]],
            peak_intensity=gen.INTENSITIES[cols["intensity"][k]]
            if cols["intensity"][k] >= 0
            else "",
            **{name: cols[name][k] for name in gen.DAY_FEATURES},
            aura_minutes=cols["aura_minutes"][k],
            late=cols["late"][k],
            source=EntrySource.DEMO,
        )
        for k in range(len(dates))
    ]
    return entries, cols


def _diary_batches(
    cohort: gen.Cohort, patients: list[Patient], progress: Callable[[int, int], None] | None
) -> Iterator[DiaryBatch]:
    """The diary in batches of `BATCH_ROWS` days; `progress` is told each time the writer
    asks for the next batch (the one before is written by then)."""
    d = cohort.diary
    total = len(d.patient)
    n = cohort.n_patients
    for lo in range(0, total, BATCH_ROWS):
        hi = min(lo + BATCH_ROWS, total)
        entries, cols = _entries(d, slice(lo, hi), patients)
        taken = [
            AcuteMedicationTaken(entry=entries[k], **taken)
            for k in range(hi - lo)
            for taken in gen.acute_taken_on(cols, k)
        ]
        yield entries, taken
        if progress is not None:
            done = n if hi == total else int(d.patient[hi])
            progress(done, n)
    if progress is not None and total == 0:
        progress(n, n)
