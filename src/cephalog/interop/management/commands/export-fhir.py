"""`cephalog export-fhir`: one patient's FHIR R4 bundle, or a clinic's bulk NDJSON zip.

    cephalog export-fhir --mrn MRN [--clinic SLUG] [--out FILE]
    cephalog export-fhir --all --clinic SLUG --out FILE.zip

Every export is audited. The mapping is documented in docs/fhir.md.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cephalog.accounts.models import Clinic
from cephalog.audit.actions import record
from cephalog.interop import actions, bulk
from cephalog.patients.models import Patient


class Command(BaseCommand):
    help = "Export a patient's record as a FHIR R4 Bundle (JSON), or all of a clinic's patients."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--mrn", help="The patient's MRN.")
        parser.add_argument(
            "--clinic", help="The clinic's slug (needed when the MRN is in several)."
        )
        parser.add_argument("--out", help="Write to this file instead of standard output.")
        parser.add_argument(
            "--all",
            action="store_true",
            help="Every patient of --clinic as NDJSON per resource type, zipped (needs --out).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["all"]:
            self._bulk(options)
            return
        mrn = options["mrn"]
        if not mrn:
            raise CommandError("Give the patient's MRN with --mrn (or --all --clinic SLUG).")
        patients = Patient.objects.select_related("clinic").filter(mrn=mrn)
        if options["clinic"]:
            if not Clinic.objects.filter(slug=options["clinic"]).exists():
                raise CommandError(f"No clinic with the slug {options['clinic']!r}.")
            patients = patients.filter(clinic__slug=options["clinic"])
        found = list(patients[:10])
        if not found:
            where = f" in clinic {options['clinic']!r}" if options["clinic"] else ""
            raise CommandError(f"No patient with the MRN {mrn!r}{where}.")
        if len(found) > 1:
            slugs = ", ".join(sorted(p.clinic.slug for p in found))
            raise CommandError(
                f"The MRN {mrn!r} is used in several clinics ({slugs}); choose one with --clinic."
            )
        bundle = actions.export_bundle(patient=found[0], by=None, via="command")
        text = json.dumps(bundle, indent=1, ensure_ascii=False) + "\n"
        if options["out"]:
            Path(options["out"]).write_text(text, encoding="utf-8")
            self.stderr.write(
                f"Wrote {len(bundle['entry'])} resources ({len(text.encode()) / 1024:.0f} KiB) "
                f"to {options['out']}."
            )
        else:
            self.stdout.write(text, ending="")

    def _bulk(self, options: dict[str, Any]) -> None:
        if not options["clinic"] or not options["out"]:
            raise CommandError("--all needs --clinic SLUG and --out FILE.zip.")
        clinic = Clinic.objects.filter(slug=options["clinic"]).first()
        if clinic is None:
            raise CommandError(f"No clinic with the slug {options['clinic']!r}.")
        started = time.perf_counter()

        def progress(done: int, total: int) -> None:
            if options["verbosity"] > 1 or done == total:
                self.stderr.write(f"\r{done}/{total} patients", ending="")

        record(
            action="export",
            category="fhir_bulk",
            clinic_id=clinic.pk,
            object_ref=f"clinic:{clinic.pk}",
            detail={"via": "command"},
        )
        counts = bulk.write_clinic_ndjson(clinic, Path(options["out"]), by=None, progress=progress)
        seconds = time.perf_counter() - started
        size = Path(options["out"]).stat().st_size
        self.stderr.write("")
        summary = ", ".join(f"{kind} {n}" for kind, n in sorted(counts.items()))
        self.stderr.write(
            f"Wrote {sum(counts.values())} resources ({summary}) to {options['out']} "
            f"({size / 1024 / 1024:.1f} MiB) in {seconds:.1f} s."
        )
