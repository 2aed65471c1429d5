"""`cephalog devserver`: the development server with everything that makes the demo alive.

`make run` uses it. Next to `runserver` it runs the task worker (`cephalog
worker`: reminder emails) and, every minute, the sweeps a production install
runs from cron (`send-reminders`, `safety-sweep`: red-flag alert emails and
their escalations); it brings the treatment plans up to date once at start
(`sync-plans`). With the development email backend every message is printed
here. Ctrl-C stops all of it.
"""

from __future__ import annotations

import subprocess
import sys
import time
from io import StringIO
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "runserver plus the task worker and the reminder and safety sweeps (development)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000")
        parser.add_argument(
            "--sweep-every", type=float, default=60.0, help="seconds between sweeps (default 60)"
        )
        parser.add_argument(
            "--noreload", action="store_true", help="runserver without the auto-reloader"
        )

    def _sweep(self) -> None:
        quiet = StringIO()  # the summaries; the emails themselves print on stdout
        for command in ("send-reminders", "safety-sweep"):
            try:
                call_command(command, stdout=quiet)
            except Exception as error:  # a sweep that fails must not stop the server
                self.stderr.write(f"{command} failed: {error.__class__.__name__}: {error}")

    def handle(self, *args: Any, **options: Any) -> None:
        call_command("sync-plans", stdout=StringIO())
        cli = [sys.executable, "-m", "cephalog.cli"]
        server = [*cli, "runserver", options["addrport"]]
        if options["noreload"]:
            server.append("--noreload")
        processes = [
            subprocess.Popen([*cli, "worker", "--no-reload", "--interval", "2"]),
            subprocess.Popen(server),
        ]
        self.stdout.write(
            "Task worker and sweeps running: reminder, alert and invitation emails print here."
        )
        try:
            next_sweep = 0.0
            while all(p.poll() is None for p in processes):
                if time.monotonic() >= next_sweep:
                    self._sweep()
                    next_sweep = time.monotonic() + options["sweep_every"]
                time.sleep(0.2)
        except KeyboardInterrupt:
            pass
        finally:
            for p in processes:
                if p.poll() is None:
                    p.terminate()
            for p in processes:
                try:
                    p.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    p.kill()
