"""`cephalog import-fhir FILE --clinic SLUG [--mrn MRN] [--by USERNAME] [--json]`.

Reads a FHIR R4 bundle: one written by `cephalog export-fhir` (the patient's
diary, sessions, events and history are restored) or another system's (a
Synthea patient bundle, an IPS document: the Patient and what cephalog's terms
cover), all or nothing. Every entry is accounted for: the output lists what was
imported and what was not, by resource type, with why. `--mrn` gives the MRN
when the bundle has none of type MR (or replaces a taken one). `--json` prints
`{"imported": {"Patient": 1, ...}, "not_imported": {"Encounter": 12, ...}}`.
`--by` names the member of staff the import is recorded under; it may be left
out when the clinic has exactly one clinic admin. Problems: listed on standard
error, exit status 2, nothing stored.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cephalog.accounts.access import STAFF_ROLES
from cephalog.accounts.models import Clinic, Membership, Role, User
from cephalog.interop.fhir_import import MAX_BUNDLE_BYTES, ImportRefused, import_bundle


class Command(BaseCommand):
    help = "Import a patient from a cephalog FHIR R4 bundle into a clinic."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="The bundle (JSON), or - for standard input.")
        parser.add_argument("--clinic", required=True, help="The clinic's slug.")
        parser.add_argument("--mrn", help="Give the patient this MRN (when theirs is taken).")
        parser.add_argument("--by", help="Username of the member of staff importing.")
        parser.add_argument(
            "--json", action="store_true", help="Print what was and was not imported as JSON."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        clinic = Clinic.objects.filter(slug=options["clinic"]).first()
        if clinic is None:
            raise CommandError(f"No clinic with the slug {options['clinic']!r}.")
        by = self._importer(clinic, options["by"])
        if options["file"] == "-":
            raw = sys.stdin.buffer.read()
        else:
            path = Path(options["file"])
            if not path.is_file():
                raise CommandError(f"No such file: {path}")
            if path.stat().st_size > MAX_BUNDLE_BYTES:
                raise CommandError(f"{path} is larger than {MAX_BUNDLE_BYTES // 2**20} MB.")
            raw = path.read_bytes()
        try:
            result = import_bundle(raw, clinic, by, mrn=options["mrn"])
        except ImportRefused as refused:
            for problem in refused.problems:
                self.stderr.write(problem)
            raise CommandError(
                f"Nothing was imported: {len(refused.problems)} problem(s) listed above.",
                returncode=2,
            ) from None
        if options["json"]:
            self.stdout.write(
                json.dumps({"imported": result.imported, "not_imported": result.not_imported})
            )
            return
        counts = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in sorted(result.counts.items()))
        self.stdout.write(
            f"Imported {result.patient.full_name} as MRN {result.patient.mrn} into "
            f"{clinic.name}: {counts or 'no records'}."
        )
        for kind, imported, left, reasons in result.table():
            line = f"  {kind}: {imported} imported"
            if left:
                line += f", {left} not imported: {'; '.join(reasons)}"
            self.stdout.write(line)
        for line in result.adjusted:
            self.stdout.write(f"  {line}")

    @staticmethod
    def _importer(clinic: Clinic, username: str | None) -> User:
        if username:
            user = User.objects.filter(username=username).first()
            if user is None:
                raise CommandError(f"No user named {username!r}.")
            if not Membership.objects.filter(
                user=user, clinic=clinic, role__in=STAFF_ROLES
            ).exists():
                raise CommandError(f"{username} is not a member of staff of {clinic.name}.")
            return user
        admins = list(
            User.objects.filter(memberships__clinic=clinic, memberships__role=Role.CLINIC_ADMIN)[:2]
        )
        if len(admins) != 1:
            raise CommandError(
                f"Say who is importing with --by USERNAME ({clinic.name} has "
                f"{'no' if not admins else 'several'} clinic admins)."
            )
        return admins[0]
