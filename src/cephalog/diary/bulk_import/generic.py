"""Storing elsewhere (SQLite): executemany, the same rules."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import polars as pl
from django.db import connection

from cephalog.diary.actions import FLAGS
from cephalog.diary.bulk_import.check import (
    Checked,
)
from cephalog.diary.bulk_import.storing import (
    _DAY_FIELDS,
    Stored,
    _chunks,
    _medicine_key,
    _new_ids,
    _next_id,
    _tables,
)
from cephalog.diary.models import DiaryEntry, DiaryEntryRevision, EntrySource
from cephalog.patients.models import Patient


def _matched(
    days: pl.DataFrame,
    existing: pl.DataFrame,
    stored_medicines: pl.DataFrame,
    new_medicines: pl.DataFrame,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The file's days already stored, and those of them that change."""
    key = _medicine_key(stored_medicines.sort("m_id"), "id")
    new_key = _medicine_key(new_medicines.sort("n", "ord"), "n")
    matched = (
        days.join(existing, on=["p", "date"], how="inner")
        .join(key, on="id", how="left")
        .join(new_key.rename({"meds": "new_meds"}), on="n", how="left")
    )
    same = pl.all_horizontal(
        pl.col("h100") == pl.col("e_h100"),
        *(pl.col(f) == pl.col(f"e_{f}") for f in ("peak_intensity", *FLAGS, "aura_minutes")),
        pl.col("meds").fill_null("") == pl.col("new_meds").fill_null(""),
    )
    return matched, matched.filter(~same)


def _store_generic(checked: Checked, *, by_id: int | None, reason: str, now: dt.datetime) -> Stored:
    """The fallback for databases without COPY (SQLite): executemany, in the caller's
    transaction. The same rules: unchanged days are left alone, changed ones keep
    their previous version as a revision."""
    t = _tables()
    days = checked.days
    patient_pk = Patient._meta.pk
    assert patient_pk is not None
    patients = checked.patients.filter(pl.col("p").is_in(days["p"].unique().implode()))
    to_db = {
        p: patient_pk.get_db_prep_value(uuid.UUID(patient), connection)
        for p, patient in patients.select("p", "patient").iter_rows()
    }
    from_db = pl.DataFrame(
        {"db_patient": [str(v) for v in to_db.values()], "p": list(to_db)},
        schema={"db_patient": pl.String, "p": pl.UInt32},
    )
    existing, stored_medicines = _stored_days(t, list(to_db.values()), from_db)
    matched, changed = _matched(days, existing, stored_medicines, checked.medicines)
    result = Stored(unchanged=matched.height - changed.height)
    new = days.join(existing.select("p", "date"), on=["p", "date"], how="anti")
    patient_of = dict(patients.select("p", "patient").iter_rows())
    stamp = connection.ops.adapt_datetimefield_value(now)
    with connection.cursor() as cursor:
        if changed.height:
            _replace_changed(
                cursor,
                t,
                changed,
                stored_medicines,
                patient_of,
                result,
                by_id=by_id,
                reason=reason,
                stamp=stamp,
            )
        entry_ids = changed.select("n", entry_id="id")
        if new.height:
            new_ids = _insert_new(cursor, t, new, to_db, from_db, patient_of, result, stamp)
            entry_ids = pl.concat([entry_ids, new_ids], how="vertical_relaxed")
        # Medicines of the new and changed days, in the order of the file.
        medicines = checked.medicines.join(entry_ids, on="n", how="inner").sort("n", "ord")
        if medicines.height:
            cursor.executemany(
                f"INSERT INTO {t['medicine']} (entry_id, name, drug_class, effective) "
                "VALUES (%s, %s, %s, %s)",
                medicines.select("entry_id", "name", "drug_class", "effective").rows(),
            )
            result.medicines = medicines.height
    return result


def _hours(h100: int) -> str:
    return f"{h100 // 100}.{h100 % 100:02d}"


