"""The restore drill: a backup restored into a scratch database and verified."""

from __future__ import annotations

import dataclasses
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from cephalog.ops.backup.checksums import _pg_connect, _q
from cephalog.ops.backup.dumping import backup
from cephalog.ops.backup.model import Database
from cephalog.ops.backup.restoring import restore


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
