"""The shared job helper (issue 20.2): one claim wins, failures back off and give up,
only the current claim writes an outcome. Against the real database (SQLite, and
PostgreSQL with DATABASE_URL), on the outbox's table: a job row with every job field."""

from __future__ import annotations

import datetime as dt
import threading
import time

import pytest
from django.db import connection, transaction

from cephalog.core.jobs import NO_RETRY, Job, Retry, exponential
from cephalog.interop import bulk_actions
from cephalog.safety import outbox_actions
from cephalog.safety.models import EmailKind, EmailStatus, OutboundEmail
from cephalog.scheduling import reminder_actions

MIN = dt.timedelta(minutes=1)
T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)

#: Backs off 1, 2, 4, 8 minutes; gives up after 4 attempts; a dead claim is retaken after 5.
JOB = Job(
    OutboundEmail,
    ("last_attempt_at",),
    running=EmailStatus.SENDING,
    done=EmailStatus.SENT,
    lease=5 * MIN,
    retry=Retry(waits=exponential(MIN, 8 * MIN), max_attempts=4),
    due="next_attempt_at",
)


def _row(due: dt.datetime = T0) -> OutboundEmail:
    return OutboundEmail.objects.create(
        kind=EmailKind.RED_FLAG,
        to=["safety@example.org"],
        subject="s",
        body="b",
        created_at=T0,
        next_attempt_at=due,
    )


def _read(pk: int) -> OutboundEmail:
    return OutboundEmail.objects.get(pk=pk)


def test_exponential_waits_double_up_to_the_cap() -> None:
    assert exponential(MIN, 30 * MIN) == tuple(m * MIN for m in (1, 2, 4, 8, 16, 30))
    assert exponential(MIN, 8 * MIN) == tuple(m * MIN for m in (1, 2, 4, 8))
    assert exponential(MIN, 27 * MIN, factor=3) == tuple(m * MIN for m in (1, 3, 9, 27))
    for first, cap in ((0 * MIN, MIN), (2 * MIN, MIN)):
        with pytest.raises(ValueError, match="0 < first <= cap"):
            exponential(first, cap)


def test_the_wait_after_each_failure_repeats_the_last_one() -> None:
    retry = Retry(waits=exponential(MIN, 8 * MIN))
    assert [retry.wait(n) / MIN for n in range(7)] == [1, 1, 2, 4, 8, 8, 8]
    assert Retry().wait(3) == dt.timedelta(0)  # no waits: the next sweep retries
    assert [Retry(max_attempts=2).gives_up(n) for n in (1, 2, 3)] == [False, True, True]
    assert not Retry().gives_up(1000)


@pytest.mark.django_db
def test_a_row_is_claimed_once_until_its_lease_runs_out() -> None:
    pk = _row().pk
    assert not JOB.claim(pk, T0 - MIN)  # not due yet
    assert JOB.claim(pk, T0)
    assert not JOB.claim(pk, T0)  # the same instant: already taken
    assert not JOB.claim(pk, T0 + 4 * MIN)  # the first worker may still be at it
    row = _read(pk)
    assert (row.status, row.attempts, row.last_attempt_at) == ("sending", 1, T0)
    assert row.next_attempt_at == T0 + 5 * MIN  # when it is taken back if its worker died
    assert list(JOB.due_rows(T0 + 4 * MIN)) == []
    assert list(JOB.due_rows(T0 + 5 * MIN)) == [row]
    assert JOB.claim(pk, T0 + 5 * MIN)  # the lease is over: presumed dead, taken back
    assert _read(pk).attempts == 2


@pytest.mark.django_db
def test_failures_back_off_then_give_up_into_a_visible_failed_state() -> None:
    pk = _row().pk
    now, schedule = T0, []
    for attempt in range(1, 5):
        assert JOB.claim(pk, now)
        assert JOB.fail(_read(pk), now, f"SMTPConnectError {attempt} " + "x" * 400)
        row = _read(pk)
        assert (row.status, row.attempts) == ("failed", attempt)
        assert row.last_error.startswith(f"SMTPConnectError {attempt} ")
        assert len(row.last_error) == 300  # cut to the field's length
        assert JOB.gave_up(row) is (attempt == 4)
        schedule.append((row.next_attempt_at - now) / MIN)
        if attempt < 4:
            assert not JOB.claim(pk, row.next_attempt_at - dt.timedelta(seconds=1))
        now = row.next_attempt_at
    assert schedule[:3] == [1, 2, 4]
    # The 4th failure was the last: no attempt scheduled, never claimed again, kept for staff.
    row = _read(pk)
    assert row.next_attempt_at == row.last_attempt_at == T0 + 7 * MIN  # none after it
    later = T0 + dt.timedelta(days=30)
    assert not JOB.claim(pk, later)
    assert list(JOB.due_rows(later)) == []
    assert (row.status, row.attempts) == ("failed", 4)


