"""Storing on PostgreSQL: new days by a binary COPY straight into the diary; days among
stored ones by a binary COPY into staging tables, then set-based SQL."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl
from django.db import connection
from psycopg.copy import QueuedLibpqWriter

from cephalog.diary.actions import FLAGS
from cephalog.diary.bulk_import.check import (
    Checked,
)
from cephalog.diary.bulk_import.common import (
    _INTENSITIES,
)
from cephalog.diary.bulk_import.storing import (
    EFFECT_LETTER,
    Stored,
    _tables,
)
from cephalog.diary.models import EntrySource
from cephalog.domain.vocab import ACUTE_CLASS_CODES

# PostgreSQL's binary COPY: a header, then per row the number of fields and each field
# as its length and big-endian bytes; every field here has a fixed width, so a row is
# one record of a numpy structured array.
_COPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + (0).to_bytes(4, "big") + (0).to_bytes(4, "big")
_COPY_TRAILER = (-1).to_bytes(2, "big", signed=True)
_PG_EPOCH = (dt.date(2000, 1, 1) - dt.date(1970, 1, 1)).days


def _binary_copy(fields: Sequence[tuple[Any, Any]]) -> bytes:
    """COPY BINARY data for fixed-width columns: (numpy dtype, values) per field."""
    return _COPY_HEADER + bytes(_binary_rows(fields)) + _COPY_TRAILER


@dataclass(frozen=True)
class Tail:
    """The last fields of each row of a binary COPY, taking few distinct values: each
    row's code into `values` (each the fields' bytes, sizes included), how many fields."""

    codes: np.ndarray[Any, Any]
    values: Sequence[bytes]
    fields: int

    @classmethod
    def text(cls, codes: np.ndarray[Any, Any], texts: Sequence[str]) -> Tail:
        """One text field."""
        return cls(codes, [_field(t.encode()) for t in texts], 1)


def _field(value: bytes | None) -> bytes:
    """A field of a binary COPY row: its size (-1: NULL), then its bytes."""
    if value is None:
        return (-1).to_bytes(4, "big", signed=True)
    return len(value).to_bytes(4, "big") + value


def _binary_rows(fields: Sequence[tuple[Any, Any]], tail: Tail | None = None) -> memoryview:
    """The rows of a binary COPY (no header or trailer): fixed-width fields, each as
    (numpy dtype, values; "" for an empty text), then optionally the `tail`."""
    rows = len(fields[0][1]) if fields else 0
    layout: list[tuple[str, Any]] = [("count", ">i2")]
    for i, (dtype, _) in enumerate(fields):
        layout.append((f"size{i}", ">i4"))
        if dtype != "":
            layout.append((f"value{i}", dtype))
    template = np.zeros(1, dtype=np.dtype(layout))  # the field count and sizes, every row
    template["count"] = len(fields) + (tail.fields if tail else 0)
    for i, (dtype, _) in enumerate(fields):
        template[f"size{i}"] = 0 if dtype == "" else np.dtype(dtype).itemsize
    out = np.empty(rows, dtype=template.dtype)
    out[:] = template
    for i, (dtype, values) in enumerate(fields):
        if dtype != "":
            out[f"value{i}"] = values
    if tail is None:
        return memoryview(out.view(np.uint8))
    # Each row, then its tail padded to the longest; the padding is cut out at the end.
    lengths = np.array([len(v) for v in tail.values], dtype=np.int64)
    width = max(1, int(lengths.max()))
    fixed = out.dtype.itemsize
    padded = np.zeros((len(tail.values), width), dtype=np.uint8)
    for i, value in enumerate(tail.values):
        padded[i, : len(value)] = np.frombuffer(value, dtype=np.uint8)
    grid = np.empty((rows, fixed + width), dtype=np.uint8)
    grid[:, :fixed] = out.view(np.uint8).reshape(rows, fixed)
    grid[:, fixed:] = padded[tail.codes]
    keep = np.arange(fixed + width) < (fixed + lengths)[:, None]
    return memoryview(grid[keep[tail.codes]])


def _uuids(patients: pl.DataFrame, p: pl.Series) -> np.ndarray[Any, Any]:
    picked: np.ndarray[Any, Any] = _uuid_table(patients)[p.to_numpy()]
    return picked


def _uuid_table(patients: pl.DataFrame) -> np.ndarray[Any, Any]:
    """The patients' ids as 16-byte values, by `p`."""
    return np.frombuffer(
        b"".join(uuid.UUID(x).bytes for x in patients["patient"].to_list()) or b"\0" * 16,
        dtype="V16",
    )


