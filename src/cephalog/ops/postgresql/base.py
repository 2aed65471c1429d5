"""Django's PostgreSQL backend with a health check that costs no round trip (issue 19.1).

With persistent connections (CONN_MAX_AGE) and CONN_HEALTH_CHECKS, Django checks each
request's connection before its first query with `SELECT 1`: a round trip per request,
as much as the one-row query of the latency benchmark's baseline. Here the check asks
the operating system instead: an idle connection whose socket has nothing to read is
taken as usable (a server that restarted, was killed or ended the session has closed
the socket or left its goodbye message on it, so it reads as ready); only when
something is waiting, or the connection is not idle, is `SELECT 1` sent as before.

A connection lost without a word (a cable pulled, a firewall dropping it silently) is
not seen by either check before the query (`SELECT 1` would hang on it too): the
request then fails with a database error, answers 503 (cephalog.ops.middleware), and
Django closes the connection, so the next request opens a new one.

`ENGINE` is set to this module by settings.py for PostgreSQL URLs; `vendor` stays
"postgresql".
"""

from __future__ import annotations

import select

from django.db.backends.postgresql import base
from psycopg import pq


class DatabaseWrapper(base.DatabaseWrapper):
    def is_usable(self) -> bool:
        connection = self.connection
        if connection is None or connection.closed:
            return False
        if connection.pgconn.transaction_status != pq.TransactionStatus.IDLE:
            return bool(super().is_usable())
        try:
            readable, _, _ = select.select([connection.fileno()], [], [], 0)
        except (OSError, ValueError):
            return False
        return True if not readable else bool(super().is_usable())
