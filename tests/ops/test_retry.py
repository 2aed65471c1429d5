"""retry_on_serialization_failure: collisions are run again, other errors are not."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, OperationalError, transaction

from cephalog.ops import db


class PgError(Exception):
    def __init__(self, sqlstate: str) -> None:
        super().__init__(sqlstate)
        self.sqlstate = sqlstate


def pg(kind: type[Exception], sqlstate: str) -> Exception:
    error = kind("collision")
    error.__cause__ = PgError(sqlstate)
    return error


@pytest.mark.parametrize(
    ("error", "retryable"),
    [
        (pg(OperationalError, "40001"), True),  # serialization_failure
        (pg(OperationalError, "40P01"), True),  # deadlock_detected
        (pg(IntegrityError, "23505"), True),  # unique_violation: an insert race
        (pg(IntegrityError, "23503"), False),  # foreign key: a bug, not a race
        (pg(OperationalError, "57014"), False),  # query cancelled
        (OperationalError("database is locked"), True),  # SQLite
        (OperationalError("no such table: x"), False),
        (ValueError("x"), False),
    ],
)
def test_it_knows_which_errors_are_collisions(error: Exception, retryable: bool) -> None:
    assert db.is_retryable(error) is retryable


def test_it_runs_the_transaction_again_after_a_collision(
    transactional_db: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(db, "FIRST_PAUSE", 0.0)
    calls: list[int] = []

    @db.retry_on_serialization_failure(attempts=4)
    @transaction.atomic
    def action() -> str:
        calls.append(1)
        if len(calls) < 3:
            raise pg(OperationalError, "40001")
        return "done"

    assert action() == "done"
    assert len(calls) == 3


def test_it_gives_up_after_the_last_attempt(
    transactional_db: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(db, "FIRST_PAUSE", 0.0)
    calls: list[int] = []

    @db.retry_on_serialization_failure(attempts=3)
    def action() -> None:
        calls.append(1)
        raise pg(OperationalError, "40P01")

    with pytest.raises(OperationalError):
        action()
    assert len(calls) == 3


def test_it_does_not_retry_other_errors_or_inside_an_outer_transaction(
    transactional_db: None,
) -> None:
    calls: list[int] = []

    @db.retry_on_serialization_failure()
    def action(error: Exception) -> None:
        calls.append(1)
        raise error

    with pytest.raises(IntegrityError):
        action(pg(IntegrityError, "23503"))
    assert len(calls) == 1
    with pytest.raises(OperationalError), transaction.atomic():
        action(pg(OperationalError, "40001"))
    assert len(calls) == 2


def test_the_log_line_names_the_error_class_and_sqlstate_only() -> None:
    error = pg(OperationalError, "40001")
    assert db.describe(error) == "OperationalError (SQLSTATE 40001)"
    assert db.describe(OperationalError("Key (mrn)=(MRN-1) is bad")) == "OperationalError"
