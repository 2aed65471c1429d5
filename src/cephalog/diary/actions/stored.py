"""An update of a stored day with its kept revision: on PostgreSQL one statement (issue
19.1), elsewhere the two saves it stands for."""

from __future__ import annotations

from typing import Any

from django.db import DatabaseError, connection

from cephalog.diary.models import DiaryEntry, DiaryEntryRevision

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