def _pg_dates(dates: pl.Series) -> np.ndarray[Any, Any]:
    return dates.cast(pl.Int32).to_numpy() - _PG_EPOCH


_STAGING = ", ".join(
    f"pg_temp.cephalog_bulk_{name}"
    for name in ("days", "medicines", "names", "existing", "changed")
)


def _flag(i: int) -> str:
    return f"(s.flags & {1 << i}) <> 0"


def may_skip_key_triggers() -> bool:
    """Whether the database role may set `session_replication_role` (a superuser, or
    `GRANT SET ON PARAMETER session_replication_role` on PostgreSQL 15 and later)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('is_superuser') = 'on'")
        if cursor.fetchone()[0]:
            return True
        if connection.pg_version < 150000:  # type: ignore[attr-defined]
            return False
        cursor.execute("SELECT has_parameter_privilege('session_replication_role', 'SET')")
        return bool(cursor.fetchone()[0])


# SQL expressions over the staging tables (s: days, b: medicines, e: the diary).
_INTENSITY = "(ARRAY[" + ", ".join(f"'{c}'" for c in _INTENSITIES) + "])[s.intensity + 1]"
_DRUG_CLASS = "(ARRAY[" + ", ".join(f"'{c}'" for c in ACUTE_CLASS_CODES) + "])[b.drug_class + 1]"
_EFFECTIVE = "NULLIF(b.effective, -1) = 1"
_FLAG_VALUES = ", ".join(_flag(i) for i in range(len(FLAGS)))
_LATE = _flag(len(FLAGS))
_SAME = " AND ".join(
    ["e.headache_hours * 100 = s.h100", f"e.peak_intensity = {_INTENSITY}"]
    + [f"e.{f} = ({_flag(i)})" for i, f in enumerate(FLAGS)]
    + ["e.aura_minutes = s.aura_minutes"]
)


def _store_postgresql(
    checked: Checked,
    *,
    by_id: int | None,
    reason: str,
    now: dt.datetime,
    key_checks_per_row: bool | None = None,
) -> Stored:
    """Binary COPY into temporary staging tables, then set-based SQL, in the caller's
    transaction.

    The new days and medicines reference only rows this transaction has locked
    (the clinic's patients, FOR KEY SHARE) or written itself (the days), so their
    foreign keys cannot fail. When the role may, the per-row foreign-key triggers
    are skipped for those two INSERTs (`session_replication_role = replica`, the
    way pg_restore loads data): a million deferred checks at commit cost about as
    much as the inserts themselves. `key_checks_per_row=True` keeps them.
    """
    skip_key_triggers = not key_checks_per_row and may_skip_key_triggers()
    t = _tables()
    days = _in_index_order(checked)
    patient_ids = [checked.patients["patient"][p] for p in days["p"].unique().sort().to_list()]
    with connection.cursor() as cursor:
        _lock_patients(cursor, t, patient_ids)
        if not _stored_in_spans(cursor, t, checked, days):
            return _copy_new(cursor, t, checked, days, now=now, skip_key_triggers=skip_key_triggers)
        names = checked.medicines["name"].unique(maintain_order=True)
        _stage(
            cursor,
            _days_copy(checked, days),
            _medicines_copy(checked, names),
            names.to_list(),
        )
        stored, changed = _compare(cursor, t, patient_ids)
        if changed:
            _replace_changed(cursor, t, stored, by_id=by_id, reason=reason, now=now)
        if skip_key_triggers:
            cursor.execute("SET LOCAL session_replication_role = replica")
        if changed:
            cursor.execute(
                f"INSERT INTO {t['medicine']} (entry_id, name, drug_class, effective) "
                f"SELECT c.id, nm.name, {_DRUG_CLASS}, {_EFFECTIVE} "
                "FROM cephalog_bulk_medicines b JOIN cephalog_bulk_changed c ON c.n = b.n "
                "JOIN cephalog_bulk_names nm ON nm.code = b.name ORDER BY b.n, b.ord"
            )
            stored.medicines += cursor.rowcount
        _insert_new(cursor, t, stored, now)
        if skip_key_triggers:
            cursor.execute("SET LOCAL session_replication_role = origin")
        cursor.execute(f"DROP TABLE {_STAGING}")
    return stored


def _lock_patients(cursor: Any, t: dict[str, str], patient_ids: list[Any]) -> None:
    """Nobody removes a patient while their days go in (what each row's foreign-key
    check locks, taken once per patient and in one order)."""
    cursor.execute(
        f"SELECT count(*) FROM (SELECT 1 FROM {t['patient']} WHERE id = ANY(%s::uuid[]) "
        "ORDER BY id FOR KEY SHARE) p",
        [patient_ids],
    )


# --- Only new days: COPY straight into the diary ---------------------------------------------


def _stored_in_spans(cursor: Any, t: dict[str, str], checked: Checked, days: pl.DataFrame) -> bool:
    """Whether any patient of the file has a stored day between their first and last
    date in the file; if none has, every row is a new day."""
    spans = days.group_by("p").agg(first=pl.col("date").min(), last=pl.col("date").max())
    cursor.execute(
        f"SELECT EXISTS (SELECT 1 FROM {t['entry']} e JOIN unnest(%s::uuid[], %s::date[],"
        " %s::date[]) s(patient, first, last) ON e.patient_id = s.patient"
        " AND e.date BETWEEN s.first AND s.last)",
        [
            checked.patients["patient"].gather(spans["p"]).to_list(),
            spans["first"].to_list(),
            spans["last"].to_list(),
        ],
    )
    return bool(cursor.fetchone()[0])


#: Rows per piece of the diary's COPY (bounds the memory of building it).
_COPY_PIECE = 100_000
_PG_EPOCH_TIME = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)


def _copy_new(
    cursor: Any,
    t: dict[str, str],
    checked: Checked,
    days: pl.DataFrame,
    *,
    now: dt.datetime,
    skip_key_triggers: bool,
) -> Stored:
    """Every row is a new day: a binary COPY straight into the diary (in the order of its
    indexes, the ids taken from its sequence first), then the medicines with a COPY."""
    pg = cursor.cursor  # psycopg's own cursor, for COPY
    ids = _entry_ids(cursor, t, days.height)
    if skip_key_triggers:
        cursor.execute("SET LOCAL session_replication_role = replica")
    columns = [
        "id",
        "patient_id",
        "date",
        "headache_hours",
        *FLAGS,
        "aura_minutes",
        "notes",
        "late",
        "source",
        "version",
        "created_at",
        "updated_at",
        "peak_intensity",
    ]
    uuids = _uuid_table(checked.patients)
    with pg.copy(
        f"COPY {t['entry']} ({', '.join(columns)}) FROM STDIN (FORMAT binary)",
        writer=QueuedLibpqWriter(pg),
    ) as copy:
        copy.write(_COPY_HEADER)
        for start in range(0, days.height, _COPY_PIECE):
            piece = days.slice(start, _COPY_PIECE)
            copy.write(_new_days_rows(piece, ids[start : start + piece.height], uuids, now))
        copy.write(_COPY_TRAILER)
    medicines = checked.medicines.join(
        pl.DataFrame({"n": days["n"], "entry_id": ids}), on="n", how="inner"
    ).sort("entry_id", "ord")
    if medicines.height:
        tail = _medicine_tail(medicines)
        with pg.copy(
            f"COPY {t['medicine']} (entry_id, name, drug_class, effective) FROM STDIN"
            " (FORMAT binary)",
            writer=QueuedLibpqWriter(pg),
        ) as copy:
            copy.write(_COPY_HEADER)
            for start in range(0, medicines.height, _COPY_PIECE):
                some = slice(start, start + _COPY_PIECE)
                copy.write(
                    _binary_rows(
                        [(">i8", medicines["entry_id"][some].to_numpy())],
                        Tail(tail.codes[some], tail.values, tail.fields),
                    )
                )
            copy.write(_COPY_TRAILER)
    if skip_key_triggers:
        cursor.execute("SET LOCAL session_replication_role = origin")
    stored = Stored(medicines=medicines.height)
    for p, created in days.group_by("p").len().iter_rows():
        stored.count(checked.patients["patient"][p], created=created)
    return stored


def _entry_ids(cursor: Any, t: dict[str, str], count: int) -> np.ndarray[Any, Any]:
    """`count` new ids from the diary's id sequence, in ascending order."""
    cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [t["entry"]])
    sequence = cursor.fetchone()[0]
    data = bytearray()
    with cursor.cursor.copy(
        "COPY (SELECT nextval(%s::regclass) FROM generate_series(1, %s)) TO STDOUT (FORMAT binary)",
        [sequence, count],
    ) as copy:
        for block in copy:
            data += block
    # The header (19 bytes), then per row: 1 field, 8 bytes, the id; the trailer (2 bytes).
    rows = np.frombuffer(bytes(data[19:-2]), dtype=[("n", ">i2"), ("size", ">i4"), ("id", ">i8")])
    ids: np.ndarray[Any, Any] = rows["id"].astype(np.int64)
    if len(ids) != count:
        raise RuntimeError(f"the diary's sequence gave {len(ids)} ids for {count} days")
    return ids


