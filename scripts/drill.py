"""`make drill` (first half): the restore drill on a demo clinic, on SQLite and on a
throwaway PostgreSQL cluster: `cephalog demo`, then `cephalog drill` (backup, restore into
a fresh database, compare every table's row count and SHA-256). Prints the figures.

    DRILL_PATIENTS=200   demo patients (two years of diary each)
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from livesite import BIN, ROOT, site_env, throwaway_postgres


def drill(database_url: str | None, patients: int) -> int:
    data_dir = Path(tempfile.mkdtemp(prefix="cephalog-drill-"))
    try:
        env = site_env(data_dir, database_url)
        cephalog = str(BIN / "cephalog")
        subprocess.run(
            [cephalog, "migrate", "--no-input", "-v", "0"], env=env, cwd=ROOT, check=True
        )
        subprocess.run(
            [cephalog, "demo", "--patients", str(patients), "--seed", "1"],
            env=env,
            cwd=ROOT,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        return subprocess.run([cephalog, "drill"], env=env, cwd=ROOT, check=False).returncode
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


def main() -> int:
    patients = int(os.environ.get("DRILL_PATIENTS", "200"))
    failures = drill(None, patients)
    with throwaway_postgres() as pg:
        failures += drill(pg.url, patients)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
