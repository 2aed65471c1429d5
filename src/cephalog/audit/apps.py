from __future__ import annotations

import contextvars
from typing import Any

from django.apps import AppConfig
from django.db.backends.signals import connection_created

#: True only while Django flushes the whole database (`cephalog flush`, the test runner's
#: transactional tests): SQLite's DELETE trigger on audit rows lets exactly that through,
#: as PostgreSQL's TRUNCATE passes its row trigger (migration 0004).
_flushing: contextvars.ContextVar[bool] = contextvars.ContextVar("audit_flushing", default=False)


def _register_sqlite_function(sender: Any, connection: Any, **kwargs: Any) -> None:
    if connection.vendor == "sqlite":
        connection.connection.create_function(
            "cephalog_audit_flushing", 0, lambda: int(_flushing.get()), deterministic=False
        )


def _patch_flush() -> None:
    from django.db.backends.sqlite3.base import DatabaseOperations  # type: ignore[attr-defined]

    if getattr(DatabaseOperations.execute_sql_flush, "_cephalog", False):
        return
    original = DatabaseOperations.execute_sql_flush

    def execute_sql_flush(self: Any, sql_list: Any) -> None:
        token = _flushing.set(True)
        try:
            original(self, sql_list)
        finally:
            _flushing.reset(token)

    execute_sql_flush._cephalog = True  # type: ignore[attr-defined]
    DatabaseOperations.execute_sql_flush = execute_sql_flush  # type: ignore[method-assign]


def _check_keys(app_configs: Any, **kwargs: Any) -> list[Any]:
    from django.conf import settings
    from django.core.checks import Warning

    if settings.AUDIT_KEYS or settings.DEV:
        return []
    return [
        Warning(
            "The audit chain's key is derived from SECRET_KEY.",
            hint="Set CEPHALOG_AUDIT_KEY or CEPHALOG_AUDIT_KEY_FILE (docs/production.md): "
            "rotating SECRET_KEY would otherwise leave older audit rows unverifiable.",
            id="cephalog.W001",
        )
    ]


class AuditConfig(AppConfig):
    name = "cephalog.audit"
    label = "audit"

    def ready(self) -> None:
        from django.core.checks import register

        register(_check_keys, "security", deploy=True)
        connection_created.connect(_register_sqlite_function, dispatch_uid="audit-sqlite-fn")
        _patch_flush()
        from django.db import connections

        for conn in connections.all(initialized_only=True):
            if conn.connection is not None:
                _register_sqlite_function(None, conn)
