"""The generated diary written in batches, with the medicines taken."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import numpy as np

from cephalog.demo import generate as gen
from cephalog.demo.load.base import BATCH_ROWS, _required_dates
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
    """One batch's diary entries (stored, with their ids) and its columns as lists."""
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
    DiaryEntry.objects.bulk_create(entries)
    if entries and entries[0].pk is None:  # a backend that does not return ids
        rows = DiaryEntry.objects.filter(patient__in={e.patient_id for e in entries})
        ids = {(pid, date): pk for pid, date, pk in rows.values_list("patient_id", "date", "pk")}
        for entry in entries:
            entry.pk = ids[(entry.patient_id, entry.date)]
    return entries, cols


def _write_diary(
    cohort: gen.Cohort, patients: list[Patient], progress: Callable[[int, int], None] | None
) -> int:
    d = cohort.diary
    total = len(d.patient)
    n = cohort.n_patients
    for lo in range(0, total, BATCH_ROWS):
        hi = min(lo + BATCH_ROWS, total)
        entries, cols = _entries(d, slice(lo, hi), patients)
        taken = [
            AcuteMedicationTaken(
                entry=entries[k],
                **gen.acute_taken(cls, drug, eff),
            )
            for k in range(hi - lo)
            for cls, drug, eff in zip(
                cols["acute_class"][k],
                cols["acute_drug"][k],
                cols["acute_effective"][k],
                strict=True,
            )
            if cls >= 0
        ]
        AcuteMedicationTaken.objects.bulk_create(taken, batch_size=BATCH_ROWS)
        if progress is not None:
            done = n if hi == total else int(d.patient[hi])
            progress(done, n)
    if progress is not None and total == 0:
        progress(n, n)
    return total