@pytest.mark.django_db
def test_only_the_claim_the_row_is_under_writes_the_outcome() -> None:
    pk = _row().pk
    assert JOB.claim(pk, T0)
    slow = _read(pk)
    assert JOB.claim(pk, T0 + 5 * MIN)  # the first worker outlived its lease
    assert not JOB.finish(pk, T0, sent_at=T0)
    assert not JOB.fail(slow, T0, "TimeoutError")
    row = _read(pk)
    assert (row.status, row.attempts, row.last_error) == ("sending", 2, "")
    assert JOB.finish(pk, T0 + 5 * MIN, sent_at=T0 + 6 * MIN)
    row = _read(pk)
    assert (row.status, row.sent_at) == ("sent", T0 + 6 * MIN)
    assert not JOB.claim(pk, later := T0 + dt.timedelta(days=1))
    assert list(JOB.due_rows(later)) == []


@pytest.mark.django_db
def test_a_job_that_does_not_retry_fails_for_good_at_once() -> None:
    once = Job(OutboundEmail, ("last_attempt_at",), running="sending", done="sent", retry=NO_RETRY)
    assert once.waiting == ("pending",)
    pk = _row().pk
    assert once.claim(pk, T0)
    assert not once.gave_up(_read(pk))  # running, not failed
    assert once.fail(_read(pk), T0, "OSError")
    assert once.gave_up(_read(pk))
    assert not once.claim(pk, T0 + dt.timedelta(days=1))
    assert not once.claim(pk, T0 + dt.timedelta(days=365))  # no lease: never taken back
    with pytest.raises(ValueError, match="must count them"):
        Job(OutboundEmail, ("last_attempt_at",), attempts=None, retry=JOB.retry)


def test_each_job_keeps_its_own_numbers() -> None:
    """The outbox backs off to every 30 minutes and never gives up; reminders retry at the
    next sweep, 5 attempts; a bulk export runs once."""
    outbox = outbox_actions.JOB
    assert [outbox.retry.wait(n) / MIN for n in range(1, 7)] == [1, 2, 5, 10, 30, 30]
    assert (outbox.retry.max_attempts, outbox.lease) == (None, 5 * MIN)
    reminders = reminder_actions.JOB
    assert (reminders.retry.wait(1), reminders.retry.max_attempts) == (dt.timedelta(0), 5)
    assert (reminders.lease, reminders.due) == (10 * MIN, None)
    export = bulk_actions.JOB
    assert (export.waiting, export.lease, export.attempts) == (("pending",), None, None)


# --- concurrent claims, each worker on its own connection ---------------------------------


@pytest.mark.django_db(transaction=True)
def test_of_workers_claiming_at_once_exactly_one_wins() -> None:
    pk = _row().pk
    workers = 6
    start = threading.Barrier(workers)
    won: list[bool] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            start.wait(10)
            won.append(JOB.claim(pk, T0))
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not errors
    assert sorted(won) == [False] * (workers - 1) + [True]
    assert _read(pk).attempts == 1


@pytest.mark.django_db(transaction=True)
def test_a_claim_that_waited_for_the_winners_lock_finds_the_row_taken() -> None:
    """The second claim waits for the first one's transaction (PostgreSQL: its row lock;
    SQLite: its write lock) and then finds the row no longer claimable."""
    pk = _row().pk
    holding, errors = threading.Event(), []

    def first() -> None:
        try:
            with transaction.atomic():
                assert JOB.claim(pk, T0)
                holding.set()
                time.sleep(0.6)  # the other claim is waiting meanwhile
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)
            holding.set()
        finally:
            connection.close()

    thread = threading.Thread(target=first)
    thread.start()
    assert holding.wait(10)
    started = time.monotonic()
    second = JOB.claim(pk, T0)
    waited = time.monotonic() - started
    thread.join(10)
    assert not errors
    assert not second
    assert waited > 0.3  # it did wait for the first transaction
    assert _read(pk).attempts == 1
