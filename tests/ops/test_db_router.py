"""The replica router (cephalog.ops.db_router): which reads go to the replica, and none
without one. The real replica (streaming, promoted) is exercised by `make scaleout`."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from django.db import connections
from django.urls import reverse

from cephalog.ops import db_router

ROOT = Path(__file__).resolve().parents[2]

ROUTING = textwrap.dedent(
    """
    import django, json
    django.setup()
    from django.conf import settings
    from django.db import router, transaction
    from cephalog.ops.db_router import replica_reads
    from cephalog.patients.models import Patient
    out = {"aliases": sorted(settings.DATABASES), "routers": settings.DATABASE_ROUTERS,
           "middleware": settings.MIDDLEWARE[-1]}
    out["outside"] = router.db_for_read(Patient)
    with replica_reads():
        out["inside"] = router.db_for_read(Patient)
        out["write_inside"] = router.db_for_write(Patient)
        with transaction.atomic():
            out["inside_transaction"] = router.db_for_read(Patient)
    out["after"] = router.db_for_read(Patient)
    print(json.dumps(out))
    """
)


def _settings_with(tmp_path: Path, **extra: str) -> dict[str, object]:
    import json

    env = {
        **os.environ,
        "CEPHALOG_TESTING": "false",
        "CEPHALOG_DATA_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "cephalog.settings",
        "PYTHONPATH": str(ROOT / "src"),
        **extra,
    }
    env.pop("DATABASE_URL", None)
    done = subprocess.run(
        [sys.executable, "-c", ROUTING], env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def test_with_a_replica_only_marked_reads_outside_transactions_go_there(tmp_path: Path) -> None:
    replica = f"sqlite:///{tmp_path / 'cephalog.sqlite3'}"  # any second URL will do here
    found = _settings_with(tmp_path, DATABASE_REPLICA_URL=replica)
    assert found["aliases"] == ["default", "replica"]
    assert found["routers"] == ["cephalog.ops.db_router.ReplicaRouter"]
    assert found["middleware"] == "cephalog.ops.db_router.ReplicaViewsMiddleware"
    assert found["outside"] == "default"
    assert found["inside"] == "replica"
    assert found["write_inside"] == "default"
    assert found["inside_transaction"] == "default"  # a write's reads see the primary
    assert found["after"] == "default"


def test_without_a_replica_nothing_changes(tmp_path: Path) -> None:
    found = _settings_with(tmp_path)
    assert found["aliases"] == ["default"]
    assert found["routers"] == []
    assert found["middleware"] != "cephalog.ops.db_router.ReplicaViewsMiddleware"
    assert found["inside"] == "default"
    with db_router.replica_reads():
        assert not db_router.routing_to_replica()
        assert db_router.reading_connection() is connections["default"]
    assert db_router.as_of() is None


def test_the_replica_views_exist() -> None:
    # A renamed URL would silently send its reads back to the primary.
    for name in db_router.REPLICA_VIEWS:
        assert reverse(name)
