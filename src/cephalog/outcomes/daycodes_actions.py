"""Writes of the day codes (`DiaryYearCodes`): `refresh()` brings them in step with the diary.

It finds the patient-years whose entries changed since the last refresh (entries by
`updated_at`, deletions by their revision's `changed_at`), re-encodes those years from
the diary rows, and replaces their rows. It looks back `REFRESH_OVERLAP` before the last
refresh, so a diary transaction that was still open when the last refresh ran (its
`updated_at` is earlier than its commit) is taken in next time; re-encoding a year twice
is harmless. `refresh(full=True)` rebuilds everything. The codes are derived data (no
record of their own): the reads are in `cephalog.outcomes.daycodes`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.db import connection, transaction
from django.db.models import Case, IntegerField, Max, Q, Value, When
from django.utils import timezone

from cephalog.analytics import dense
from cephalog.diary.models import DiaryEntry, DiaryEntryRevision
from cephalog.domain.vocab import MIGRAINE_SPECIFIC_CLASSES
from cephalog.outcomes.models import DayCodesState, DiaryYearCodes

REFRESH_OVERLAP = dt.timedelta(minutes=10)
_BATCH = 500
#: Past this many changed patient-years (a bulk import), rebuilding everything is quicker.
_FULL_ABOVE = 5000
_SPECIFIC = sorted(str(c) for c in MIGRAINE_SPECIFIC_CLASSES)


@dataclass(frozen=True)
class RefreshResult:
    years: int  # patient-years rewritten
    days: int  # diary days encoded
    full: bool


# --- encoding diary rows ------------------------------------------------------------------


def _facts(entries: Any) -> list[tuple[Any, ...]]:
    """(patient_id, date, hours, intensity, features, aura, medicine) per entry, one query."""
    medicine = Max(
        Case(
            When(
                Q(medications__drug_class__in=_SPECIFIC, medications__effective=True),
                then=Value(dense.SPECIFIC_RELIEVED),
            ),
            When(medications__drug_class__in=_SPECIFIC, then=Value(dense.SPECIFIC)),
            When(medications__isnull=False, then=Value(dense.OTHER_ACUTE)),
            default=Value(dense.NO_MEDICINE),
            output_field=IntegerField(),
        )
    )
    return list(
        entries.order_by()
        .annotate(medicine=medicine)
        .values_list(
            "patient_id",
            "date",
            "headache_hours",
            "peak_intensity",
            *dense.FEATURES,
            "aura_minutes",
            "medicine",
        )
    )


def _encode(rows: Sequence[tuple[Any, ...]]) -> tuple[list[Any], np.ndarray, np.ndarray]:
    """Patient ids, day numbers and codes of fact rows."""
    n = len(rows)
    cols = list(zip(*rows, strict=True)) if rows else [()] * (5 + len(dense.FEATURES))
    intensity_of = {name: i + 1 for i, name in enumerate(dense.INTENSITIES)}
    features = np.zeros(n, dtype=np.uint8)
    for i in range(len(dense.FEATURES)):
        features |= np.array(cols[4 + i], dtype=bool).view(np.uint8) << i
    codes = dense.encode(
        hours=np.array([float(h) for h in cols[2]], dtype=np.float64),
        intensity=np.array([intensity_of.get(v or "", 0) for v in cols[3]], dtype=np.uint8),
        features=features,
        aura_minutes=np.array(cols[-2], dtype=np.int32),
        medicine=np.array(cols[-1], dtype=np.uint8),
    )
    days = np.array([dense.day_number(d) for d in cols[1]], dtype=np.int64)
    return list(cols[0]), days, codes


def write_codes(
    patient_ids: Sequence[Any], patient: np.ndarray, day: np.ndarray, codes: np.ndarray
) -> int:
    """Replace the day codes of the patient-years present in the rows; returns rows written.

    Rows: `patient` (index into `patient_ids`), `day` (day number) and `code`,
    sorted by (patient, day). The strips are built with NumPy; on PostgreSQL
    they are written with one binary COPY.
    """
    if not len(patient):
        return 0
    years = dense.year_of(day)
    key = patient.astype(np.int64) * 10_000 + years
    starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    strip_of_row = np.cumsum(np.r_[False, key[1:] != key[:-1]])
    strips = np.zeros((len(starts), dense.YEAR_CELLS), dtype="<u2")
    strips[strip_of_row, dense.day_of_year(day)] = codes
    owners = [patient_ids[i] for i in patient[starts].tolist()]
    strip_years = years[starts].tolist()
    by_owner: dict[Any, list[int]] = {}
    for owner, year in zip(owners, strip_years, strict=True):
        by_owner.setdefault(owner, []).append(year)
    for i in range(0, len(by_owner), _BATCH):
        q = Q()
        for owner, ys in list(by_owner.items())[i : i + _BATCH]:
            q |= Q(patient_id=owner, year__in=ys)
        DiaryYearCodes.objects.filter(q).delete()
    if connection.vendor == "postgresql":
        table = DiaryYearCodes._meta.db_table
        connection.ensure_connection()
        with (
            connection.connection.cursor() as cursor,
            cursor.copy(
                f"COPY {table} (patient_id, year, codes) FROM STDIN (FORMAT binary)"
            ) as copy,
        ):
            copy.set_types(["uuid", "int2", "bytea"])
            for owner, year, strip in zip(owners, strip_years, strips, strict=True):
                copy.write_row((owner, year, strip.tobytes()))
    else:
        DiaryYearCodes.objects.bulk_create(
            (
                DiaryYearCodes(patient_id=o, year=y, codes=strip.tobytes())
                for o, y, strip in zip(owners, strip_years, strips, strict=True)
            ),
            batch_size=1000,
        )
    return len(owners)


def _write_rows(rows: Sequence[tuple[Any, ...]]) -> int:
    """Encode fact rows (any order) and write their patient-years."""
    ids, days, codes = _encode(rows)
    if not ids:
        return 0
    owners = sorted(set(ids), key=str)
    index = {o: i for i, o in enumerate(owners)}
    patient = np.array([index[i] for i in ids], dtype=np.int64)
    order = np.lexsort((days, patient))
    return write_codes(owners, patient[order], days[order], codes[order])


def _rewrite(keys: Iterable[tuple[Any, int]]) -> tuple[int, int]:
    """Re-encode the given patient-years from the diary; returns (years written, days)."""
    keys = sorted(set(keys), key=lambda k: (str(k[0]), k[1]))
    written = days = 0
    for i in range(0, len(keys), _BATCH):
        batch = keys[i : i + _BATCH]
        years_q = Q()
        stale = Q()
        for p, y in batch:
            years_q |= Q(patient_id=p, date__year=y)
            stale |= Q(patient_id=p, year=y)
        rows = _facts(DiaryEntry.objects.filter(years_q))
        DiaryYearCodes.objects.filter(stale).delete()  # years left without any entry
        written += _write_rows(rows)
        days += len(rows)
    return written, days


def _rebuild() -> tuple[int, int]:
    DiaryYearCodes.objects.all().delete()
    written = days = 0
    patients = list(DiaryEntry.objects.order_by().values_list("patient_id", flat=True).distinct())
    for i in range(0, len(patients), 1000):
        rows = _facts(DiaryEntry.objects.filter(patient_id__in=patients[i : i + 1000]))
        written += _write_rows(rows)
        days += len(rows)
    return written, days


@transaction.atomic
def refresh(*, full: bool = False) -> RefreshResult:
    """Bring the day codes in step with the diary (module doc). Serialised by a row lock."""
    state, _ = DayCodesState.objects.select_for_update().get_or_create(pk=1)
    started = timezone.now()
    if full or state.refreshed_at is None:
        written, days = _rebuild()
        full = True
    else:
        since = state.refreshed_at - REFRESH_OVERLAP
        changed = {
            (p, d.year)
            for p, d in DiaryEntry.objects.filter(updated_at__gte=since).values_list(
                "patient_id", "date"
            )
        }
        changed |= {
            (p, d.year)
            for p, d in DiaryEntryRevision.objects.filter(
                change="delete", changed_at__gte=since
            ).values_list("patient_id", "date")
        }
        if len(changed) > _FULL_ABOVE:
            written, days = _rebuild()
            full = True
        else:
            written, days = _rewrite(changed)
    state.refreshed_at = started
    state.save(update_fields=["refreshed_at"])
    return RefreshResult(years=written, days=days, full=full)
