"""The connection health check without a round trip (cephalog.ops.postgresql): an idle,
healthy connection is usable without `SELECT 1`; one the server ended is not."""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.db import connection, connections
from django.db.backends.postgresql import base as django_pg

pytestmark = [
    pytest.mark.skipif("connection.vendor != 'postgresql'", reason="PostgreSQL's backend"),
    pytest.mark.django_db(transaction=True),
]


def test_an_idle_healthy_connection_is_usable_without_a_query(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    connection.ensure_connection()
    assert connection.settings_dict["ENGINE"] == "cephalog.ops.postgresql"

    def round_trip(self: Any) -> bool:
        raise AssertionError("SELECT 1 was sent")

    monkeypatch.setattr(django_pg.DatabaseWrapper, "is_usable", round_trip)
    assert connection.is_usable()


def test_a_connection_the_server_ended_is_not_usable() -> None:
    connection.ensure_connection()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (pid,) = cursor.fetchone()
    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    finally:
        other.close()
    deadline = time.monotonic() + 5
    while connection.is_usable() and time.monotonic() < deadline:
        time.sleep(0.05)  # the server's goodbye reaches the socket
    assert not connection.is_usable()
    connection.close()
