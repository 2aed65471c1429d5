"""Saves of a stored day on PostgreSQL in fewer statements (issue 19.1).

- `save_with_revision`: an update with its kept revision in one statement (elsewhere the
  two saves it stands for).
- `save_in_one_statement`: save_day's whole write (the lock, the version check, the kept
  revision, the entry and its medicines) in one statement, when nothing can make it
  differ from the step-by-step save; else it writes nothing and says so.
"""

from __future__ import annotations

import datetime as dt
import json
import weakref
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.db import DatabaseError, connection
from django.utils import timezone

from cephalog.diary.actions.checks import FLAGS
from cephalog.diary.models import (
    AcuteMedicationTaken,
    DiaryEntry,
    DiaryEntryRevision,
    EntrySource,
    Intensity,
)
from cephalog.domain.diary import DiaryDay

#: The statement, written once per process: (sql, revision fields, entry fields).
_SQL: tuple[str, list[Any], list[Any]] | None = None


def _sql() -> tuple[str, list[Any], list[Any]]:
    """INSERT of the revision (a data-modifying WITH) and UPDATE of every column of the
    entry but its id, as `Model.save()` writes them."""
    global _SQL
    if _SQL is None:
        qn = connection.ops.quote_name
        revision = [f for f in DiaryEntryRevision._meta.concrete_fields if not f.primary_key]
        entry = [f for f in DiaryEntry._meta.concrete_fields if not f.primary_key]
        pk = DiaryEntry._meta.pk
        assert pk is not None
        sql = (
            f"WITH revision AS (INSERT INTO {qn(DiaryEntryRevision._meta.db_table)} "
            f"({', '.join(qn(str(f.column)) for f in revision)}) "
            f"VALUES ({', '.join(['%s'] * len(revision))})) "
            f"UPDATE {qn(DiaryEntry._meta.db_table)} SET "
            + ", ".join(f"{qn(str(f.column))} = %s" for f in entry)
            + f" WHERE {qn(str(pk.column))} = %s"
        )
        _SQL = (sql, revision, entry)
    return _SQL


def save_with_revision(entry: DiaryEntry, revision: DiaryEntryRevision) -> None:
    """Insert `revision` (the entry as it was) and save the changed `entry`, which exists.

    On PostgreSQL in one statement with the values `save()` would write (each field's
    `pre_save`: `updated_at` and `changed_at` are set on the instances as save() sets
    them); the ORM composing the two statements cost more CPU than the rest of a save.
    """
    if connection.vendor != "postgresql":
        revision.save()
        entry.save()
        return
    sql, revision_fields, entry_fields = _sql()
    params = [f.get_db_prep_save(f.pre_save(revision, True), connection) for f in revision_fields]
    params += [f.get_db_prep_save(f.pre_save(entry, False), connection) for f in entry_fields]
    params.append(entry.pk)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        if cursor.rowcount != 1:
            raise DatabaseError(f"diary entry {entry.pk} was not updated")


# --- A whole save of a day in one statement (PostgreSQL) -----------------------------------

#: The Python values of the columns a save writes: the day's facts, in this order.
_DAY_COLUMNS = ("headache_hours", "peak_intensity", *FLAGS, "aura_minutes", "late", "source")
#: The details a save writes only when given (an update keeps the stored ones otherwise).
_DETAIL_DEFAULTS = {"notes": "''", "pain_locations": "'[]'::jsonb", "triggers": "'[]'::jsonb"}
_SOURCES = frozenset(EntrySource.values)
_INTENSITIES = frozenset({"", *Intensity.values})
_MAX_AURA = 32767  # PositiveSmallIntegerField: full_clean's bound
_MAX_VERSION = 2147483647  # PositiveIntegerField: full_clean's bound

#: The parameters of the one-statement save, with their types, in PREPARE's order.
_PARAMETERS = {
    "patient": "uuid",
    "date": "date",
    "expected": "integer",
    "by": "bigint",
    "reason": "varchar",
    "now": "timestamptz",
    "headache_hours": "numeric",
    "peak_intensity": "varchar",
    **dict.fromkeys(FLAGS, "boolean"),
    "aura_minutes": "integer",
    "late": "boolean",
    "source": "varchar",
    "notes": "text",
    "pain_locations": "jsonb",
    "triggers": "jsonb",
    "names": "varchar[]",
    "classes": "varchar[]",
    "effective": "boolean[]",
}
#: The name the statement is prepared under, in each database session that ran it.
_STATEMENT = "cephalog_diary_save_day"
#: (PREPARE statement, EXECUTE statement, the entry's fields in the result's order with
#: each one's converters from the database), made once per process; and the connections
#: (psycopg's) the statement is prepared on.
_ONE_SQL: tuple[str, str, list[tuple[Any, list[Any]]]] | None = None
_PREPARED: weakref.WeakSet[Any] = weakref.WeakSet()


