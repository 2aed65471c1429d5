"""Taking a backup: the data file and its manifest."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from contextlib import closing
from pathlib import Path
from typing import Any

from cephalog.ops.backup.checksums import _pg_connect, _pg_sums, _sqlite_sums
from cephalog.ops.backup.model import (
    FORMAT,
    MANIFEST,
    PG_FILE,
    SQLITE_FILE,
    BackupError,
    Database,
    TableSum,
)


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
