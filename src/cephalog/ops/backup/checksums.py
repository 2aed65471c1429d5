"""Per table: the row count and a SHA-256 over its rows ordered by primary key."""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import json
import sqlite3
import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import closing
from typing import Any

from cephalog.ops.backup.model import Database, TableSum


def _plain(value: Any) -> Any:
    """A JSON-able value that is the same every time the same row is read."""
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).hex()
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC)
        return value.isoformat()
    if isinstance(value, dt.date | dt.time | decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    return value


def _row_bytes(row: Sequence[Any]) -> bytes:
    return json.dumps(
        [_plain(v) for v in row], sort_keys=True, separators=(",", ":"), default=str
    ).encode()


def _digest(rows: Iterable[Sequence[Any]]) -> TableSum:
    h = hashlib.sha256()
    count = 0
    for row in rows:
        data = _row_bytes(row)
        h.update(len(data).to_bytes(8, "big"))
        h.update(data)
        count += 1
    return TableSum(count, h.hexdigest())


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _sqlite_sums(conn: sqlite3.Connection) -> dict[str, TableSum]:
    tables = [
        r[0]
        for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' "
            "AND name NOT LIKE 'sqlite_%' ORDER BY name"
        )
    ]
    sums: dict[str, TableSum] = {}
    for table in tables:
        info = conn.execute(f"PRAGMA table_info({_q(table)})").fetchall()
        columns = sorted(r[1] for r in info)
        pk = [r[1] for r in sorted(info, key=lambda r: r[5]) if r[5]] or columns
        cursor = conn.execute(
            f"SELECT {', '.join(map(_q, columns))} FROM {_q(table)} "
            f"ORDER BY {', '.join(map(_q, pk))}"
        )
        sums[table] = _digest(_fetch(cursor))
    return sums


def _fetch(cursor: Any, size: int = 2000) -> Iterator[Sequence[Any]]:
    while rows := cursor.fetchmany(size):
        yield from rows


def _pg_tables(cursor: Any) -> list[str]:
    cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")
    return [r[0] for r in cursor.fetchall()]


def _order(column: str, sql_type: str) -> str:
    # Text keys sort by bytes so the order never depends on a collation.
    text = sql_type.startswith(("character", "text"))
    return _q(column) + (' COLLATE "C"' if text else "")


def _pg_sums(conn: Any) -> dict[str, TableSum]:
    """Checksums over every public table, inside the caller's (snapshot) transaction."""
    sums: dict[str, TableSum] = {}
    with conn.cursor() as cursor:
        cursor.execute("SET LOCAL TIME ZONE 'UTC'")
        tables = _pg_tables(cursor)
        for table in tables:
            cursor.execute(
                "SELECT a.attname, format_type(a.atttypid, a.atttypmod) FROM pg_attribute a "
                "WHERE a.attrelid = %s::regclass AND a.attnum > 0 AND NOT a.attisdropped",
                [_q(table)],
            )
            types = dict(cursor.fetchall())
            columns = sorted(types)
            cursor.execute(
                "SELECT a.attname FROM pg_index i JOIN pg_attribute a "
                "ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) "
                "WHERE i.indrelid = %s::regclass AND i.indisprimary",
                [_q(table)],
            )
            pk = sorted(r[0] for r in cursor.fetchall()) or columns

            with conn.cursor(name=f"sum_{len(sums)}") as rows:
                rows.itersize = 2000
                rows.execute(
                    f"SELECT {', '.join(map(_q, columns))} FROM {_q(table)} "
                    f"ORDER BY {', '.join(_order(c, types[c]) for c in pk)}"
                )
                sums[table] = _digest(rows)
    return sums


def _pg_connect(db: Database, **kwargs: Any) -> Any:
    import psycopg

    return psycopg.connect(
        dbname=db.name,
        host=db.host or None,
        port=db.port or None,
        user=db.user or None,
        password=db.password or None,
        connect_timeout=10,
        **kwargs,
    )


def table_sums(db: Database) -> dict[str, TableSum]:
    """Row counts and checksums of every table of `db`, as it is now."""
    if db.vendor == "sqlite":
        with closing(db.sqlite(readonly=True)) as conn:
            return _sqlite_sums(conn)
    with _pg_connect(db) as conn:
        conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        try:
            return _pg_sums(conn)
        finally:
            conn.rollback()
