"""`cephalog audit verify|anchor`: detect tampering with the audit trail; anchor its heads.

`verify` recomputes every hash chain with the audit keys, checks the heads anchored
outside the database (the anchor file) are still there, unchanged, and then anchors the
current heads. `anchor` writes the heads now; `anchor --every 60` keeps doing so (a
service beside the web workers, when no request may come for a while).
"""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cephalog.audit import anchor
from cephalog.audit.actions import verify_chain


class Command(BaseCommand):
    help = (
        "Audit trail tools. `verify` recomputes the keyed hash chains, checks the anchored "
        "heads and reports the first broken row; `anchor` writes the chains' heads."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("subcommand", choices=["verify", "anchor"])
        parser.add_argument(
            "--every", type=int, default=0, help="anchor: repeat every this many seconds"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["subcommand"] == "anchor":
            while True:
                found = anchor.write("manual")
                self.stdout.write(f"anchored {len(found)} chain heads")
                if not options["every"]:
                    return
                time.sleep(options["every"])
        result = verify_chain()
        if not result.ok:
            raise CommandError(
                f"audit trail broken at row {result.first_bad_id}: {result.problem} "
                f"({result.rows} rows read)"
            )
        anchored = anchor.check()
        if not anchored.ok:
            raise CommandError(f"audit trail broken: {anchored.problem}")
        anchor.write("verify")
        chains = "" if result.chains < 2 else f" in {result.chains} chains"
        where = f"; {anchored.lines} anchors checked" if anchored.lines else ""
        self.stdout.write(f"audit trail intact: {result.rows} rows verified{chains}{where}")
