"""`cephalog backup [FOLDER]`: a consistent copy of the database plus a manifest of
per-table row counts and checksums (SQLite online backup; PostgreSQL pg_dump -Fc)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from cephalog.ops.backup import BackupError, backup
from cephalog.ops.management.commands._common import add_database_option, database


class Command(BaseCommand):
    help = (
        "Back up the database into a new folder: the data (SQLite copy or pg_dump -Fc) "
        "and manifest.json with every table's row count and SHA-256."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "folder",
            nargs="?",
            help="A new or empty folder (default: CEPHALOG_DATA_DIR/backups/<time>).",
        )
        add_database_option(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
        folder = Path(options["folder"] or Path(settings.DATA_DIR) / "backups" / stamp)
        db = database(options)
        try:
            manifest = backup(db, folder)
        except (BackupError, OSError) as error:
            raise CommandError(str(error)) from None
        rows = sum(t["rows"] for t in manifest["tables"].values())
        size = (folder / manifest["data"]).stat().st_size
        self.stdout.write(
            f"backup of {db} written to {folder}: {len(manifest['tables'])} tables, "
            f"{rows} rows, {size / 1e6:.1f} MB; manifest.json holds their counts and checksums"
        )
