"""`cephalog demo`: load the demo clinics with a generated cohort and print the logins."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from cephalog.accounts.models import Clinic
from cephalog.demo.load import DEMO_PASSWORD, DemoError, load_demo


class ProgressBar:
    """A one-line text progress bar per phase (redrawn in place on a terminal)."""

    WIDTH = 30

    def __init__(self, write: Callable[[str], None], *, tty: bool) -> None:
        self.write = write
        self.tty = tty
        self.phase = ""
        self.last_drawn = -1.0

    def __call__(self, phase: str, done: int, total: int) -> None:
        if phase != self.phase:
            if self.phase and self.tty:
                self.write("\n")
            self.phase, self.last_drawn = phase, -1.0
        now = time.monotonic()
        if done < total and (not self.tty or now - self.last_drawn < 0.1):
            return  # a file or pipe gets only the finished line of each phase
        self.last_drawn = now
        filled = round(done / total * self.WIDTH) if total else self.WIDTH
        bar = "#" * filled + "." * (self.WIDTH - filled)
        line = f"{phase:<8} [{bar}] {done}/{total} patients"
        self.write(f"\r{line}" if self.tty else f"{line}\n")

    def close(self) -> None:
        if self.phase and self.tty:
            self.write("\n")


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--today: expected a date as YYYY-MM-DD, got {value!r}") from None


class Command(BaseCommand):
    help = (
        "Create the demo clinics (Demo Headache Centre, Northside Neurology) with fixed demo "
        "logins and N synthetic patients, deterministic for a seed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--patients", type=int, default=40, help="patients (default 40)")
        parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
        parser.add_argument(
            "--today", type=_date, default=None, help="generate histories up to this date"
        )
        parser.add_argument(
            "--reset", action="store_true", help="delete the demo clinics first if they exist"
        )
        parser.add_argument(
            "--if-empty", action="store_true", help="do nothing if any clinic exists"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        n_patients: int = options["patients"]
        seed: int = options["seed"]
        if n_patients < 1:
            raise CommandError("--patients must be at least 1")
        if seed < 0:
            raise CommandError("--seed must not be negative")
        if options["if_empty"] and Clinic.objects.exists():
            self.stdout.write("Clinics exist already; demo not loaded.")
            return
        today = options["today"] or timezone.localdate()
        bar = ProgressBar(lambda text: self.stderr.write(text, ending=""), tty=self.stderr.isatty())
        try:
            result = load_demo(
                n_patients=n_patients, seed=seed, today=today, progress=bar, reset=options["reset"]
            )
        except DemoError as exc:
            raise CommandError(str(exc)) from None
        finally:
            bar.close()
        self.stdout.write(
            f"Loaded {result.patients} patients into {result.clinic.name}: "
            f"{result.diary_entries} diary days, {result.sessions} sessions, "
            f"{result.adverse_events} adverse events "
            f"(generated in {result.generate_seconds:.1f} s, written in "
            f"{result.write_seconds:.1f} s); histories up to {today.isoformat()}."
        )
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        for login in result.logins:
            self.stdout.write(f"  {login.username:<16} {login.name}, {login.role}, {login.clinic}")
        if result.highlights:
            self.stdout.write("To try first (Schedule and Alerts pages):")
            for mrn, what in result.highlights:
                self.stdout.write(f"  {mrn:<16} {what}")
