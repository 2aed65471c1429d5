"""Database faults: which errors are passing, and running a transaction again after one.

For engineers writing actions (see docs/reliability.md):

- Decorate an action that opens its own transaction with
  `@retry_on_serialization_failure()` *above* `@transaction.atomic`. When two
  transactions collide on PostgreSQL (a serialization failure, a deadlock, or an
  insert that lost a race to a concurrent insert of the same unique key), the
  loser is rolled back and run again from the start, a few times, with a short
  random pause. On SQLite a "database is locked" error is retried the same way.
- Called inside an outer `transaction.atomic()` block, the decorator does nothing:
  the outer transaction is already doomed and only its owner can run it again, so
  put the decorator on the outermost function that opens the transaction.
- The action must be safe to run again: everything it writes is in the rolled
  back transaction. Do not send email or call other services inside it (use
  `transaction.on_commit`).

`is_database_unavailable` tells the 503 middleware which errors mean "the
database cannot be reached or cannot serve this now" rather than a bug.
"""

from __future__ import annotations

import functools
import logging
import random
import time
from collections.abc import Callable

from django.db import (
    DEFAULT_DB_ALIAS,
    IntegrityError,
    InterfaceError,
    OperationalError,
    connections,
)

log = logging.getLogger(__name__)


#: PostgreSQL SQLSTATEs after which running the whole transaction again can succeed.
SERIALIZATION_FAILURE = "40001"
DEADLOCK_DETECTED = "40P01"
UNIQUE_VIOLATION = "23505"
RETRYABLE_SQLSTATES = frozenset({SERIALIZATION_FAILURE, DEADLOCK_DETECTED})

#: How many times an action runs at most, and the first pause (doubled each time).
ATTEMPTS = 4
FIRST_PAUSE = 0.02


def sqlstate(error: BaseException) -> str | None:
    """The SQLSTATE of a database error (PostgreSQL), or None (SQLite, connection lost)."""
    for candidate in (error, error.__cause__, error.__context__):
        code = getattr(candidate, "sqlstate", None) or getattr(candidate, "pgcode", None)
        if code:
            return str(code)
    return None


def is_retryable(error: BaseException) -> bool:
    """A collision with another transaction: running the transaction again may succeed.

    A unique violation counts: an action that looked for a row, found none and
    inserted it has lost a race to a concurrent insert; run again, it finds the
    row. (A real duplicate fails again and is raised after the last attempt.)
    """
    if isinstance(error, IntegrityError):
        return sqlstate(error) == UNIQUE_VIOLATION
    if not isinstance(error, OperationalError):
        return False
    code = sqlstate(error)
    if code is not None:
        return code in RETRYABLE_SQLSTATES
    message = str(error).lower()
    return "database is locked" in message or "database table is locked" in message


def is_database_unavailable(error: BaseException) -> bool:
    """The database is down, restarting, unreachable or too busy: answer 503, not 500.

    Every OperationalError and InterfaceError counts (connection refused, server
    closed the connection, recovery in progress, too many connections, a lock or
    statement timeout, a serialization failure that ran out of retries): none of
    them is caused by the request, and all of them pass.
    """
    return isinstance(error, (OperationalError, InterfaceError))


def retry_on_serialization_failure[**P, R](
    attempts: int = ATTEMPTS, *, using: str = DEFAULT_DB_ALIAS
) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Run a transaction-opening function again when it collides with another transaction."""

    def decorator(func: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(func)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            return run_with_retry(lambda: func(*args, **kwargs), attempts=attempts, using=using)

        return wrapper

    return decorator


def run_with_retry[R](
    func: Callable[[], R], *, attempts: int = ATTEMPTS, using: str = DEFAULT_DB_ALIAS
) -> R:
    """Call `func` (which opens its own transaction), again on a retryable collision."""
    connection = connections[using]
    if connection.in_atomic_block:
        # Inside someone else's transaction: it is theirs to run again.
        return func()
    for attempt in range(1, attempts + 1):
        try:
            return func()
        except (OperationalError, IntegrityError) as error:
            if attempt == attempts or not is_retryable(error):
                raise
            pause = FIRST_PAUSE * 2 ** (attempt - 1) * (0.5 + random.random())
            log.info(
                "transaction collided (%s), attempt %d of %d, retrying in %.0f ms",
                sqlstate(error) or type(error).__name__,
                attempt,
                attempts,
                pause * 1000,
            )
            time.sleep(pause)
    raise AssertionError("unreachable")  # pragma: no cover


def describe(error: BaseException) -> str:
    """A log-safe description: the class and SQLSTATE only (messages can quote row values)."""
    code = sqlstate(error)
    return f"{type(error).__name__}" + (f" (SQLSTATE {code})" if code else "")
