"""Several hash chains on PostgreSQL (docs/adr/0006-audit-chains.md): concurrent writers
append to different chains, each chain verifies, and tampering in any chain is found."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections, transaction
from django.test.utils import CaptureQueriesContext

from cephalog.audit import actions
from cephalog.audit.actions import GENESIS, record, record_many, verify_chain
from cephalog.audit.models import AuditEvent

postgresql_only = pytest.mark.skipif(
    "connection.vendor != 'postgresql'", reason="SQLite writes one chain"
)


def _tamper(sql: str, params: list[object]) -> None:
    """As an attacker with direct database access, who turns the trigger off first."""
    table = AuditEvent._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER audit_append_only")
        else:
            cursor.execute("DROP TRIGGER audit_append_only")
            cursor.execute("DROP TRIGGER audit_no_delete")
        cursor.execute(sql.format(table=table), params)


def _write_while_others_wait(writers: int) -> None:
    """`writers` transactions each append a row and hold their chain until all have."""
    barrier = threading.Barrier(writers)
    errors: list[BaseException] = []

    def write(n: int) -> None:
        try:
            with transaction.atomic():
                record(action="read", category="diary", detail={"writer": n})
                barrier.wait(timeout=20)  # nobody commits before everyone has appended
                record(action="read", category="diary", detail={"writer": n, "again": True})
        except BaseException as error:  # reported below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_transactions_append_to_different_chains_without_waiting() -> None:
    # With one chain, the second writer would wait for the first to commit, and the
    # barrier (everyone appended before anyone commits) would time out.
    _write_while_others_wait(4)
    rows = list(AuditEvent.objects.order_by("id"))
    assert len(rows) == 8
    chains = {row.chain for row in rows}
    assert len(chains) == 4
    for chain in chains:  # a transaction keeps its chain: its two rows link up
        first, second = [row for row in rows if row.chain == chain]
        assert (first.prev_hash, second.prev_hash) == (GENESIS, first.hash)
        assert first.detail["writer"] == second.detail["writer"]
    result = verify_chain()
    assert (result.ok, result.rows, result.chains) == (True, 8, 4)


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_verify_finds_a_row_removed_from_any_chain() -> None:
    _write_while_others_wait(3)
    last = AuditEvent.objects.order_by("id").last()
    assert last is not None
    first_of_chain = AuditEvent.objects.filter(chain=last.chain).order_by("id").first()
    assert first_of_chain is not None
    _tamper("DELETE FROM {table} WHERE id = %s", [first_of_chain.pk])
    result = verify_chain()
    assert not result.ok
    assert result.first_bad_id == last.pk  # the row after it in its chain


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_verify_finds_a_row_moved_to_another_chain() -> None:
    _write_while_others_wait(2)
    last = AuditEvent.objects.order_by("id").last()
    assert last is not None
    other = next(c for c in AuditEvent.objects.values_list("chain", flat=True) if c != last.chain)
    _tamper("UPDATE {table} SET chain = %s WHERE id = %s", [other, last.pk])
    result = verify_chain()
    assert (result.ok, result.first_bad_id) == (False, last.pk)


def test_record_many_appends_a_batch_that_record_follows(db: None) -> None:
    # As the bulk diary import does: a batch of rows, then record(), in one transaction.
    first = record(action="import", category="diary")
    batch = record_many(
        [{"action": "import", "category": "diary", "detail": {"n": n}} for n in range(3)]
    )
    after = record(action="import", category="diary")
    assert [e.chain for e in batch] == [first.chain] * 3
    assert [e.prev_hash for e in batch] == [first.hash, batch[0].hash, batch[1].hash]
    assert (after.chain, after.prev_hash) == (first.chain, batch[-1].hash)
    stored = list(AuditEvent.objects.filter(pk__in=[e.pk for e in batch]).order_by("id"))
    assert [e.hash for e in stored] == [e.hash for e in batch]
    assert verify_chain().ok


def test_record_many_of_more_rows_than_one_statement_takes(
    db: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("cephalog.audit.actions.BATCH", 4)
    batch = record_many(
        [{"action": "import", "category": "diary", "detail": {"n": n}} for n in range(10)]
    )
    assert len({e.pk for e in batch}) == 10
    assert [e.prev_hash for e in batch[1:]] == [e.hash for e in batch[:-1]]
    assert verify_chain().ok


@postgresql_only
def test_an_append_is_one_statement_when_the_head_is_known(db: None) -> None:
    record(action="read", category="diary")  # this thread now knows its chain's head
    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        event = record(action="read", category="diary")
    assert [q["sql"].split("(")[0] for q in queries.captured_queries] == [
        "SELECT chain_claimed, head, ids FROM cephalog_audit_append"
    ]
    assert AuditEvent.objects.get(pk=event.pk).hash == event.hash
    assert verify_chain().ok


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_a_read_outside_a_transaction_is_audited_in_one_statement_without_begin() -> None:
    record(action="read", category="diary")
    with CaptureQueriesContext(connection) as queries:
        event = record(action="read", category="diary")
    assert len(queries.captured_queries) == 1, queries.captured_queries
    actions._heads[event.chain] = "f" * 64  # stale: the row is hashed again, in a transaction
    with CaptureQueriesContext(connection) as queries:
        again = record(action="read", category="diary")
    assert (again.chain, again.prev_hash) == (event.chain, event.hash)
    assert len(queries.captured_queries) > 1
    assert verify_chain().ok


@postgresql_only
def test_a_wrong_head_writes_nothing_and_the_row_is_hashed_again(db: None) -> None:
    first = record(action="read", category="diary")
    actions._heads[first.chain] = "f" * 64  # as if another process had appended since
    second = record(action="read", category="diary")
    assert (second.chain, second.prev_hash) == (first.chain, first.hash)
    assert AuditEvent.objects.filter(chain=first.chain).count() == 2
    assert verify_chain().ok


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_many_threads_appending_in_turn_lose_no_row_and_keep_every_link() -> None:
    # More writers than chains, each committing many small transactions: each process's
    # remembered heads go stale all the time, and nothing may be lost or forked.
    errors: list[BaseException] = []

    def write(n: int) -> None:
        try:
            for i in range(15):
                with transaction.atomic():
                    record(action="read", category="diary", detail={"w": n, "i": i})
                    if i % 5 == 0:
                        record_many(
                            [
                                {"action": "read", "category": "diary", "detail": {"b": k}}
                                for k in range(3)
                            ]
                        )
        except BaseException as error:  # reported below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    assert AuditEvent.objects.count() == 12 * (15 + 3 * 3)
    result = verify_chain()
    assert result.ok, result
