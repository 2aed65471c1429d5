from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.core.cache import caches


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    # Login-throttle counters live in the (per-process) cache: start every test clean.
    caches["default"].clear()
    yield
    caches["default"].clear()


def postgres_only() -> pytest.MarkDecorator:
    from django.db import connection

    return pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL")
