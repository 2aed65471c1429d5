"""Storing elsewhere (SQLite): executemany, the same rules. This module reads the stored
days and compares; the writes are in `store_actions`."""

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
from cephalog.diary.bulk_import.store_actions import insert_medicines, insert_new, replace_changed
from cephalog.diary.bulk_import.storing import (
    _DAY_FIELDS,
    Stored,
    _chunks,
    _medicine_key,
    _tables,
)
from cephalog.diary.models import DiaryEntryRevision
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
            revisions = _revisions(
                changed, stored_medicines, patient_of, by_id=by_id, reason=reason
            )
            replace_changed(cursor, t, changed, revisions, patient_of, result, stamp=stamp)
        entry_ids = changed.select("n", entry_id="id")
        if new.height:
            new_ids = insert_new(cursor, t, new, to_db, from_db, patient_of, result, stamp)
            entry_ids = pl.concat([entry_ids, new_ids], how="vertical_relaxed")
        # Medicines of the new and changed days, in the order of the file.
        medicines = checked.medicines.join(entry_ids, on="n", how="inner").sort("n", "ord")
        if medicines.height:
            insert_medicines(cursor, t, medicines)
            result.medicines = medicines.height
    return result


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
