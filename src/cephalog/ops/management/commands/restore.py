"""`cephalog restore FOLDER`: restore a backup into an EMPTY database, then verify every
table's row count and checksum against the backup's manifest."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cephalog.ops.backup import BackupError, restore
from cephalog.ops.management.commands._common import add_database_option, database


class Command(BaseCommand):
    help = (
        "Restore a backup made by `cephalog backup` into an empty database (the configured "
        "one, or --database-url) and verify it. Refuses a database that has any table."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("folder", help="The backup's folder (with manifest.json).")
        add_database_option(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        db = database(options)
        try:
            result = restore(db, Path(options["folder"]))
        except (BackupError, OSError) as error:
            raise CommandError(str(error)) from None
        if not result.ok:
            raise CommandError(
                "restored, but the data does not match the backup:\n  "
                + "\n  ".join(result.problems)
            )
        self.stdout.write(
            f"restored into {db}: {result.tables} tables, {result.rows} rows verified "
            "(row counts and SHA-256 checksums equal the backup's)"
        )
