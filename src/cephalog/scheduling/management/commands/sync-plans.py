"""`cephalog sync-plans`: bring every patient's calendar in line with the treatment plan.

Pages and feeds sync lazily; run this daily (cron) so the clinic schedule, the
clinic feed and reminders also see plans nobody has opened.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from cephalog.patients.models import Patient
from cephalog.scheduling.actions import sync_plans


class Command(BaseCommand):
    help = "Materialise every patient's treatment plan as calendar appointments."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--clinic", help="Only this clinic (slug).")

    def handle(self, *args: Any, **options: Any) -> None:
        patients = Patient.objects.select_related("clinic").order_by("pk")
        if options["clinic"]:
            patients = patients.filter(clinic__slug=options["clinic"])
        changed = sync_plans(patients.iterator(chunk_size=500))
        self.stdout.write(f"{changed} patient calendar(s) changed.")
