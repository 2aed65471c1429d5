"""`cephalog safety-sweep`: escalate unacknowledged red flags and (re)send safety emails.

Run it every minute (cron or a systemd timer, docs/production.md). Safe to
run concurrently: alerts and emails are claimed with conditional updates.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from cephalog.safety import actions, outbox


class Command(BaseCommand):
    help = "Escalate overdue red-flag alerts and send or retry pending safety emails."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--now",
            help="Pretend it is this ISO date-time (testing and drills), e.g. 2026-03-06T10:00+00:00.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        now = timezone.now()
        if options["now"]:
            now = dt.datetime.fromisoformat(options["now"])
            if timezone.is_naive(now):
                now = timezone.make_aware(now)
        escalated = actions.escalate_overdue_alerts(now)
        run = outbox.deliver_due(now=now)
        self.stdout.write(
            f"safety sweep: {escalated} alert(s) escalated, {run.sent} email(s) sent, "
            f"{run.failed} failed (will retry)"
        )
