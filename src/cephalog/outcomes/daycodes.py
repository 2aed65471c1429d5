"""The diaries as day codes per patient-year (`DiaryYearCodes`), for the cohort analytics.

`refresh()` brings the codes in step with the diary: it finds the
patient-years whose entries changed since the last refresh (entries by
`updated_at`, deletions by their revision's `changed_at`), re-encodes those
years from the diary rows, and replaces their rows. It looks back
`REFRESH_OVERLAP` before the last refresh, so a diary transaction that was
still open when the last refresh ran (its `updated_at` is earlier than its
commit) is taken in next time; re-encoding a year twice is harmless.
`refresh(full=True)` rebuilds everything.

`read_grid()` reads them back as a `DayGrid`: on PostgreSQL with one query
answering a single bytea of fixed-width records, parsed by NumPy without a
Python loop over rows; on other databases through the cursor.

The codes hold facts, not classes: the day rules are applied when the table
is computed (`cephalog.analytics.dense.day_class_table`), so a change of the
rules needs no rebuild. A change of the code layout does (`--full`).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl
import psycopg
from django.db import connection, transaction
from django.db.models import Case, IntegerField, Max, Q, Value, When
from django.utils import timezone

from cephalog.analytics import dense
from cephalog.analytics.cohort import to_frame, with_ruleset
from cephalog.diary.models import DiaryEntry, DiaryEntryRevision
from cephalog.domain.rulesets import LEGACY, Rules
from cephalog.domain.vocab import MIGRAINE_SPECIFIC_CLASSES
from cephalog.ops.db_router import reading_connection
from cephalog.outcomes.models import DayCodesState, DiaryYearCodes
from cephalog.patients.models import Patient

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


# --- reading --------------------------------------------------------------------------------

#: PostgreSQL hands each list over as ONE bytea of fixed-width records, concatenated in
#: order by `string_agg` (a binary COPY delivers one message per row, and reading 100,000
#: of them costs more in Python than everything else): parsed by NumPy without a loop.
_CODES_ROW = np.dtype([("patient", "V16"), ("year", ">i2"), ("codes", "<u2", (dense.YEAR_CELLS,))])
_SESSION_ROW = np.dtype([("patient", "V16"), ("day", ">i4")])
_PATIENT_ROW = np.dtype([("patient", "V16")])


def _records(sql: str, params: list[Any], row: np.dtype) -> np.ndarray:
    """The records of the one-bytea answer of `sql`, as a structured array."""
    db = reading_connection()  # the replica inside replica_reads() (cephalog.ops.db_router)
    db.ensure_connection()
    # a plain psycopg cursor: Django's client-side cursors cannot take binary results
    with psycopg.Cursor(db.connection) as cursor:
        cursor.execute(sql, params or None, binary=True)
        found = cursor.fetchone()
    buffer = bytes(found[0]) if found and found[0] is not None else b""
    if len(buffer) % row.itemsize:
        raise ValueError("day codes of an unexpected size: run cephalog analytics-refresh --full")
    return np.frombuffer(buffer, dtype=row)


def _read_postgres(patient_filter_sql: str, params: list[Any]) -> tuple[np.ndarray, ...]:
    table = DiaryYearCodes._meta.db_table
    patient_table = Patient._meta.db_table
    sql = (
        "SELECT string_agg(uuid_send(c.patient_id) || int2send(c.year::int2) || c.codes, "
        "''::bytea ORDER BY c.patient_id, c.year) "
        f"FROM {table} c JOIN {patient_table} p ON p.id = c.patient_id {patient_filter_sql}"
    )
    rows = _records(sql, params, _CODES_ROW)
    return rows["patient"], rows["year"].astype(np.int64), rows["codes"]


def _read_other(patient_filter: Q) -> tuple[np.ndarray, ...]:
    rows = list(
        DiaryYearCodes.objects.filter(patient_filter)
        .order_by("patient_id", "year")
        .values_list("patient_id", "year", "codes")
    )
    patients = np.array([p.bytes for p, _, _ in rows], dtype="V16")
    years = np.array([y for _, y, _ in rows], dtype=np.int64)
    codes = np.frombuffer(b"".join(bytes(c) for _, _, c in rows), dtype="<u2").reshape(
        -1, dense.YEAR_CELLS
    )
    return patients, years, codes


def _patients(clinic_ids: Sequence[int] | None) -> tuple[np.ndarray, list[str]]:
    """The patients (of `clinic_ids`, or all) in id order: their ids as 128-bit keys (rows
    of two big-endian u64) and as text."""
    patients_q = Patient.objects.order_by("id")
    if clinic_ids is not None:
        patients_q = patients_q.filter(clinic_id__in=clinic_ids)
    if connection.vendor != "postgresql":
        ids = list(patients_q.values_list("id", flat=True))
        return _uuid_keys(ids), [str(i) for i in ids]
    where, params = _clinic_filter(clinic_ids)
    db = reading_connection()
    db.ensure_connection()
    with psycopg.Cursor(db.connection) as cursor:
        cursor.execute(
            "SELECT string_agg(uuid_send(p.id), ''::bytea ORDER BY p.id), "
            f"string_agg(p.id::text, ',' ORDER BY p.id) FROM {Patient._meta.db_table} p {where}",
            params or None,
            binary=True,
        )
        raw, text = cursor.fetchone() or (None, None)
    if raw is None:
        return np.zeros((0, 2), dtype=">u8"), []
    return _uuid_rows(np.frombuffer(bytes(raw), dtype="V16")), str(text).split(",")


def _clinic_filter(clinic_ids: Sequence[int] | None) -> tuple[str, list[Any]]:
    if clinic_ids is None:
        return "", []
    return "WHERE p.clinic_id = ANY(%s)", [list(clinic_ids)]


def _grid(clinic_ids: Sequence[int] | None) -> tuple[np.ndarray, list[str], dense.DayGrid]:
    keys, texts = _patients(clinic_ids)
    if connection.vendor == "postgresql":
        raw_ids, years, codes = _read_postgres(*_clinic_filter(clinic_ids))
    else:
        code_filter = Q() if clinic_ids is None else Q(patient__clinic_id__in=clinic_ids)
        raw_ids, years, codes = _read_other(code_filter)
    # strips come in patient-id order, as do the patients: the index is a binary search
    index = _search_rows(keys, _uuid_rows(raw_ids))
    return keys, texts, dense.DayGrid.from_years(len(texts), index, years, codes)


def read_grid(clinic_ids: Sequence[int] | None = None) -> tuple[list[uuid.UUID], dense.DayGrid]:
    """Every patient (of `clinic_ids`, or all) and their day codes as a grid, patients in id
    order (the grid's patient index is the position in the returned list)."""
    _, texts, grid = _grid(clinic_ids)
    return [uuid.UUID(t) for t in texts], grid


def _uuid_keys(ids: Sequence[uuid.UUID]) -> np.ndarray:
    """Sorted UUIDs as rows of two big-endian u64."""
    return _uuid_rows(np.array([i.bytes for i in ids], dtype="V16"))


def _uuid_rows(raw: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(raw).view(">u8").reshape(-1, 2)


def _search_rows(keys: np.ndarray, found: np.ndarray) -> np.ndarray:
    """Position in sorted 128-bit `keys` (two big-endian u64 columns) of each row of `found`."""
    hi = keys[:, 0].astype(np.uint64)
    lo = keys[:, 1].astype(np.uint64)
    fhi = found[:, 0].astype(np.uint64)
    flo = found[:, 1].astype(np.uint64)
    start = np.searchsorted(hi, fhi, side="left")
    end = np.searchsorted(hi, fhi, side="right")
    index = start.copy()
    ties = np.flatnonzero(end - start > 1)  # same high half: practically never for UUID4
    for t in ties:
        index[t] = start[t] + np.searchsorted(lo[start[t] : end[t]], flo[t])
    if len(index) and not (
        np.all(index < len(hi)) and np.all(hi[np.minimum(index, len(hi) - 1)] == fhi)
    ):
        raise ValueError("day codes of a patient not in the list")
    return index


def read_sessions(
    keys: np.ndarray, texts: Sequence[str], clinic_ids: Sequence[int] | None
) -> tuple[np.ndarray, np.ndarray]:
    """Completed injections of the patients (`_patients`) as (patient index, day number),
    sorted."""
    from cephalog.treatment.models import Session, SessionStatus

    if connection.vendor == "postgresql":
        where, params = _clinic_filter(clinic_ids)
        where = (where + " AND" if where else "WHERE") + " s.status = %s"
        sql = (
            "SELECT string_agg(uuid_send(s.patient_id) || int4send(s.date - date '1970-01-01'), "
            "''::bytea ORDER BY s.patient_id, s.date) "
            f"FROM {Session._meta.db_table} s "
            f"JOIN {Patient._meta.db_table} p ON p.id = s.patient_id {where}"
        )
        rows = _records(sql, [*params, SessionStatus.COMPLETED], _SESSION_ROW)
        return _search_rows(keys, _uuid_rows(rows["patient"])), rows["day"].astype(np.int64)
    sessions = Session.objects.filter(status=SessionStatus.COMPLETED)
    if clinic_ids is not None:
        sessions = sessions.filter(patient__clinic_id__in=clinic_ids)
    position = {p: i for i, p in enumerate(texts)}
    found = sorted(
        (position[str(p)], dense.day_number(d))
        for p, d in sessions.values_list("patient_id", "date")
    )
    return (
        np.array([r[0] for r in found], dtype=np.int64),
        np.array([r[1] for r in found], dtype=np.int64),
    )


def cohort_table(
    clinic_ids: Sequence[int] | None, today: dt.date, rules: Rules = LEGACY
) -> pl.DataFrame:
    """The cohort table of `cephalog.analytics.cohort` for whole clinics (or the registry),
    from the day codes: refreshed first, so it includes every committed diary change.
    Counted and printed under `rules` (spec section 11), named in its columns."""
    refresh()
    keys, texts, grid = _grid(clinic_ids)
    sp, sd = read_sessions(keys, texts, clinic_ids)
    columns = dense.cohort_arrays(
        grid, sp, sd, today, definition=rules.definition, truncate=rules.ruleset.truncate
    )
    return with_ruleset(to_frame(columns, pl.Series("patient", texts, dtype=pl.String)), rules)