def _new_days_rows(
    days: pl.DataFrame,
    ids: np.ndarray[Any, Any],
    uuids: np.ndarray[Any, Any],
    now: dt.datetime,
) -> memoryview:
    """The binary COPY rows of new days, in `_copy_new`'s column order."""
    h100 = days["h100"].to_numpy().astype(np.int64)
    # numeric as PostgreSQL sends it: 2 base-10000 digits, weight 0, positive, scale 2.
    hours = np.empty((days.height, 6), dtype=np.int64)
    hours[:, :4] = (2, 0, 0, 2)
    hours[:, 4] = h100 // 100
    hours[:, 5] = h100 % 100 * 100
    stamp = (now - _PG_EPOCH_TIME) // dt.timedelta(microseconds=1)
    source = str(EntrySource.IMPORT).encode()
    return _binary_rows(
        [
            (">i8", ids),
            ("V16", uuids[days["p"].to_numpy()]),
            (">i4", _pg_dates(days["date"])),
            ((">i2", (6,)), hours),
            *(("?", days[f].to_numpy()) for f in FLAGS),
            (">i2", days["aura_minutes"].to_numpy()),
            ("", None),  # notes: empty
            ("?", days["late"].to_numpy()),
            (f"S{len(source)}", source),
            (">i4", 1),
            (">i8", stamp),
            (">i8", stamp),
        ],
        Tail.text(days["intensity"].to_numpy(), _INTENSITIES),
    )


