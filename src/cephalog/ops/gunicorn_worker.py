"""gunicorn's threaded worker, with the load spread over the worker processes (issue 19).

With `--worker-class gthread`, every worker process accepts new connections whenever it
is woken, busy or not, and keeps each connection (keep-alive) for as long as the client
keeps it. Clients that hold their connections (a TLS proxy's pool to the application
server, the benchmark's wrk) stay with whichever process won the race for them, and one
process of three was measured serving nearly all of them: 0.97 of a core (a process's
threads share one interpreter lock, so one process uses at most one core) while the
other two idled, and the diary read answered 354 requests a second instead of 626.

This worker changes two things, nothing else:

- It takes a new connection only while one of its threads is free. A process whose
  threads are all busy leaves new connections to the others (or, when every process is
  busy, in the listen queue until a thread frees up, which is where they would have
  waited anyway).
- It closes a kept-alive connection after `KEEPALIVE_REQUESTS` requests (the response
  says `Connection: close`; the client opens a new one, as nginx's `keepalive_requests`
  does to its clients), so connections pinned to a busy process move to a free one.

Used as `--worker-class cephalog.ops.gunicorn_worker.BalancedThreadWorker`
(docs/production.md); `CEPHALOG_KEEPALIVE_REQUESTS` sets the number (0: never close).
"""

from __future__ import annotations

import os
from typing import Any

from gunicorn.workers.gthread import ThreadWorker

#: Requests served on one kept-alive connection before it is closed.
KEEPALIVE_REQUESTS = int(os.environ.get("CEPHALOG_KEEPALIVE_REQUESTS", "100"))


class BalancedThreadWorker(ThreadWorker):  # type: ignore[misc]
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.in_flight = 0  # connections handed to a thread and not finished
        self._configured_connections = 0
        super().__init__(*args, **kwargs)

    # gthread's loop accepts while `nr_conns < worker_connections` (re-checked after each
    # round of events): while every thread is busy, it reads as 0.
    @property
    def worker_connections(self) -> int:
        if self.in_flight >= self.cfg.threads:
            return 0
        return self._configured_connections

    @worker_connections.setter
    def worker_connections(self, value: int) -> None:
        self._configured_connections = value

    def enqueue_req(self, conn: Any) -> None:
        self.in_flight += 1  # the loop's thread only, as finish_request
        super().enqueue_req(conn)

    def finish_request(self, conn: Any, fs: Any) -> None:
        self.in_flight -= 1
        super().finish_request(conn, fs)

    def handle_request(self, req: Any, conn: Any) -> Any:
        served = getattr(conn, "cephalog_served", 0) + 1
        conn.cephalog_served = served
        if KEEPALIVE_REQUESTS and served >= KEEPALIVE_REQUESTS:
            req.must_close = True  # answered with "Connection: close"
        return super().handle_request(req, conn)
