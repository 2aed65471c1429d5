"""The diaries as day codes per patient-year (`DiaryYearCodes`), for the cohort analytics.

`refresh()` (in `cephalog.outcomes.daycodes_actions`, re-exported here) brings the codes in
step with the diary: it finds the
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
from collections.abc import Sequence
from typing import Any

import numpy as np
import polars as pl
import psycopg
from django.db import connection
from django.db.models import Q

from cephalog.analytics import dense
from cephalog.analytics.cohort import to_frame, with_ruleset
from cephalog.domain.rulesets import LEGACY, Rules
from cephalog.ops.db_router import reading_connection

# The writes live in daycodes_actions (every write in an actions module); re-exported here.
from cephalog.outcomes.daycodes_actions import RefreshResult as RefreshResult
from cephalog.outcomes.daycodes_actions import refresh as refresh
from cephalog.outcomes.daycodes_actions import write_codes as write_codes
from cephalog.outcomes.models import DiaryYearCodes
from cephalog.patients.models import Patient

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
