"""Restoring a backup into an empty database, and verifying it against the manifest."""

from __future__ import annotations

import os
import sqlite3
import subprocess
from contextlib import closing
from pathlib import Path
from typing import Any

from cephalog.ops.backup.checksums import _pg_connect, _pg_tables, table_sums
from cephalog.ops.backup.dumping import _file_sha256, _tool, read_manifest
from cephalog.ops.backup.model import BackupError, Database, Verification


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
