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


def spy_cache_calls(monkeypatch: pytest.MonkeyPatch, names: tuple[str, ...]) -> list[str]:
    """The names of the Redis cache methods called from now on, in order (each still runs)."""
    from django.core.cache.backends.redis import RedisCache

    calls: list[str] = []
    for name in names:
        original = getattr(RedisCache, name)

        def spy(
            self: RedisCache, *args: object, _name: str = name, _f: object = original, **kw: object
        ) -> object:
            calls.append(_name)
            return _f(self, *args, **kw)  # type: ignore[operator]

        monkeypatch.setattr(RedisCache, name, spy)
    return calls
