"""Several hash chains on PostgreSQL (docs/adr/0006-audit-chains.md): concurrent writers
append to different chains, each chain verifies, and tampering in any chain is found."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections, transaction
from django.utils import timezone

from cephalog.audit.actions import GENESIS, _last_hash, record, verify_chain
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


def test_a_batch_writer_appends_to_chain_0_and_record_follows_it(db: None) -> None:
    # As the bulk diary import does: chain 0's last hash, rows of its own, then record().
    previous = _last_hash()
    batch = [
        AuditEvent(at=timezone.now(), action="import", category="diary", detail={"n": n})
        for n in range(3)
    ]
    for event in batch:
        event.prev_hash = previous
        event.hash = previous = event.compute_hash()
    AuditEvent.objects.bulk_create(batch)
    after = record(action="import", category="diary")
    assert (after.chain, after.prev_hash) == (0, batch[-1].hash)
    assert verify_chain().ok


@postgresql_only
def test_last_hash_refuses_a_transaction_already_on_another_chain(
    db: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("cephalog.audit.actions._preferred_chain", lambda: 3)
    assert record(action="read", category="diary").chain == 3
    with pytest.raises(RuntimeError, match="already appends to audit chain 3"):
        _last_hash()
