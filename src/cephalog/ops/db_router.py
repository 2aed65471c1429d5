"""Reads that may be a few seconds old go to a streaming replica (docs/scaling.md, step 3).

With `DATABASE_REPLICA_URL` set, settings add a `replica` database and this router. Reads
are sent there only inside `replica_reads()` (a context manager and decorator), which
wraps the analytics, dashboards, cohort exports and the FHIR bulk export:

- the views named in `REPLICA_VIEWS` (by `ReplicaViewsMiddleware`);
- `cephalog.interop.bulk.run_bulk_export` and `cephalog cohort-table` (by hand).

Everything else reads and writes the primary (`default`), and so does every query made
inside a transaction on the primary (a write's reads, locks and the audit chain claim
must see the primary). Without `DATABASE_REPLICA_URL` nothing changes: there is no
`replica` alias and every query goes to `default`, as before.

A replica is behind the primary by its replay lag, so pages read from it say "as of" the
time of the last transaction it replayed (`as_of()`; the `replica_as_of` template
variable and the `X-Data-As-Of` response header).
"""

from __future__ import annotations

import contextvars
import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from django.db import connections
from django.http import HttpRequest, HttpResponse

REPLICA = "replica"
PRIMARY = "default"

#: URL names (namespace:name as Django resolves them) whose reads go to the replica.
REPLICA_VIEWS = frozenset(
    {
        "clinic-dashboard",
        "clinic-cohort",
        "clinic-cohort-csv",
    }
)

_reading_replica: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "cephalog_replica_reads", default=False
)


def replica_configured() -> bool:
    return REPLICA in connections.settings


def routing_to_replica() -> bool:
    """True when a read made now would go to the replica."""
    return (
        _reading_replica.get() and replica_configured() and not connections[PRIMARY].in_atomic_block
    )


@contextmanager
def replica_reads() -> Iterator[None]:
    """Reads inside go to the replica (when one is configured), outside transactions."""
    token = _reading_replica.set(True)
    try:
        yield
    finally:
        _reading_replica.reset(token)


class ReplicaRouter:
    """Reads to the replica inside `replica_reads()`, everything else to the primary."""

    def db_for_read(self, model: type, **hints: Any) -> str | None:
        return REPLICA if routing_to_replica() else PRIMARY

    def db_for_write(self, model: type, **hints: Any) -> str | None:
        return PRIMARY

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool | None:
        return True  # the same data: the replica is a copy of the primary

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool | None:
        return db == PRIMARY  # the replica replays the primary's schema


def reading_connection() -> Any:
    """The connection a read made now uses (for code that runs raw SQL)."""
    return connections[REPLICA if routing_to_replica() else PRIMARY]


def as_of() -> dt.datetime | None:
    """When the replica last replayed a transaction of the primary (None without a replica,
    or before it has replayed any). A primary promoted from a replica is not in recovery:
    its data is current, and this is None."""
    if not replica_configured():
        return None
    with connections[REPLICA].cursor() as cursor:
        cursor.execute(
            "SELECT CASE WHEN pg_is_in_recovery() THEN pg_last_xact_replay_timestamp() END"
        )
        row = cursor.fetchone()
    value = row[0] if row else None
    return value if isinstance(value, dt.datetime) else None


class ReplicaViewsMiddleware:
    """Runs the views of `REPLICA_VIEWS` inside `replica_reads()` and stamps the answer
    with the replica's replay time. One set lookup per request otherwise."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.active = replica_configured()

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        token = getattr(request, "_replica_token", None)
        if token is not None:
            _reading_replica.reset(token)
            stamp = getattr(request, "replica_as_of", None)
            if stamp is not None:
                response["X-Data-As-Of"] = stamp.isoformat()
        return response

    def process_view(
        self, request: HttpRequest, view: Callable[..., HttpResponse], args: Any, kwargs: Any
    ) -> None:
        match = request.resolver_match
        if self.active and match is not None and match.view_name in REPLICA_VIEWS:
            request._replica_token = _reading_replica.set(True)  # type: ignore[attr-defined]
            request.replica_as_of = as_of()  # type: ignore[attr-defined]


def replica_context(request: HttpRequest) -> dict[str, Any]:
    """Template context: `replica_as_of`, the replay time, on pages read from the replica."""
    stamp = getattr(request, "replica_as_of", None)
    return {"replica_as_of": stamp} if stamp is not None else {}
