"""Import speed of diary files on a fresh SQLite file (figures, not pass/fail).

    .venv/bin/python bench/diary_import.py [rows]

Builds a Migraine Buddy export and a cephalog days CSV of `rows` rows (one attack
or day per date), imports each into a fresh database as a nurse, then imports
the Migraine Buddy file again (everything unchanged), and prints rows/s.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import sys
import tempfile
import time
from pathlib import Path


def main(rows: int) -> None:
    data_dir = tempfile.mkdtemp(prefix="cephalog-bench-")
    os.environ["CEPHALOG_DATA_DIR"] = data_dir
    os.environ["DATABASE_URL"] = f"sqlite:///{Path(data_dir) / 'bench.sqlite3'}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cephalog.settings")
    sys.path[:0] = [str(Path(__file__).resolve().parent.parent / "src")]
    sys.path[:0] = [str(Path(__file__).resolve().parent.parent)]

    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)

    from tests.personas import make_cast

    from cephalog.diary.exports import days_csv
    from cephalog.diary.imports import import_days_csv, import_migraine_buddy_csv

    cast = make_cast()
    rng = random.Random(1)
    first = dt.datetime(1990, 1, 1, 8, 0)
    lines = ["Id,Started,Lasted,Pain Level,Symptoms,Medication"]
    for i in range(rows):
        start = first + dt.timedelta(days=i, hours=rng.randint(0, 15))
        lines.append(
            f"{i},{start:%Y-%m-%d %H:%M},{rng.randint(1, 9):02d}h {rng.randint(0, 59):02d}m,"
            f'{rng.randint(0, 10)},"Nausea, Sensitivity to light",Sumatriptan 50mg (Helpful)'
        )
    mb = "\n".join(lines).encode()
    today = dt.date(2100, 1, 1)

    def timed(label: str, run: object) -> None:
        started = time.perf_counter()
        result = run()  # type: ignore[operator]
        seconds = time.perf_counter() - started
        print(
            f"{label:<28} {rows} rows in {seconds:6.2f} s = {rows / seconds:7.0f} rows/s  "
            f"days {vars(result.days)} attacks {vars(result.attacks)} ok={result.ok}"
        )

    timed(
        "Migraine Buddy, first time",
        lambda: import_migraine_buddy_csv(cast.patient, mb, cast.nurse, today=today),
    )
    timed(
        "Migraine Buddy, again",
        lambda: import_migraine_buddy_csv(cast.patient, mb, cast.nurse, today=today),
    )
    days = days_csv(cast.patient).encode()
    timed(
        "days CSV, first time",
        lambda: import_days_csv(cast.other_patient, days, cast.nurse, today=today),
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000)
