"""The `cephalog` command.

`cephalog assess` runs without Django (fast start, no database). Everything
else is a Django management command: `cephalog migrate`, `cephalog runserver`,
`cephalog demo`, `cephalog createsuperuser`, ...
"""

from __future__ import annotations

import os
import sys

USAGE = """usage: cephalog COMMAND [ARGS]

Offline tools (no database needed):
  assess CASE.json [--policy POLICY] [--days]   assess a diary kept elsewhere

Clinic server (Django management):
  migrate, runserver, demo, worker, check, shell, createsuperuser, ...
  cephalog help                                  lists every command
"""


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in {"-h", "--help"}:
        print(USAGE, end="")
        return 0
    if args[0] == "assess":
        from cephalog.assess_cli import main as assess_main

        return assess_main(args[1:])

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cephalog.settings")
    from django.core.management import execute_from_command_line

    if args[0] == "worker":
        # Django's task framework with the database backend: reminders and alerts.
        args = ["db_worker", *args[1:]]
    execute_from_command_line(["cephalog", *args])
    return 0


if __name__ == "__main__":
    sys.exit(main())