def _medicine_tail(medicines: pl.DataFrame) -> Tail:
    """The medicines' name, class and effect, as codes into their distinct combinations."""
    # (NUL never is in a name: a file holding one is refused.)
    key = medicines.select(
        pl.concat_str(pl.col("name"), pl.col("drug_class"), EFFECT_LETTER, separator="\0")
    ).to_series()
    distinct = key.unique(maintain_order=True)
    codes = key.replace_strict(distinct, range(len(distinct)), return_dtype=pl.UInt32)
    effects = {"?": None, "y": b"\x01", "n": b"\x00"}
    values = []
    for combination in distinct.to_list():
        name, drug_class, effective = combination.split("\0")
        values.append(
            _field(name.encode()) + _field(drug_class.encode()) + _field(effects[effective])
        )
    return Tail(codes.to_numpy(), values, 3)


# --- Days of which some are stored: staging tables and set-based SQL -------------------------


def _in_index_order(checked: Checked) -> pl.DataFrame:
    """The days in the order of the (patient_id, date) indexes: B-tree inserts in key
    order touch each leaf page once (and append on an empty table), instead of one
    descent to a random leaf per row."""
    patients = checked.patients["patient"]
    rank = np.empty(len(patients), dtype=np.int64)
    rank[patients.arg_sort().to_numpy()] = np.arange(len(patients))
    return (
        checked.days.with_columns(rank=pl.Series(rank).gather(checked.days["p"]))
        .sort("rank", "date")
        .drop("rank")
    )


def _days_copy(checked: Checked, days: pl.DataFrame) -> bytes:
    flag_bits = np.zeros(days.height, dtype=np.int16)
    for i, f in enumerate((*FLAGS, "late")):
        flag_bits |= days[f].to_numpy().astype(np.int16) << i
    return _binary_copy(
        [
            (">i4", days["n"].to_numpy()),
            ("V16", _uuids(checked.patients, days["p"])),
            (">i4", _pg_dates(days["date"])),
            (">i2", days["h100"].to_numpy()),
            (">i2", days["intensity"].to_numpy()),
            (">i2", flag_bits),
            (">i2", days["aura_minutes"].to_numpy()),
        ]
    )


def _medicines_copy(checked: Checked, names: pl.Series) -> bytes:
    medicines = checked.medicines
    class_codes = {c: i for i, c in enumerate(ACUTE_CLASS_CODES)}
    return _binary_copy(
        [
            (">i4", medicines["n"].to_numpy()),
            ("V16", _uuids(checked.patients, medicines["p"])),
            (">i4", _pg_dates(medicines["date"])),
            (">i2", medicines["ord"].to_numpy()),
            (
                ">i4",
                medicines["name"]
                .replace_strict(names, range(len(names)), return_dtype=pl.Int32)
                .to_numpy(),
            ),
            (
                ">i2",
                medicines["drug_class"]
                .replace_strict(class_codes, return_dtype=pl.Int16)
                .to_numpy(),
            ),
            (">i2", medicines["effective"].cast(pl.Int16).fill_null(-1).to_numpy()),
        ]
    )


