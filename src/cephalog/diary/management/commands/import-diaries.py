"""`cephalog import-diaries CLINIC FILE.csv --as USERNAME`: a clinic's diaries from one CSV.

CLINIC is the clinic's slug or id; FILE holds many patients' days, an `mrn`
column naming each patient by their MRN in the clinic plus the columns of
cephalog's days CSV (see cephalog.diary.bulk_import). USERNAME is the physician
or nurse of the clinic the import is recorded under.

One patient's file (issue 15.2):

    cephalog import-diaries CLINIC FILE --as USERNAME --patient MRN
        --format cephalog|migraine-buddy [--date-order mdy|dmy|ymd]
        [--class NAME=CLASS ...] [--confirm] [--dry-run] [--json]

imports a cephalog days or attacks CSV, or a Migraine Buddy export, into the
diary of the patient with that MRN (cephalog.diary.imports). `--class` names
the class of a medicine the catalogue does not know; `--date-order` answers a
file whose dates read both month/day and day/month; `--confirm` applies the
differences from facts recorded since (otherwise kept and listed); `--dry-run`
stores nothing; `--json` prints the days the file yields.

Progress goes to standard output. A file with problems stores nothing: the
problems are listed on standard error (`line N: field: message`) and the
command exits with status 2.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError, CommandParser

from cephalog.accounts.access import CLINICAL_ROLES, role_in
from cephalog.accounts.models import Clinic, User
from cephalog.diary import imports
from cephalog.diary.bulk_import import MAX_FILE_BYTES, MAX_PROBLEMS, import_diaries_csv
from cephalog.domain.catalogue import normalise
from cephalog.domain.importing import DATE_ORDERS, FLAGS
from cephalog.domain.vocab import ACUTE_CLASS_CODES
from cephalog.patients.models import Patient

FORMATS = ("cephalog", "migraine-buddy")


class Command(BaseCommand):
    help = "Import many patients' diary days from one CSV into a clinic (all or nothing)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("clinic", help="The clinic's slug or id.")
        parser.add_argument("file", help="The CSV file, or - for standard input.")
        parser.add_argument(
            "--as",
            dest="as_user",
            required=True,
            metavar="USERNAME",
            help="The physician or nurse of the clinic importing.",
        )
        parser.add_argument(
            "--max-problems",
            type=int,
            default=MAX_PROBLEMS,
            help=f"List at most this many problems (default {MAX_PROBLEMS}).",
        )
        one = parser.add_argument_group("one patient's file")
        one.add_argument("--patient", metavar="MRN", help="Import FILE into this patient's diary.")
        one.add_argument("--format", choices=FORMATS, help="The file's format (with --patient).")
        one.add_argument(
            "--date-order",
            choices=tuple(DATE_ORDERS),
            help="How the file's dates read when both month/day and day/month fit.",
        )
        one.add_argument(
            "--class",
            dest="classes",
            action="append",
            default=[],
            metavar="NAME=CLASS",
            help=f"The class of a medicine cephalog does not know ({', '.join(ACUTE_CLASS_CODES)}).",
        )
        one.add_argument(
            "--confirm",
            action="store_true",
            help="Apply the file's values where they differ from facts recorded since.",
        )
        one.add_argument("--dry-run", action="store_true", help="Check and report; store nothing.")
        one.add_argument("--json", action="store_true", help="Print the result as JSON.")

    def handle(self, *args: Any, **options: Any) -> None:
        clinic = self._clinic(options["clinic"])
        user = User.objects.filter(username=options["as_user"]).first()
        if user is None:
            raise CommandError(f"No user named {options['as_user']!r}.")
        name = options["file"]
        if name == "-":
            data = sys.stdin.buffer.read()
        else:
            path = Path(name)
            if not path.is_file():
                raise CommandError(f"No such file: {path}")
            if path.stat().st_size > MAX_FILE_BYTES:
                raise CommandError(f"{path} is larger than {MAX_FILE_BYTES // 1024**3} GB.")
            data = path.read_bytes()
        one_patient = [o for o in ("format", "date_order", "json") if options[o]]
        one_patient += [o for o in ("classes", "dry_run", "confirm") if options[o]]
        if options["patient"]:
            self._one_patient(clinic, user, data, name, options)
            return
        if one_patient:
            raise CommandError(
                f"--{one_patient[0].replace('_', '-')} is for one patient's file: give --patient MRN."
            )
        self.stdout.write(f"Importing {Path(name).name} into {clinic.name} as {user.username}")
        try:
            result = import_diaries_csv(
                clinic,
                data,
                user,
                progress=lambda message: self.stdout.write(f"  {message}"),
                filename=Path(name).name if name != "-" else "",
                limit=max(1, options["max_problems"]),
            )
        except PermissionDenied as denied:
            raise CommandError(f"{user.username} may not import here: {denied}") from None
        if not result.ok:
            raise self._nothing_imported(
                result.problems, f"{result.problem_lines:,} line(s) with problems"
            )
        rate = result.rows / result.seconds if result.seconds else 0.0
        self.stdout.write(
            f"Imported {result.rows:,} rows for {result.patients:,} patients in "
            f"{result.seconds:.2f} s ({rate:,.0f} rows/s, {result.backend}): "
            f"{result.created:,} new days, {result.updated:,} changed (previous versions kept), "
            f"{result.unchanged:,} unchanged; {result.medicines:,} medicine(s) taken."
        )
        for line in result.not_imported:
            self.stdout.write(f"  not imported: {line}")

    def _nothing_imported(self, problems: list[str], summary: str) -> CommandError:
        """The problems on stderr, and the error that ends the command (exit status 2)."""
        for problem in problems:
            self.stderr.write(problem)
        return CommandError(f"Nothing was imported: {summary}.", returncode=2)

    def _one_patient(
        self, clinic: Clinic, user: User, data: bytes, name: str, options: dict[str, Any]
    ) -> None:
        if not options["format"]:
            raise CommandError("Say the file's format: --format cephalog or migraine-buddy.")
        patient = Patient.objects.filter(clinic=clinic, mrn=options["patient"]).first()
        if patient is None:
            raise CommandError(f"No patient with the MRN {options['patient']!r} in {clinic.name}.")
        if role_in(user, clinic) not in CLINICAL_ROLES:
            raise CommandError(f"{user.username} may not import here: not a physician or nurse.")
        classes = self._classes(options["classes"])
        common: dict[str, Any] = {
            "filename": Path(name).name if name != "-" else "",
            "confirm": options["confirm"],
            "dry_run": options["dry_run"],
        }
        if options["format"] == "migraine-buddy":
            result = imports.import_migraine_buddy_csv(
                patient, data, user, classes=classes, date_order=options["date_order"], **common
            )
        else:
            if classes or options["date_order"]:
                raise CommandError("--class and --date-order are for --format migraine-buddy.")
            result = imports.import_cephalog_csv(patient, data, user, **common)
        if not result.ok:
            raise self._nothing_imported(
                result.problems, f"{len(result.problems):,} problem(s) listed above"
            )
        for difference in result.differences:
            self.stderr.write(difference)
        if options["json"]:
            self.stdout.write(json.dumps(_as_json(result), ensure_ascii=False, indent=2))
            return
        stored = "Checked (nothing stored)" if result.dry_run else "Imported"
        self.stdout.write(
            f"{stored}: {result.rows:,} row(s); days {result.days.created:,} new, "
            f"{result.days.updated:,} changed, {result.days.unchanged:,} unchanged; attacks "
            f"{result.attacks.created:,} new, {result.attacks.updated:,} changed."
        )
        for line in result.not_imported_lines():
            self.stdout.write(f"  not imported: {line}")
        if result.differences:
            self.stdout.write(
                f"  {len(result.differences)} difference(s) from what is recorded were kept as "
                "recorded (listed on standard error); import again with --confirm to apply them."
            )

    @staticmethod
    def _classes(values: list[str]) -> dict[str, str]:
        classes: dict[str, str] = {}
        for value in values:
            medicine, sep, drug_class = value.rpartition("=")
            drug_class = drug_class.strip().lower()
            if not sep or not medicine.strip():
                raise CommandError(f"--class {value!r}: write NAME=CLASS.")
            if drug_class not in ACUTE_CLASS_CODES:
                raise CommandError(
                    f"--class {value!r}: the class must be one of {', '.join(ACUTE_CLASS_CODES)}."
                )
            classes[normalise(medicine)] = drug_class
        return classes

    @staticmethod
    def _clinic(value: str) -> Clinic:
        clinic = Clinic.objects.filter(slug=value).first()
        if clinic is None and value.isdigit():
            clinic = Clinic.objects.filter(pk=int(value)).first()
        if clinic is None:
            raise CommandError(f"No clinic with the slug or id {value!r}.")
        return clinic


def _as_json(result: imports.ImportResult) -> dict[str, Any]:
    """The result's JSON (issue 15.2): the days the file yields per local date."""
    days = []
    for day in result.file_days:
        item: dict[str, Any] = {
            "date": day.date.isoformat(),
            "headache_hours": day.headache_hours,
            "peak_intensity": day.peak_intensity if day.headache_hours > 0 else None,
        }
        item.update({flag: getattr(day, flag) for flag in FLAGS})
        item["aura_minutes"] = day.aura_minutes
        item["acute_medications"] = [
            {"name": m.name, "class": m.drug_class, "effective": m.effective}
            for m in day.acute_medications
        ]
        days.append(item)
    not_imported = list(result.not_imported)
    not_imported += [
        f"{label} (line{'s' if len(at) > 1 else ''} {', '.join(map(str, at))})"
        for label, at in result.ignored.items()
    ]
    return {
        "days": days,
        "attacks": result.file_attacks,
        "unknown_medicines": sorted(result.unknown_medicines),
        "not_imported": not_imported,
    }
