from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

import pytest

os.environ.setdefault("CEPHALOG_TESTING", "1")

if TYPE_CHECKING:
    from tests.personas import Cast


def _index_static_files_once() -> None:
    """Every django.test.Client loads the middleware anew, and WhiteNoise (which serves
    from the finders in tests) then stats every static file and builds its headers:
    ~15 ms a client, thousands of clients a run. The files do not change during a run:
    index them once per process for each set of settings the index depends on, and give
    each middleware its own copy of that index (what it serves is the same)."""
    try:
        from whitenoise.middleware import WhiteNoiseMiddleware
    except ImportError:  # the domain suite runs without Django's packages too
        return
    from django.conf import settings

    build = WhiteNoiseMiddleware.add_files_from_finders
    indexes: dict[tuple[Any, ...], dict[str, Any]] = {}

    def add_files_from_finders(self: WhiteNoiseMiddleware) -> None:
        # What the index is built from: the static settings (whatever a test overrides).
        key = (
            self.static_prefix,
            repr(sorted((n, getattr(settings, n)) for n in dir(settings) if "STATIC" in n)),
            repr(sorted((n, getattr(settings, n)) for n in dir(settings) if "WHITENOISE" in n)),
            settings.DEBUG,
            tuple(settings.INSTALLED_APPS),
        )
        if key not in indexes:
            before = dict(self.files)
            build(self)
            indexes[key] = {url: f for url, f in self.files.items() if before.get(url) is not f}
        self.files.update(indexes[key])

    WhiteNoiseMiddleware.add_files_from_finders = add_files_from_finders


_index_static_files_once()


@pytest.fixture
def cast(db: None) -> Cast:
    # Imported here so the domain suite also runs without Django (`-p no:django`).
    from tests.personas import make_cast

    return make_cast()