def _stage(cursor: Any, days_data: bytes, medicines_data: bytes, names: list[str]) -> None:
    """COPY the rows into the staging tables."""
    pg = cursor.cursor  # psycopg's own cursor, for COPY
    cursor.execute("SET LOCAL work_mem = '256MB'")
    # ON COMMIT DROP removes them, unless the import runs inside a larger transaction.
    cursor.execute(f"DROP TABLE IF EXISTS {_STAGING}")
    cursor.execute(
        "CREATE TEMP TABLE cephalog_bulk_days (n int4, patient uuid, date date, h100 int2,"
        " intensity int2, flags int2, aura_minutes int2) ON COMMIT DROP;"
        "CREATE TEMP TABLE cephalog_bulk_medicines (n int4, patient uuid, date date,"
        " ord int2, name int4, drug_class int2, effective int2) ON COMMIT DROP;"
        "CREATE TEMP TABLE cephalog_bulk_names (code int4, name text) ON COMMIT DROP"
    )
    with pg.copy("COPY cephalog_bulk_days FROM STDIN (FORMAT binary)") as copy:
        copy.write(days_data)
    with pg.copy("COPY cephalog_bulk_medicines FROM STDIN (FORMAT binary)") as copy:
        copy.write(medicines_data)
    with pg.copy("COPY cephalog_bulk_names (code, name) FROM STDIN") as copy:
        for code, name in enumerate(names):
            copy.write_row((code, name))
    # Hash joins over the staging tables (without statistics on them the planner may
    # pick sort-and-merge joins of a million rows).
    cursor.execute("SET LOCAL enable_mergejoin = off")
    cursor.execute("SET LOCAL jit = off")


def _compare(cursor: Any, t: dict[str, str], patient_ids: list[Any]) -> tuple[Stored, int]:
    """Days already stored: the same (unchanged) or changed; the counts, and how many
    changed."""
    cursor.execute(
        "CREATE TEMP TABLE cephalog_bulk_existing ON COMMIT DROP AS "
        f"SELECT s.n, e.id, ({_SAME}) AS same_fields FROM cephalog_bulk_days s "
        f"JOIN {t['entry']} e ON e.patient_id = s.patient AND e.date = s.date "
        "WHERE e.patient_id = ANY(%s::uuid[])",
        [patient_ids],
    )
    cursor.execute(
        "CREATE TEMP TABLE cephalog_bulk_changed ON COMMIT DROP AS "
        "SELECT x.n, x.id FROM cephalog_bulk_existing x "
        "LEFT JOIN (SELECT m.entry_id, string_agg(ROW(m.name, m.drug_class, m.effective)::text,"
        " ';' ORDER BY m.id) AS meds"
        f" FROM {t['medicine']} m JOIN cephalog_bulk_existing x2 ON m.entry_id = x2.id"
        " WHERE x2.same_fields GROUP BY m.entry_id) em ON em.entry_id = x.id "
        "LEFT JOIN (SELECT b.n, string_agg("
        f"ROW(nm.name, {_DRUG_CLASS}, {_EFFECTIVE})::text, ';' ORDER BY b.ord) AS meds"
        " FROM cephalog_bulk_medicines b JOIN cephalog_bulk_existing x3 ON b.n = x3.n"
        " JOIN cephalog_bulk_names nm ON nm.code = b.name"
        " WHERE x3.same_fields GROUP BY b.n) sm ON sm.n = x.n "
        "WHERE NOT x.same_fields OR coalesce(em.meds, '') <> coalesce(sm.meds, '')"
    )
    cursor.execute(
        "SELECT (SELECT count(*) FROM cephalog_bulk_existing),"
        " (SELECT count(*) FROM cephalog_bulk_changed)"
    )
    existing, changed = cursor.fetchone()
    stored = Stored(unchanged=existing - changed)
    return stored, changed


