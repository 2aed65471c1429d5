"""`cephalog import-diaries CLINIC FILE.csv --as USERNAME`: a clinic's diaries from one CSV.

CLINIC is the clinic's slug or id; FILE holds many patients' days, an `mrn`
column naming each patient by their MRN in the clinic plus the columns of
cephalog's days CSV (see cephalog.diary.bulk_import). USERNAME is the physician
or nurse of the clinic the import is recorded under.

Progress goes to standard output. A file with problems stores nothing: the
problems are listed on standard error (`line N: field: message`) and the
command exits with status 2.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError, CommandParser

from cephalog.accounts.models import Clinic, User
from cephalog.diary.bulk_import import MAX_FILE_BYTES, MAX_PROBLEMS, import_diaries_csv


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
            for problem in result.problems:
                self.stderr.write(problem)
            raise CommandError(
                f"Nothing was imported: {result.problem_lines:,} line(s) with problems.",
                returncode=2,
            )
        rate = result.rows / result.seconds if result.seconds else 0.0
        self.stdout.write(
            f"Imported {result.rows:,} rows for {result.patients:,} patients in "
            f"{result.seconds:.2f} s ({rate:,.0f} rows/s, {result.backend}): "
            f"{result.created:,} new days, {result.updated:,} changed (previous versions kept), "
            f"{result.unchanged:,} unchanged; {result.medicines:,} medicine(s) taken."
        )

    @staticmethod
    def _clinic(value: str) -> Clinic:
        clinic = Clinic.objects.filter(slug=value).first()
        if clinic is None and value.isdigit():
            clinic = Clinic.objects.filter(pk=int(value)).first()
        if clinic is None:
            raise CommandError(f"No clinic with the slug or id {value!r}.")
        return clinic
