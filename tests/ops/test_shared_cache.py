"""CACHE_URL=redis://... (the shared cache of several app servers, docs/scaling.md) gives a
working cache: the login and MFA throttles count there across servers (`make scaleout`)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

ROUND_TRIP = """
import django, json
django.setup()
from django.conf import settings
from django.core.cache import cache
out = {"cache": settings.CACHES["default"]}
try:
    cache.set("cephalog-test-key", 41, 5)
    out["value"] = cache.get("cephalog-test-key")
    cache.delete("cephalog-test-key")
except ConnectionError as error:  # redis-py's, when no server answers
    out["value"] = f"unreachable: {type(error).__name__}"
print(json.dumps(out))
"""


def test_a_redis_cache_url_gives_a_cache_that_works(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "CEPHALOG_TESTING": "false",
        "CEPHALOG_DATA_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "cephalog.settings",
        "PYTHONPATH": str(ROOT / "src"),
        "CACHE_URL": "redis://127.0.0.1:6379/13",
    }
    done = subprocess.run(
        [sys.executable, "-c", ROUND_TRIP], env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found["cache"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    # Before: MAX_ENTRIES went to the Redis client, and every cache call raised TypeError.
    assert "MAX_ENTRIES" not in found["cache"].get("OPTIONS", {})
    assert found["value"] == 41 or str(found["value"]).startswith("unreachable")
