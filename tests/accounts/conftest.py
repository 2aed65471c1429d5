from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.core.cache import caches


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    # Throttle counters (logins, emailed-code tries) live in the cache, keyed by user id,
    # and a rolled-back test's ids come back in the next one: start every test clean.
    caches["default"].clear()
    yield
    caches["default"].clear()
