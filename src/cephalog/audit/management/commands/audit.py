"""`cephalog audit verify|anchor|drain`: detect tampering with the audit trail; anchor its
heads; append the reads left in the spool by processes that died.

`verify` recomputes every hash chain with the audit keys, checks the heads anchored
outside the database (the anchor file) are still there, unchanged, and then anchors the
current heads. `anchor` writes the heads now; `anchor --every 60` keeps doing so (a
service beside the web workers, when no request may come for a while). `drain` appends
the spooled reads of dead processes (each app process also does so itself every 30 s;
docs/adr/0013-read-audit-spool.md).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from cephalog.audit import anchor, spool
from cephalog.audit.actions import append_spooled, verify_chain


class Command(BaseCommand):
    help = (
        "Audit trail tools. `verify` recomputes the keyed hash chains, checks the anchored "
        "heads and reports the first broken row; `anchor` writes the chains' heads; `drain` "
        "appends the spooled reads of stopped processes."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("subcommand", choices=["verify", "anchor", "drain"])
        parser.add_argument(
            "--every", type=int, default=0, help="anchor: repeat every this many seconds"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["subcommand"] == "drain":
            directory = settings.AUDIT_READ_SPOOL
            if not directory:
                raise CommandError("AUDIT_READ_SPOOL is not set: reads are not spooled here")
            appended = spool.drain_orphans(Path(directory), append_spooled)
            self.stdout.write(f"appended {appended} spooled reads of stopped processes")
            return
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
