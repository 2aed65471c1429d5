"""`cephalog analytics-refresh [--full]`: bring the cohort analytics' day codes in step with
the diaries (run it from cron every few minutes; the cohort table also refreshes before it
reads, so this only keeps that refresh small)."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from cephalog.outcomes import daycodes


class Command(BaseCommand):
    help = "Refresh the day codes the cohort analytics read (all of them with --full)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--full", action="store_true", help="rebuild every patient-year from the diaries"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.perf_counter()
        result = daycodes.refresh(full=options["full"])
        self.stdout.write(
            f"{'Rebuilt' if result.full else 'Refreshed'} {result.years} patient-years "
            f"from {result.days} diary days in {time.perf_counter() - started:.1f} s"
        )