def _snapshot_sql(row: str, medicines: str, qn: Callable[[str], str]) -> str:
    """`entry_to_dict` of the diary row `row` as jsonb, value for value and type for type:
    `headache_hours` as Python's float of the stored decimal prints it (3.0, 3.5, 0.25),
    the medicines in id order, `peak_intensity` and the details only when truthy."""
    hours = f"{row}.{qn('headache_hours')}"
    facts = ", ".join(f"'{flag}', {row}.{qn(flag)}" for flag in FLAGS)
    falsy = "('[]', '{}', '\"\"', '0', 'false', 'null')"
    optional = [
        f"CASE WHEN {row}.{qn('peak_intensity')} <> '' THEN "
        f"jsonb_build_object('peak_intensity', {row}.{qn('peak_intensity')}) ELSE '{{}}' END",
        f"CASE WHEN {row}.{qn('notes')} <> '' THEN "
        f"jsonb_build_object('notes', {row}.{qn('notes')}) ELSE '{{}}' END",
        *(
            f"CASE WHEN {row}.{qn(key)} NOT IN {falsy} THEN "
            f"jsonb_build_object('{key}', {row}.{qn(key)}) ELSE '{{}}' END"
            for key in ("pain_locations", "triggers")
        ),
    ]
    return (
        f"jsonb_build_object('date', {row}.{qn('date')}, "
        f"'headache_hours', round({hours}, CASE WHEN {hours} = round({hours}, 1) THEN 1 ELSE 2 END), "
        f"{facts}, 'aura_minutes', {row}.{qn('aura_minutes')}, "
        "'acute_medications', COALESCE((SELECT jsonb_agg(jsonb_build_object('name', m.name, "
        "'class', m.drug_class, 'effective', m.effective) ORDER BY m.id) "
        f"FROM {medicines} m WHERE m.entry_id = {row}.id), '[]'::jsonb))"
        + "".join(f" || {part}" for part in optional)
    )


def _one_sql() -> tuple[str, str, list[tuple[Any, list[Any]]]]:
    """The save of a day as one statement (see `save_in_one_statement`), as a PREPARE of
    it and the EXECUTE that runs it: planning the statement cost more CPU in PostgreSQL
    than running it, and a prepared statement is planned once per session.

    SQL-level PREPARE, not psycopg's prepared statements: Django turns those off (for
    connection poolers) and they need server-side binding. It assumes each Django
    connection is one PostgreSQL session (no pooler in transaction mode in between:
    there, the EXECUTE could reach a session that never saw the PREPARE)."""
    global _ONE_SQL
    if _ONE_SQL is None:
        qn = connection.ops.quote_name
        days = qn(DiaryEntry._meta.db_table)
        medicines = qn(AcuteMedicationTaken._meta.db_table)
        revisions = qn(DiaryEntryRevision._meta.db_table)
        fields = list(DiaryEntry._meta.concrete_fields)
        day = [qn(name) for name in _DAY_COLUMNS]
        details = {name: qn(name) for name in _DETAIL_DEFAULTS}
        sets = ", ".join(f"{c} = %({name})s" for c, name in zip(day, _DAY_COLUMNS, strict=True))
        sets += "".join(f", {c} = COALESCE(%({name})s, o.{c})" for name, c in details.items())
        inserted = ", ".join(f"%({name})s" for name in _DAY_COLUMNS)
        inserted += "".join(
            f", COALESCE(%({name})s, {default})" for name, default in _DETAIL_DEFAULTS.items()
        )
        sql = (
            # the stored day, locked (the diary row only)
            f"WITH locked AS (SELECT e.* FROM {days} e "
            "WHERE e.patient_id = %(patient)s AND e.date = %(date)s FOR UPDATE OF e), "
            # ...to be replaced: not changed since this statement's snapshot (else its
            # medicines, read as of the snapshot, might not be the locked version's), at
            # the version the editor started from, and with a version left to count to
            "old AS (SELECT l.* FROM locked l "
            f"WHERE l.version = (SELECT s.version FROM {days} s WHERE s.id = l.id) "
            "AND (%(expected)s IS NULL OR l.version = %(expected)s) "
            f"AND l.version < {_MAX_VERSION}), "
            f"revision AS (INSERT INTO {revisions} (patient_id, date, version, snapshot, "
            "changed_by_id, change, reason, changed_at) "
            f"SELECT o.patient_id, o.date, o.version, {_snapshot_sql('o', medicines, qn)}, "
            "%(by)s, 'edit', %(reason)s, %(now)s FROM old o), "
            f"updated AS (UPDATE {days} d SET {sets}, version = o.version + 1, "
            f"updated_at = %(now)s FROM old o WHERE d.id = o.id RETURNING d.*), "
            # no stored day (and the editor did not start from one): a new one
            f"created AS (INSERT INTO {days} (patient_id, date, "
            f"{', '.join(day)}, {', '.join(details.values())}, version, created_at, updated_at) "
            f"SELECT %(patient)s, %(date)s, {inserted}, 1, %(now)s, %(now)s "
            "WHERE NOT EXISTS (SELECT FROM locked) AND COALESCE(%(expected)s, 0) = 0 "
            "RETURNING *), "
            "saved AS (SELECT * FROM updated UNION ALL SELECT * FROM created), "
            f"removed AS (DELETE FROM {medicines} m USING old o WHERE m.entry_id = o.id), "
            f"medicines AS (INSERT INTO {medicines} (entry_id, name, drug_class, effective) "
            "SELECT s.id, x.name, x.drug_class, x.effective FROM saved s, "
            "unnest(%(names)s, %(classes)s, %(effective)s) "
            "WITH ORDINALITY AS x(name, drug_class, effective, n) ORDER BY x.n RETURNING id) "
            f"SELECT {', '.join(f's.{qn(str(f.column))}' for f in fields)}, "
            "(SELECT array_agg(id ORDER BY id) FROM medicines), EXISTS (SELECT FROM old) "
            "FROM saved s"
        )
        positions = {name: f"${i}" for i, name in enumerate(_PARAMETERS, start=1)}
        prepare = f"PREPARE {_STATEMENT} ({', '.join(_PARAMETERS.values())}) AS {sql % positions}"
        execute = f"EXECUTE {_STATEMENT} ({', '.join(['%s'] * len(_PARAMETERS))})"
        _ONE_SQL = (prepare, execute, [(f, f.get_db_converters(connection)) for f in fields])
    return _ONE_SQL


