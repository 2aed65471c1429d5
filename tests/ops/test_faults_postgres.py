"""A short run of scripts/faults.py: its own PostgreSQL cluster, SIGKILLed once under
diary and treatment-session write load (two nurse writers: the drill signs staff in
once, issue 18.7). Every acknowledged write survives, no session is half-written, the
app answers 503 while the database is down and recovers by itself. `make faults` runs
ten kills or more (FAULTS_KILLS). Needs PostgreSQL's server binaries, not a PostgreSQL
test database: it runs with the SQLite suite too, so the drill cannot rot unnoticed."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent


def _have_postgres_tools() -> bool:
    return bool(shutil.which("initdb") or list(Path("/usr/lib/postgresql").glob("*/bin/initdb")))


@pytest.mark.skipif(not _have_postgres_tools(), reason="needs PostgreSQL's server binaries")
def test_sigkilled_postgres_loses_no_acknowledged_write() -> None:
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import faults
    finally:
        sys.path.remove(str(ROOT / "scripts"))
    figures = faults.run(kills=1, seed=3, writers=2, session_count=2)
    assert figures["problems"] == []
    assert figures["kills"] == 1
    assert figures["answered_503"] > 0
    assert figures["diary_writes_acknowledged"] > 0
    assert figures["session_writes_acknowledged"] > 0
