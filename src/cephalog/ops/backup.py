"""Backup, restore and the restore drill (docs/reliability.md).

A backup is two files in one directory:

- the data: SQLite's online backup API copied to `cephalog.sqlite3`, or
  `pg_dump -Fc` to `cephalog.dump` (PostgreSQL);
- `manifest.json`: for every table, its row count and a SHA-256 over its rows
  ordered by primary key, computed on exactly the data in the backup (the
  SQLite copy itself; on PostgreSQL, the snapshot pg_dump is given).

A restore goes into an empty database only and then recomputes every count
and checksum on the restored database and compares them with the manifest.
These functions work on database URLs, not on Django's connections, so they
can address a database other than the configured one (the drill's).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import decimal
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import time
import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

import dj_database_url

MANIFEST = "manifest.json"
SQLITE_FILE = "cephalog.sqlite3"
PG_FILE = "cephalog.dump"
FORMAT = 1


class BackupError(RuntimeError):
    pass


@dataclasses.dataclass(frozen=True)
class Database:
    """A database: a SQLite file (or SQLite URI) or a PostgreSQL database on a server."""

    vendor: str
    name: str
    host: str = ""
    port: str = ""
    user: str = ""
    password: str = ""

    @classmethod
    def from_settings(cls, settings_dict: dict[str, Any]) -> Database:
        """From a Django DATABASES entry (or dj_database_url.parse's result)."""
        engine = str(settings_dict["ENGINE"])
        if engine.endswith("sqlite3"):
            vendor = "sqlite"
        elif "postgres" in engine:
            vendor = "postgresql"
        else:
            raise BackupError(f"unsupported database engine {engine}")
        return cls(
            vendor=vendor,
            name=str(settings_dict["NAME"]),
            host=str(settings_dict.get("HOST") or ""),
            port=str(settings_dict.get("PORT") or ""),
            user=str(settings_dict.get("USER") or ""),
            password=str(settings_dict.get("PASSWORD") or ""),
        )

    @classmethod
    def from_url(cls, url: str) -> Database:
        return cls.from_settings(dict(dj_database_url.parse(url)))

    def __str__(self) -> str:
        if self.vendor == "sqlite":
            return f"SQLite {self.name}"
        return f"PostgreSQL database {self.name} on {self.host or 'localhost'}:{self.port or 5432}"

    def sqlite(self, *, readonly: bool = False) -> sqlite3.Connection:
        if self.name.startswith("file:"):  # a URI (Django's in-memory test database)
            return sqlite3.connect(self.name, uri=True)
        if readonly:
            return sqlite3.connect(f"file:{self.name}?mode=ro", uri=True)
        return sqlite3.connect(self.name)

    def pg_env(self) -> dict[str, str]:
        """libpq's environment for pg_dump/pg_restore (no password on the command line)."""
        env = {"PGDATABASE": self.name}
        for value, var in ((self.host, "PGHOST"), (self.port, "PGPORT"), (self.user, "PGUSER")):
            if value:
                env[var] = value
        if self.password:
            env["PGPASSWORD"] = self.password
        return env

    def with_name(self, name: str) -> Database:
        """The same PostgreSQL server, another database."""
        return dataclasses.replace(self, name=name)


@dataclasses.dataclass(frozen=True)
class TableSum:
    rows: int
    sha256: str


@dataclasses.dataclass(frozen=True)
class Verification:
    tables: int
    rows: int
    problems: list[str]

    @property
    def ok(self) -> bool:
        return not self.problems


# --- checksums ------------------------------------------------------------------------------


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


# --- backup ---------------------------------------------------------------------------------


def _tool(name: str) -> str:
    """pg_dump/pg_restore: on PATH, or the newest of Debian's versioned installs."""
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"))
    if candidates:
        return str(candidates[-1])
    raise BackupError(f"{name} not found: install PostgreSQL's client tools")


def _write_manifest(folder: Path, db: Database, data_file: str, sums: dict[str, TableSum]) -> None:
    manifest = {
        "format": FORMAT,
        "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "vendor": db.vendor,
        "data": data_file,
        "data_sha256": _file_sha256(folder / data_file),
        "tables": {t: {"rows": s.rows, "sha256": s.sha256} for t, s in sorted(sums.items())},
    }
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")


def _file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def backup(db: Database, folder: Path) -> dict[str, Any]:
    """Write the data file and manifest.json into `folder` (created; must be empty)."""
    folder.mkdir(parents=True, exist_ok=True)
    if any(folder.iterdir()):
        raise BackupError(f"{folder} is not empty: give a new folder for each backup")
    if db.vendor == "sqlite":
        if not db.name.startswith("file:") and not Path(db.name).exists():
            raise BackupError(f"no database at {db.name}")
        target = folder / SQLITE_FILE
        with (
            closing(db.sqlite()) as source,
            closing(sqlite3.connect(target)) as copy,
        ):
            source.backup(copy)  # the online backup API: consistent while the site runs
        with closing(sqlite3.connect(f"file:{target}?mode=ro", uri=True)) as conn:
            sums = _sqlite_sums(conn)
        _write_manifest(folder, db, SQLITE_FILE, sums)
    else:
        target = folder / PG_FILE
        with _pg_connect(db) as conn:
            # One snapshot for both the dump and the checksums: they describe the same data.
            conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            snapshot = conn.execute("SELECT pg_export_snapshot()").fetchone()[0]
            subprocess.run(
                [
                    _tool("pg_dump"),
                    "--format=custom",
                    "--no-owner",
                    "--no-privileges",
                    f"--snapshot={snapshot}",
                    f"--file={target}",
                ],
                env={**os.environ, **db.pg_env()},
                check=True,
                capture_output=True,
            )
            sums = _pg_sums(conn)
            conn.rollback()
        _write_manifest(folder, db, PG_FILE, sums)
    return read_manifest(folder)


def read_manifest(folder: Path) -> dict[str, Any]:
    path = folder / MANIFEST
    if not path.exists():
        raise BackupError(f"{path} not found: is {folder} a cephalog backup?")
    manifest: dict[str, Any] = json.loads(path.read_text())
    if manifest.get("format") != FORMAT:
        raise BackupError(f"unknown backup format {manifest.get('format')!r}")
    return manifest


# --- restore --------------------------------------------------------------------------------


def is_empty(db: Database) -> bool:
    """No tables at all (a missing SQLite file counts as empty)."""
    if db.vendor == "sqlite":
        path = Path(db.name)
        if not db.name.startswith("file:") and (not path.exists() or path.stat().st_size == 0):
            return True
        with closing(db.sqlite(readonly=True)) as conn:
            return not conn.execute(
                "SELECT count(*) FROM sqlite_master WHERE type = 'table'"
            ).fetchone()[0]
    with _pg_connect(db) as conn, conn.cursor() as cursor:
        return not _pg_tables(cursor)


def restore(db: Database, folder: Path) -> Verification:
    """Restore the backup in `folder` into the empty database `db`, then verify it."""
    manifest = read_manifest(folder)
    if manifest["vendor"] != db.vendor:
        raise BackupError(f"this is a {manifest['vendor']} backup; the target is {db.vendor}")
    data = folder / manifest["data"]
    if _file_sha256(data) != manifest["data_sha256"]:
        raise BackupError(f"{data} does not match its manifest: the file is damaged")
    if not is_empty(db):
        raise BackupError(
            "the target database is not empty: restore only into a new, empty database"
        )
    if db.vendor == "sqlite":
        if not db.name.startswith("file:"):
            Path(db.name).parent.mkdir(parents=True, exist_ok=True)
        with (
            closing(sqlite3.connect(f"file:{data}?mode=ro", uri=True)) as source,
            closing(db.sqlite()) as target,
        ):
            source.backup(target)
    else:
        result = subprocess.run(
            [
                _tool("pg_restore"),
                "--no-owner",
                "--no-privileges",
                "--exit-on-error",
                "--single-transaction",
                f"--dbname={db.pg_env()['PGDATABASE']}",
                str(data),
            ],
            env={**os.environ, **db.pg_env()},
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            raise BackupError(f"pg_restore failed: {result.stderr.strip()[:2000]}")
    return verify(db, manifest)


def verify(db: Database, manifest: dict[str, Any]) -> Verification:
    """Compare every table's count and checksum in `db` with the manifest."""
    expected: dict[str, dict[str, Any]] = manifest["tables"]
    actual = table_sums(db)
    problems = []
    for table in sorted(set(expected) | set(actual)):
        want, got = expected.get(table), actual.get(table)
        if want is None:
            problems.append(f"{table}: not in the backup")
        elif got is None:
            problems.append(f"{table}: missing after the restore")
        elif got.rows != want["rows"]:
            problems.append(f"{table}: {got.rows} rows, the backup has {want['rows']}")
        elif got.sha256 != want["sha256"]:
            problems.append(f"{table}: contents differ from the backup")
    rows = sum(s.rows for s in actual.values())
    return Verification(tables=len(actual), rows=rows, problems=problems)


# --- drill ----------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class DrillResult:
    vendor: str
    tables: int
    rows: int
    bytes: int
    backup_seconds: float
    restore_seconds: float
    problems: list[str]

    @property
    def ok(self) -> bool:
        return not self.problems


@contextmanager
def scratch_database(db: Database, folder: Path) -> Iterator[Database]:
    """A new, empty database next to `db` (a temporary file, or a temporary PostgreSQL
    database on the same server), removed afterwards."""
    if db.vendor == "sqlite":
        yield Database("sqlite", str(folder / "drill-target.sqlite3"))
        return
    name = f"cephalog_drill_{uuid.uuid4().hex[:12]}"
    admin = db.with_name("postgres")
    with _pg_connect(admin, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {_q(name)}")
    try:
        yield db.with_name(name)
    finally:
        with _pg_connect(admin, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {_q(name)} WITH (FORCE)")


def drill(db: Database, folder: Path) -> DrillResult:
    """Back up `db`, restore into a fresh database, prove counts and checksums equal."""
    started = time.monotonic()
    manifest = backup(db, folder / "backup")
    backed_up = time.monotonic()
    with scratch_database(db, folder) as target:
        result = restore(target, folder / "backup")
    restored = time.monotonic()
    problems = list(result.problems)
    if result.tables != len(manifest["tables"]):
        problems.append(
            f"{result.tables} tables restored, the backup has {len(manifest['tables'])}"
        )
    return DrillResult(
        vendor=db.vendor,
        tables=result.tables,
        rows=result.rows,
        bytes=(folder / "backup" / manifest["data"]).stat().st_size,
        backup_seconds=backed_up - started,
        restore_seconds=restored - backed_up,
        problems=problems,
    )
