"""The writes of the generic store (SQLite): executemany and bulk_create, in the caller's
transaction (`action._store`, which audits the import). `generic` reads and compares;
the steps that change the diary are here."""

from __future__ import annotations

from typing import Any

import polars as pl
from django.db import connection

from cephalog.diary.actions import FLAGS
from cephalog.diary.bulk_import.storing import (
    _DAY_FIELDS,
    Stored,
    _new_ids,
    _next_id,
)
from cephalog.diary.models import DiaryEntry, DiaryEntryRevision, EntrySource


def _hours(h100: int) -> str:
    return f"{h100 // 100}.{h100 % 100:02d}"


def replace_changed(
    cursor: Any,
    t: dict[str, str],
    changed: pl.DataFrame,
    revisions: list[DiaryEntryRevision],
    patient_of: dict[int, str],
    result: Stored,
    *,
    stamp: Any,
) -> None:
    """Keep each changed day's current version (`revisions`), then replace the day."""
    ids = changed["id"].to_list()
    DiaryEntryRevision.objects.bulk_create(revisions, batch_size=500)
    cursor.executemany(f"DELETE FROM {t['medicine']} WHERE entry_id = %s", [(i,) for i in ids])
    sets = ", ".join(f"{f} = %s" for f in (*_DAY_FIELDS, "late", "source"))
    cursor.executemany(
        f"UPDATE {t['entry']} SET {sets}, version = version + 1, updated_at = %s WHERE id = %s",
        [
            (
                _hours(r["h100"]),
                r["peak_intensity"],
                *(r[f] for f in FLAGS),
                r["aura_minutes"],
                r["late"],
                EntrySource.IMPORT,
                stamp,
                r["id"],
            )
            for r in changed.iter_rows(named=True)
        ],
    )
    for p, count in changed.group_by("p").len().iter_rows():
        result.count(patient_of[p], updated=count)


def insert_new(
    cursor: Any,
    t: dict[str, str],
    new: pl.DataFrame,
    to_db: dict[int, Any],
    from_db: pl.DataFrame,
    patient_of: dict[int, str],
    result: Stored,
    stamp: Any,
) -> pl.DataFrame:
    """Insert the new days; their ids by row number (n, entry_id)."""
    entry_ids = pl.DataFrame(schema={"n": pl.UInt32, "entry_id": pl.Int64})
    db_patients = list(to_db.values())
    # SQLite: this transaction holds the database's write lock (BEGIN IMMEDIATE), so
    # the ids after the table's largest (AUTOINCREMENT: and its sequence) are free.
    sqlite = connection.vendor == "sqlite"
    columns = ["patient_id", "date", *_DAY_FIELDS, "notes", "late", "source", "version"]
    columns += ["created_at", "updated_at"]
    # In the order of the (patient_id, date) index, as on PostgreSQL.
    new = new.with_columns(
        patient_id=pl.col("p").replace_strict(list(to_db), [str(v) for v in to_db.values()])
    ).sort("patient_id", "date")
    values = new.select(
        "patient_id",
        pl.col("date").dt.to_string("%Y-%m-%d"),
        (pl.col("h100") / 100).alias("headache_hours"),
        "peak_intensity",
        *FLAGS,
        "aura_minutes",
        notes=pl.lit(""),
        late="late",
        source=pl.lit(str(EntrySource.IMPORT)),
        version=pl.lit(1),
        created_at=pl.lit(stamp),
        updated_at=pl.lit(stamp),
    )
    if sqlite:
        first = _next_id(cursor, DiaryEntry._meta.db_table)
        values = values.with_columns(id=pl.int_range(first, first + new.height, dtype=pl.Int64))
        columns.append("id")
        entry_ids = pl.concat(
            [entry_ids, new.select("n", entry_id=values["id"])], how="vertical_relaxed"
        )
    marks = ", ".join(["%s"] * len(columns))
    cursor.executemany(
        f"INSERT INTO {t['entry']} ({', '.join(columns)}) VALUES ({marks})",
        values.select(columns).rows(),
    )
    for p, count in new.group_by("p").len().iter_rows():
        result.count(patient_of[p], created=count)
    if not sqlite:  # other databases: the new ids read back by (patient, date)
        entry_ids = pl.concat(
            [entry_ids, _new_ids(cursor, new, db_patients, from_db)],
            how="vertical_relaxed",
        )
    return entry_ids


def insert_medicines(cursor: Any, t: dict[str, str], medicines: pl.DataFrame) -> None:
    """The medicines of the new and changed days (entry_id, name, drug_class, effective)."""
    cursor.executemany(
        f"INSERT INTO {t['medicine']} (entry_id, name, drug_class, effective) "
        "VALUES (%s, %s, %s, %s)",
        medicines.select("entry_id", "name", "drug_class", "effective").rows(),
    )
