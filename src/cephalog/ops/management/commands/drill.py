"""`cephalog drill`: back up, restore into a fresh temporary database, and prove every
table's row count and checksum equal; prints the figures."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cephalog.ops.backup import BackupError, drill
from cephalog.ops.management.commands._common import add_database_option, database


class Command(BaseCommand):
    help = (
        "Restore drill: back up the database, restore the backup into a new temporary "
        "database, compare row counts and checksums of every table, print the figures."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        add_database_option(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        db = database(options)
        with tempfile.TemporaryDirectory(prefix="cephalog-drill-") as tmp:
            try:
                result = drill(db, Path(tmp))
            except (BackupError, OSError) as error:
                raise CommandError(str(error)) from None
        self.stdout.write(
            f"drill ({result.vendor}): {result.tables} tables, {result.rows} rows verified; "
            f"backup {result.bytes / 1e6:.1f} MB in {result.backup_seconds:.1f} s, "
            f"restore and verify in {result.restore_seconds:.1f} s"
        )
        if not result.ok:
            raise CommandError("drill FAILED:\n  " + "\n  ".join(result.problems))
        self.stdout.write("drill OK: the restored database equals the backup")