def _frames(
    entry_rows: list[tuple[Any, ...]], medicine_rows: list[tuple[Any, ...]], from_db: pl.DataFrame
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The stored rows as frames: the days (fields prefixed e_) and their medicines."""
    existing = (
        pl.DataFrame(
            [
                (
                    r[0],
                    str(r[1]),
                    r[2],
                    round(float(r[3]) * 100),
                    r[4],
                    *(bool(v) for v in r[5 : 5 + len(FLAGS)]),
                    int(r[5 + len(FLAGS)]),
                    int(r[6 + len(FLAGS)]),
                )
                for r in entry_rows
            ],
            schema={
                "id": pl.Int64,
                "db_patient": pl.String,
                "date": pl.String,
                "e_h100": pl.Int16,
                "e_peak_intensity": pl.String,
                **{f"e_{f}": pl.Boolean for f in FLAGS},
                "e_aura_minutes": pl.Int16,
                "version": pl.Int64,
            },
            orient="row",
        )
        .with_columns(pl.col("date").str.to_date("%Y-%m-%d"))
        .join(from_db, on="db_patient")
        .drop("db_patient")
    )
    stored_medicines = pl.DataFrame(
        [(r[0], r[1], r[2], r[3], None if r[4] is None else bool(r[4])) for r in medicine_rows],
        schema={
            "id": pl.Int64,
            "m_id": pl.Int64,
            "name": pl.String,
            "drug_class": pl.String,
            "effective": pl.Boolean,
        },
        orient="row",
    )
    return existing, stored_medicines


def _stored_days(
    t: dict[str, str], db_patients: list[Any], from_db: pl.DataFrame
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The stored days of these patients (their fields prefixed e_) and their medicines."""
    ops = connection.ops
    columns = ["id", "patient_id", f"{ops.quote_name('date')} || ''", *_DAY_FIELDS, "version"]
    entry_rows: list[tuple[Any, ...]] = []
    medicine_rows: list[tuple[Any, ...]] = []
    with connection.cursor() as cursor:
        for chunk in _chunks(db_patients, 500):
            marks = ", ".join(["%s"] * len(chunk))
            cursor.execute(
                f"SELECT {', '.join(columns)} FROM {t['entry']} WHERE patient_id IN ({marks})",
                chunk,
            )
            entry_rows.extend(cursor.fetchall())
            cursor.execute(
                f"SELECT m.entry_id, m.id, m.name, m.drug_class, m.effective FROM {t['medicine']} m"
                f" JOIN {t['entry']} e ON e.id = m.entry_id WHERE e.patient_id IN ({marks})",
                chunk,
            )
            medicine_rows.extend(cursor.fetchall())
    return _frames(entry_rows, medicine_rows, from_db)


def _revisions(
    changed: pl.DataFrame,
    stored_medicines: pl.DataFrame,
    patient_of: dict[int, str],
    *,
    by_id: int | None,
    reason: str,
) -> list[DiaryEntryRevision]:
    """Each changed day's current version, as a revision to keep."""
    ids = changed["id"].to_list()
    medicines_by_entry: dict[int, list[dict[str, Any]]] = {}
    for row in stored_medicines.filter(pl.col("id").is_in(ids)).sort("m_id").iter_rows(named=True):
        medicines_by_entry.setdefault(row["id"], []).append(
            {"name": row["name"], "class": row["drug_class"], "effective": row["effective"]}
        )
    revisions = []
    for row in changed.iter_rows(named=True):
        snapshot: dict[str, Any] = {
            "date": row["date"].isoformat(),
            "headache_hours": row["e_h100"] / 100,
        }
        if row["e_peak_intensity"]:
            snapshot["peak_intensity"] = row["e_peak_intensity"]
        snapshot.update({f: row[f"e_{f}"] for f in FLAGS})
        snapshot["aura_minutes"] = row["e_aura_minutes"]
        snapshot["acute_medications"] = medicines_by_entry.get(row["id"], [])
        revisions.append(
            DiaryEntryRevision(
                patient_id=uuid.UUID(patient_of[row["p"]]),
                date=row["date"],
                version=row["version"],
                snapshot=snapshot,
                changed_by_id=by_id,
                change="edit",
                reason=reason[:300],
            )
        )
    return revisions


def _replace_changed(
    cursor: Any,
    t: dict[str, str],
    changed: pl.DataFrame,
    stored_medicines: pl.DataFrame,
    patient_of: dict[int, str],
    result: Stored,
    *,
    by_id: int | None,
    reason: str,
    stamp: Any,
) -> None:
    """Keep each changed day's current version as a revision, then replace it."""
    ids = changed["id"].to_list()
    revisions = _revisions(changed, stored_medicines, patient_of, by_id=by_id, reason=reason)
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


def _insert_new(
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
