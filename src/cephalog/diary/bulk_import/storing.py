"""What the stores share: the counts, table names, ids and medicine keys."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import polars as pl
from django.db import connection

from cephalog.diary.actions import FLAGS
from cephalog.diary.models import AcuteMedicationTaken, DiaryEntry, DiaryEntryRevision
from cephalog.patients.models import Patient

# --- Storing ---------------------------------------------------------------------------------


@dataclass
class Stored:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    medicines: int = 0
    #: patient id -> (created, updated), for the per-patient audit rows.
    by_patient: dict[str, tuple[int, int]] = field(default_factory=dict)

    def count(self, patient: str, created: int = 0, updated: int = 0) -> None:
        before = self.by_patient.get(patient, (0, 0))
        self.by_patient[patient] = (before[0] + created, before[1] + updated)
        self.created += created
        self.updated += updated


_DAY_FIELDS = ("headache_hours", "peak_intensity", *FLAGS, "aura_minutes")


def _tables() -> dict[str, str]:
    q = connection.ops.quote_name
    return {
        "entry": q(DiaryEntry._meta.db_table),
        "medicine": q(AcuteMedicationTaken._meta.db_table),
        "revision": q(DiaryEntryRevision._meta.db_table),
        "patient": q(Patient._meta.db_table),
    }


# PostgreSQL's binary COPY: a header, then per row the number of fields and each field
# as its length and big-endian bytes; every field here has a fixed width, so a row is


def _next_id(cursor: Any, table: str) -> int:
    """SQLite: the first id after the table's largest and its AUTOINCREMENT sequence."""
    cursor.execute(f"SELECT max(id) FROM {connection.ops.quote_name(table)}")
    largest = cursor.fetchone()[0] or 0
    cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
    sequence = cursor.fetchone()
    return int(max(largest, sequence[0] if sequence else 0)) + 1


def _new_ids(
    cursor: Any, new: pl.DataFrame, db_patients: Sequence[Any], from_db: pl.DataFrame
) -> pl.DataFrame:
    """The ids of the days just inserted (n, entry_id), read back by (patient, date)."""
    keys: list[tuple[Any, ...]] = []
    for chunk in _chunks(db_patients, 500):
        marks = ", ".join(["%s"] * len(chunk))
        cursor.execute(
            f"SELECT id, patient_id, {connection.ops.quote_name('date')} || '' "
            f"FROM {_tables()['entry']} WHERE patient_id IN ({marks})",
            chunk,
        )
        keys.extend((r[0], str(r[1]), r[2]) for r in cursor.fetchall())
    stored = (
        pl.DataFrame(
            keys,
            schema={"entry_id": pl.Int64, "db_patient": pl.String, "date": pl.String},
            orient="row",
        )
        .with_columns(pl.col("date").str.to_date("%Y-%m-%d"))
        .join(from_db, on="db_patient")
    )
    return new.select("n", "p", "date").join(stored, on=["p", "date"]).select("n", "entry_id")


#: A medicine's `effective` as one letter: "y", "n", or "?" when not said.
EFFECT_LETTER = (
    pl.when(pl.col("effective").is_null())
    .then(pl.lit("?"))
    .when(pl.col("effective"))
    .then(pl.lit("y"))
    .otherwise(pl.lit("n"))
)


def _medicine_key(medicines: pl.DataFrame, by: str) -> pl.DataFrame:
    """One text per day naming its medicines in order, to compare stored and imported days."""
    item = pl.concat_str(
        pl.col("name")
        .str.replace_all("%", "%25", literal=True)
        .str.replace_all(";", "%3B", literal=True)
        .str.replace_all(":", "%3A", literal=True),
        pl.col("drug_class"),
        EFFECT_LETTER,
        separator=":",
    )
    return medicines.group_by(by, maintain_order=True).agg(meds=item.str.join(";"))


def _chunks[T](items: Sequence[T], size: int) -> Iterable[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