def _replace_changed(
    cursor: Any,
    t: dict[str, str],
    stored: Stored,
    *,
    by_id: int | None,
    reason: str,
    now: dt.datetime,
) -> None:
    """Lock the changed days, keep their current version, then replace them."""
    cursor.execute(
        f"SELECT count(*) FROM (SELECT 1 FROM {t['entry']} e "
        "JOIN cephalog_bulk_changed c ON c.id = e.id ORDER BY e.id FOR UPDATE OF e) l"
    )
    snapshot_flags = ", ".join(f"'{f}', e.{f}" for f in FLAGS)
    cursor.execute(
        f"INSERT INTO {t['revision']} (patient_id, date, version, snapshot, changed_by_id,"
        " change, reason, changed_at) "
        "SELECT e.patient_id, e.date, e.version,"
        " jsonb_build_object('date', to_char(e.date, 'YYYY-MM-DD'),"
        "  'headache_hours', e.headache_hours)"
        " || CASE WHEN e.peak_intensity <> ''"
        "  THEN jsonb_build_object('peak_intensity', e.peak_intensity)"
        "  ELSE '{}'::jsonb END"
        f" || jsonb_build_object({snapshot_flags}, 'aura_minutes', e.aura_minutes,"
        "  'acute_medications', coalesce(am.meds, '[]'::jsonb)),"
        " %s, 'edit', %s, %s "
        f"FROM {t['entry']} e JOIN cephalog_bulk_changed c ON c.id = e.id "
        "LEFT JOIN (SELECT m.entry_id, jsonb_agg(jsonb_build_object('name', m.name,"
        " 'class', m.drug_class, 'effective', m.effective) ORDER BY m.id) AS meds"
        f" FROM {t['medicine']} m JOIN cephalog_bulk_changed c2 ON c2.id = m.entry_id"
        " GROUP BY m.entry_id) am ON am.entry_id = e.id",
        [by_id, reason[:300], now],
    )
    cursor.execute(
        f"DELETE FROM {t['medicine']} m USING cephalog_bulk_changed c WHERE m.entry_id = c.id"
    )
    assignments = ", ".join(f"{f} = {_flag(i)}" for i, f in enumerate(FLAGS))
    cursor.execute(
        f"WITH up AS (UPDATE {t['entry']} e SET headache_hours = s.h100 / 100.0,"
        f" peak_intensity = {_INTENSITY}, {assignments},"
        f" aura_minutes = s.aura_minutes, late = {_LATE}, source = %s,"
        " version = e.version + 1, updated_at = %s "
        "FROM cephalog_bulk_changed c JOIN cephalog_bulk_days s ON s.n = c.n "
        "WHERE e.id = c.id RETURNING e.patient_id) "
        "SELECT patient_id, count(*) FROM up GROUP BY patient_id",
        [EntrySource.IMPORT, now],
    )
    for patient_id, updated in cursor.fetchall():
        stored.count(str(patient_id), updated=updated)


def _insert_new(cursor: Any, t: dict[str, str], stored: Stored, now: dt.datetime) -> None:
    """New days, and their medicines in the order of the file."""
    cursor.execute(
        "WITH ins AS ("
        f" INSERT INTO {t['entry']} (patient_id, date, headache_hours, peak_intensity,"
        f"  {', '.join(FLAGS)}, aura_minutes, notes, late, source, version, created_at,"
        "  updated_at)"
        f" SELECT s.patient, s.date, s.h100 / 100.0, {_INTENSITY}, {_FLAG_VALUES},"
        f"  s.aura_minutes, '', {_LATE}, %s, 1, %s, %s"
        " FROM cephalog_bulk_days s"
        " WHERE NOT EXISTS (SELECT 1 FROM cephalog_bulk_existing x WHERE x.n = s.n)"
        " RETURNING id, patient_id, date"
        "), meds AS ("
        f" INSERT INTO {t['medicine']} (entry_id, name, drug_class, effective)"
        f" SELECT ins.id, nm.name, {_DRUG_CLASS}, {_EFFECTIVE} FROM ins"
        " JOIN cephalog_bulk_medicines b ON b.patient = ins.patient_id AND b.date = ins.date"
        " JOIN cephalog_bulk_names nm ON nm.code = b.name"
        " ORDER BY ins.id, b.ord RETURNING 1"
        ") SELECT patient_id, count(*), (SELECT count(*) FROM meds) FROM ins"
        " GROUP BY patient_id",
        [EntrySource.IMPORT, now, now],
    )
    new_medicines = 0
    for patient_id, created, medicine_count in cursor.fetchall():
        stored.count(str(patient_id), created=created)
        new_medicines = medicine_count
    stored.medicines += new_medicines
