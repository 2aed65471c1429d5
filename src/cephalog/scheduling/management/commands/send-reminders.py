"""`cephalog send-reminders`: the reminder sweep. Run it every 5 minutes (cron or a timer).

It claims each due reminder once and enqueues its delivery for the worker
(`cephalog worker`). `--deliver` sends in this process instead, for an
install without a worker. See cephalog.scheduling.reminders for why a
reminder is sent once.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from cephalog.scheduling.reminders import deliver, send_due_reminders


class Command(BaseCommand):
    help = "Claim due reminders (sessions, check-ins, questionnaires, diary) and enqueue them."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--deliver",
            action="store_true",
            help="Send in this process (no worker needed).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["deliver"]:
            result = send_due_reminders(timezone.now(), then=deliver)
        else:
            result = send_due_reminders(timezone.now())
        self.stdout.write(json.dumps(result.as_dict()))
