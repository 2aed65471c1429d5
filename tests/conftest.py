from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
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


@pytest.fixture(scope="session")
def django_db_setup(
    django_db_setup: None, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[None]:
    """pytest-django's test database, and on SQLite a copy of it as `migrate` left it
    (before any test wrote to it): the `migrated_sqlite` fixture hands that copy out. On
    PostgreSQL, no session left on it when it is dropped (`_end_stray_sessions`)."""
    from django.db import connection

    test_name = connection.settings_dict.get("TEST", {}).get("NAME")
    if connection.vendor == "sqlite" and connection.settings_dict["NAME"] == test_name:
        import sqlite3
        from contextlib import closing

        with django_db_blocker.unblock():
            connection.ensure_connection()
            with closing(sqlite3.connect(tmp_path_factory.getbasetemp() / _MIGRATED)) as copy:
                connection.connection.backup(copy)
    yield
    if connection.vendor == "postgresql":
        with django_db_blocker.unblock():
            _end_stray_sessions()


def _end_stray_sessions() -> None:
    """Before pytest-django drops the PostgreSQL test database (DROP DATABASE refuses while
    another session uses it): wait up to 5 s for the sessions a test's threads or servers
    opened to finish closing, then end those left, naming them on stderr."""
    import time

    from django.db import connection

    sql = (
        "SELECT pid, application_name, state, left(query, 200) FROM pg_stat_activity "
        "WHERE datname = current_database() AND pid <> pg_backend_pid()"
    )
    rows: list[Any] = []
    for _ in range(50):
        with connection.cursor() as cursor:
            cursor.execute(sql)
            rows = cursor.fetchall()
        if not rows:
            return
        time.sleep(0.1)
    sys.stderr.write(f"ending sessions left on the test database: {rows!r}\n")
    with connection.cursor() as cursor:
        for row in rows:
            cursor.execute("SELECT pg_terminate_backend(%s)", [row[0]])


_MIGRATED = "migrated.sqlite3"


@pytest.fixture(scope="session")
def migrated_sqlite(django_db_setup: None, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty SQLite database at the latest migrations, for the tests that start a site
    of their own (a subprocess with its own data folder): copied into that folder, it saves
    each of them a `migrate` of its own (~10 s of CPU; the migrations are what built the
    test database). On SQLite it is the test database as `migrate` made it; on another
    test database, one `cephalog migrate` of a new file, once per test process."""
    path = tmp_path_factory.getbasetemp() / _MIGRATED
    if not path.exists():
        folder = tmp_path_factory.mktemp("migrated")
        env = {**os.environ, "CEPHALOG_DATA_DIR": str(folder), "CEPHALOG_TESTING": "false"}
        env.pop("DATABASE_URL", None)
        env.pop("DATABASE_REPLICA_URL", None)
        subprocess.run(
            [sys.executable, "-m", "cephalog.cli", "migrate", "--no-input", "-v", "0"],
            env=env,
            cwd=Path(__file__).resolve().parents[1],
            check=True,
            capture_output=True,
        )
        (folder / "cephalog.sqlite3").rename(path)
    return path