def save_in_one_statement(
    patient: Any,
    day: DiaryDay,
    details: dict[str, Any],
    *,
    by: Any,
    today: dt.date,
    reason: str,
    source: str,
    expected_version: int | None,
) -> tuple[DiaryEntry, bool] | None:
    """Store a checked day as `_store_day` does after `_locked_day`, in one statement:
    (the entry, with its medicines loaded; True when it existed), or None when nothing
    was written and the step-by-step save must run (it then gives the same answer as
    ever): a version conflict, a row changed while this statement waited for its lock,
    or a value `full_clean` would refuse. The caller has checked the date already, and
    audits."""
    if (
        day.aura_minutes > _MAX_AURA
        or source not in _SOURCES
        or (day.peak_intensity or "") not in _INTENSITIES
    ):
        return None  # full_clean refuses it: the step-by-step save says how
    hours = Decimal(str(day.headache_hours)).quantize(Decimal("0.01"))
    pain = details.get("pain_locations")
    if not hours:
        pain = []  # no headache, no pain to place
    triggers = details.get("triggers")
    now = timezone.now()
    params: dict[str, Any] = {
        "patient": patient.pk,
        "date": day.date,
        "expected": expected_version,
        "by": by.pk if getattr(by, "is_authenticated", False) else None,
        "reason": reason[:300],
        "now": now,
        "headache_hours": hours,
        "peak_intensity": day.peak_intensity or "" if day.headache_hours > 0 else "",
        **{flag: getattr(day, flag) for flag in FLAGS},
        "aura_minutes": day.aura_minutes,
        "late": day.date < today,
        "source": source,
        "notes": details.get("notes"),
        "pain_locations": None if pain is None else json.dumps(pain),
        "triggers": None if triggers is None else json.dumps(triggers),
        "names": [m.name for m in day.acute_medications],
        "classes": [m.drug_class for m in day.acute_medications],
        "effective": [m.effective for m in day.acute_medications],
    }
    prepare, execute, fields = _one_sql()
    with connection.cursor() as cursor:
        session = connection.connection
        if session not in _PREPARED:
            cursor.execute(prepare)  # not undone by a rollback: it lasts as long as the session
            _PREPARED.add(session)
        cursor.execute(execute, [params[name] for name in _PARAMETERS])
        row = cursor.fetchone()
    if row is None:
        return None
    values = list(row[: len(fields)])
    for i, (field, converters) in enumerate(fields):
        for convert in converters:
            values[i] = convert(values[i], field, connection)
    entry = DiaryEntry.from_db(connection.alias, [f.attname for f, _ in fields], values)
    entry.patient = patient
    medicine_ids, existed = row[len(fields) :]
    medications = []
    for pk, m in zip(medicine_ids or [], day.acute_medications, strict=True):
        medicine = AcuteMedicationTaken(
            id=pk, entry=entry, name=m.name, drug_class=m.drug_class, effective=m.effective
        )
        medicine._state.adding, medicine._state.db = False, connection.alias
        medications.append(medicine)
    set_prefetched_medications(entry, medications)
    return entry, bool(existed)


def set_prefetched_medications(entry: DiaryEntry, medications: list[AcuteMedicationTaken]) -> None:
    """What prefetch_related("medications") would have loaded (as Django's prefetch stores
    it), so callers render the saved day without reading it back. Should Django store
    prefetches differently one day, `entry.medications.all()` simply queries again."""
    queryset = entry.medications.get_queryset()
    queryset._result_cache = medications
    queryset._prefetch_done = True  # type: ignore[attr-defined]
    entry._prefetched_objects_cache = {"medications": queryset}  # type: ignore[attr-defined]
