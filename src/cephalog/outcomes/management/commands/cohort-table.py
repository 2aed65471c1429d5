"""`cephalog cohort-table [--clinic SLUG ...] --out FILE`: the cohort table (baseline and every
cycle of every patient) for whole clinics or the registry, as CSV or Parquet.

Patients appear by their opaque id only (no names, no MRNs): the file is for
analysis. Each run is audited. The table is computed under one ruleset and day
definition (spec section 11), named in its `ruleset` and `day_definition`
columns: `--ruleset` and `--day-definition`, by default those of the clinic
when one clinic is given, else standard-2 with label days.
"""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from cephalog.accounts.models import Clinic
from cephalog.accounts.rules_queries import clinic_rules
from cephalog.analytics.csv_frames import safe_frame
from cephalog.audit.actions import record
from cephalog.domain.rulesets import DAY_DEFINITION_CODES, DEFAULT_RULESET, RULESET_NAMES, Rules
from cephalog.ops.db_router import replica_reads
from cephalog.outcomes import daycodes


class Command(BaseCommand):
    help = "Write the cohort table of clinics (default: every clinic) to CSV or Parquet."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--clinic", action="append", default=[], help="clinic slug")
        parser.add_argument("--out", required=True, help="file.csv or file.parquet")
        parser.add_argument("--today", help="YYYY-MM-DD (default: today)")
        parser.add_argument("--ruleset", choices=RULESET_NAMES, help="default: the clinic's")
        parser.add_argument(
            "--day-definition", choices=DAY_DEFINITION_CODES, help="default: the clinic's policy's"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        out = Path(options["out"])
        if out.suffix not in {".csv", ".parquet"}:
            raise CommandError("--out must end in .csv or .parquet")
        clinic_ids = None
        if options["clinic"]:
            found = dict(
                Clinic.objects.filter(slug__in=options["clinic"]).values_list("slug", "id")
            )
            missing = sorted(set(options["clinic"]) - set(found))
            if missing:
                raise CommandError(f"no clinic with slug {', '.join(missing)}")
            clinic_ids = list(found.values())
        try:
            today = dt.date.fromisoformat(options["today"]) if options["today"] else None
        except ValueError as error:
            raise CommandError("--today must be YYYY-MM-DD") from error
        rules = Rules.of(DEFAULT_RULESET)
        if clinic_ids is not None and len(clinic_ids) == 1:
            rules = clinic_rules(Clinic.objects.get(pk=clinic_ids[0]))
        rules = Rules.of(
            options["ruleset"] or rules.ruleset.name,
            options["day_definition"] or rules.definition.value,
        )
        started = time.perf_counter()
        with replica_reads():  # a streaming replica, when configured (cephalog.ops.db_router)
            table = daycodes.cohort_table(clinic_ids, today or timezone.localdate(), rules)
        if out.suffix == ".csv":
            safe_frame(table).write_csv(out)
        else:
            table.write_parquet(out)
        record(
            action="cohort_table_export",
            category="export",
            detail={
                "clinics": clinic_ids or "all",
                "rows": table.height,
                "ruleset": rules.ruleset.name,
                "day_definition": rules.definition.value,
            },
        )
        patients = table["patient"].n_unique()
        self.stdout.write(
            f"{table.height} rows ({patients} patients) written to {out} "
            f"in {time.perf_counter() - started:.1f} s"
        )
