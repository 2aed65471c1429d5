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

The package: `model`, `checksums`, `dumping` (backup), `restoring` (restore, verify)
and `drilling` (the drill).
"""

from __future__ import annotations

from cephalog.ops.backup.checksums import (
    table_sums,
)
from cephalog.ops.backup.drilling import (
    DrillResult,
    drill,
    scratch_database,
)
from cephalog.ops.backup.dumping import (
    backup,
    read_manifest,
)
from cephalog.ops.backup.model import (
    FORMAT,
    MANIFEST,
    PG_FILE,
    SQLITE_FILE,
    BackupError,
    Database,
    TableSum,
    Verification,
)
from cephalog.ops.backup.restoring import (
    is_empty,
    restore,
    verify,
)

__all__ = [
    "BackupError",
    "Database",
    "DrillResult",
    "FORMAT",
    "MANIFEST",
    "PG_FILE",
    "SQLITE_FILE",
    "TableSum",
    "Verification",
    "backup",
    "drill",
    "is_empty",
    "read_manifest",
    "restore",
    "scratch_database",
    "table_sums",
    "verify",
]
