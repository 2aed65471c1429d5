"""`cephalog audit verify`: detect tampering with the audit trail."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cephalog.audit.actions import verify_chain


class Command(BaseCommand):
    help = "Audit trail tools. `verify` recomputes the hash chain and reports the first broken row."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("subcommand", choices=["verify"])

    def handle(self, *args: Any, **options: Any) -> None:
        result = verify_chain()
        if result.ok:
            chains = "" if result.chains < 2 else f" in {result.chains} chains"
            self.stdout.write(f"audit trail intact: {result.rows} rows verified{chains}")
            return
        raise CommandError(
            f"audit trail broken at row {result.first_bad_id}: {result.problem} "
            f"({result.rows} rows read)"
        )
