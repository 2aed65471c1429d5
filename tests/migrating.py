"""Migrate the test database to a named state and back, for the tests of a model move
(a model that changed app keeping its table: docs/adr/0012-layers.md)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from io import StringIO

from django.apps.registry import Apps
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

type Targets = Sequence[tuple[str, str]]


def migrate(targets: Targets) -> Apps:
    """Migrate to `targets` (forwards or backwards); the models as they were there."""
    executor = MigrationExecutor(connection)
    executor.migrate(list(targets))
    return MigrationExecutor(connection).loader.project_state(list(targets)).apps


@contextmanager
def migrated_back(targets: Targets) -> Iterator[Apps]:
    """The database migrated back to `targets` (its models as they were then), and to the
    latest migrations again afterwards, whatever happened inside."""
    try:
        yield migrate(targets)
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
        ContentType.objects.clear_cache()


def sql_of(app: str, migration: str) -> list[str]:
    """The SQL statements `migrate` would run for one migration (comments and the
    transaction's BEGIN and COMMIT left out)."""
    out = StringIO()
    call_command("sqlmigrate", app, migration, stdout=out)
    lines = [line.strip() for line in out.getvalue().splitlines()]
    return [
        line
        for line in lines
        if line and not line.startswith("--") and line not in ("BEGIN;", "COMMIT;")
    ]
