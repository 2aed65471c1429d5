"""A short schemathesis run (scripts/fuzz.py, `make fuzz` runs ~10,000 requests): the API
as a patient and as another clinic's physician, with every check but
positive_data_acceptance. No server error, no schema-violating request accepted."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent


def test_a_short_fuzz_run_finds_nothing(migrated_sqlite: Path) -> None:
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import fuzz
    finally:
        sys.path.remove(str(ROOT / "scripts"))
    figures = fuzz.run(
        examples=6,
        seed="20261121",
        personas=["patient", "other_clinic_physician"],
        echo=False,
        migrated=migrated_sqlite,  # the site's database starts as the suite's did
    )
    assert figures["failed"] == [], figures["outputs"]
    assert figures["server_errors"] == 0
    assert not figures["traceback"], figures["server_log"]
    assert figures["requests"] > 150
