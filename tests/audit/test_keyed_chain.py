"""A keyed, anchored audit trail (issue 18.3): deleting the last rows, deleting every row,
or rebuilding the chain without the key are each found by `cephalog audit verify`."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from cephalog.audit import anchor, keys
from cephalog.audit.actions import record, verify_chain
from cephalog.audit.models import AuditEvent

KEY = "k2026:" + "s" * 40
OLD_KEY = "k2025:" + "o" * 40


@pytest.fixture
def anchors(settings: Any, tmp_path: Path) -> Path:
    settings.AUDIT_KEYS = keys.parse(KEY, "test")
    settings.AUDIT_ANCHOR_FILE = str(tmp_path / "anchors.log")
    return tmp_path / "anchors.log"


@pytest.fixture
def rows(db: None, anchors: Path) -> list[AuditEvent]:
    made = [record(action="read", category="diary", detail={"n": i}) for i in range(6)]
    call_command("audit", "verify")  # verified, and the heads anchored
    return made


def _tamper(sql: str, params: list[Any] | None = None) -> None:
    """As an attacker with the database's owner rights, who turns the triggers off first."""
    table = AuditEvent._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER audit_append_only")
        else:
            cursor.execute("DROP TRIGGER IF EXISTS audit_append_only")
            cursor.execute("DROP TRIGGER IF EXISTS audit_no_delete")
        cursor.execute(sql.format(table=table), params or [])


def _broken(match: str) -> None:
    with pytest.raises(CommandError, match=match):
        call_command("audit", "verify")


def test_each_row_names_its_key_and_hashes_with_it(rows: list[AuditEvent]) -> None:
    assert {r.key_id for r in rows} == {"k2026"}
    plain = hashlib.sha256(rows[0].canonical().encode()).hexdigest()
    assert rows[0].hash != plain
    assert rows[0].hash == keys.chain_hash(rows[0].canonical(), b"s" * 40)


def test_the_database_refuses_deletes(rows: list[AuditEvent]) -> None:
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=rows[-1].pk)._raw_delete(connection.alias)
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {AuditEvent._meta.db_table}")
    assert AuditEvent.objects.count() == len(rows)


def test_verify_finds_the_last_rows_deleted(rows: list[AuditEvent]) -> None:
    _tamper("DELETE FROM {table} WHERE id >= %s", [rows[-2].pk])
    assert verify_chain().ok  # the chain itself still fits together...
    _broken(f"row {rows[-1].pk} .* is missing: rows were removed")  # ...the anchor does not


def test_verify_finds_the_last_rows_deleted_and_new_ones_written(rows: list[AuditEvent]) -> None:
    _tamper("DELETE FROM {table} WHERE id >= %s", [rows[-2].pk])
    record(action="read", category="diary", detail={"after": True})
    call_command("audit", "anchor")
    _broken("is missing: rows were removed")


def test_verify_finds_every_row_deleted(rows: list[AuditEvent]) -> None:
    _tamper("DELETE FROM {table}")
    _broken("is missing: rows were removed")


def test_verify_finds_the_chain_rebuilt_without_the_key(rows: list[AuditEvent]) -> None:
    """Remove a row in the middle and recompute the later hashes, as someone without the
    key can: with plain SHA-256 (as rows before keys), or under a key of their own."""
    _tamper("DELETE FROM {table} WHERE id = %s", [rows[2].pk])
    previous = rows[1].hash
    for row in AuditEvent.objects.filter(id__gt=rows[2].pk).order_by("id"):
        row.prev_hash = previous
        row.key_id = ""
        new = hashlib.sha256(row.canonical().encode()).hexdigest()
        _tamper(
            "UPDATE {table} SET prev_hash = %s, hash = %s, key_id = '' WHERE id = %s",
            [previous, new, row.pk],
        )
        previous = new
    result = verify_chain()
    assert not result.ok
    assert "rebuilt" in result.problem
    _broken("rebuilt")


def test_verify_finds_the_whole_chain_rebuilt_under_another_key(rows: list[AuditEvent]) -> None:
    previous = "0" * 64
    for row in AuditEvent.objects.order_by("id"):
        row.prev_hash = previous
        new = keys.chain_hash(row.canonical(), b"attacker's own key" * 3)
        _tamper(
            "UPDATE {table} SET prev_hash = %s, hash = %s WHERE id = %s", [previous, new, row.pk]
        )
        previous = new
    _broken(f"broken at row {rows[0].pk}: its contents were changed")


def test_verify_finds_a_rebuilt_chain_even_with_the_key(rows: list[AuditEvent]) -> None:
    """Whoever holds the key can rebuild the chain, but not the anchors already written."""
    _tamper("DELETE FROM {table} WHERE id = %s", [rows[-1].pk])
    assert verify_chain().ok
    _broken("is missing")


def test_a_forged_anchor_line_is_found(rows: list[AuditEvent], anchors: Path) -> None:
    lines = anchors.read_text().splitlines()
    entry = json.loads(lines[-1])
    entry["heads"] = {"0": [rows[1].pk, rows[1].hash]}
    anchors.write_text("\n".join([*lines[:-1], json.dumps(entry)]) + "\n")
    _broken("anchor line 1 was altered or forged")


def test_keys_rotate_and_old_rows_still_verify(rows: list[AuditEvent], settings: Any) -> None:
    settings.AUDIT_KEYS = keys.parse(f"k2027:{'n' * 40},{KEY}", "test")
    newer = record(action="read", category="diary")
    assert newer.key_id == "k2027"
    call_command("audit", "verify")
    settings.AUDIT_KEYS = keys.parse(f"k2027:{'n' * 40}", "test")  # the old key dropped
    _broken(f"row {rows[0].pk}: it is signed with a key not configured here \\(k2026\\)")


def test_rows_from_before_keys_still_verify(db: None, anchors: Path) -> None:
    """Rows written before this change have no key id and a SHA-256 hash."""
    from django.utils import timezone

    legacy = AuditEvent(at=timezone.now(), action="read", category="diary", prev_hash="0" * 64)
    legacy.key_id = ""
    legacy.hash = hashlib.sha256(legacy.canonical().encode()).hexdigest()
    legacy.save()
    record(action="read", category="diary")
    call_command("audit", "verify")


def test_heads_are_anchored_after_commit_and_within_the_interval(
    db: None, anchors: Path, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.AUDIT_ANCHOR_SECONDS = 0
    with django_capture_on_commit_callbacks(execute=True):
        row = record(action="read", category="diary")
    line = json.loads(anchors.read_text().splitlines()[-1])
    assert line["heads"][str(row.chain)] == [row.pk, row.hash]
    assert line["kid"] == "k2026"
    # Inside the interval: not now, but a timer writes once it is over.
    settings.AUDIT_ANCHOR_SECONDS = 60
    with django_capture_on_commit_callbacks(execute=True):
        record(action="read", category="diary")
    assert len(anchors.read_text().splitlines()) == 1
    timer = anchor._timer
    assert timer is not None
    assert timer.is_alive()
    timer.cancel()
    anchor._timer = None


def test_the_anchor_file_is_append_only_for_the_app(rows: list[AuditEvent], anchors: Path) -> None:
    """The app only appends (O_APPEND): earlier lines are never rewritten."""
    first = anchors.read_text()
    record(action="read", category="diary")
    call_command("audit", "anchor")
    assert anchors.read_text().startswith(first)


def test_a_syslog_anchor(rows: list[AuditEvent], settings: Any, tmp_path: Path) -> None:
    import socket

    path = str(tmp_path / "log.sock")
    server = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    server.bind(path)
    try:
        settings.AUDIT_ANCHOR_SYSLOG = path
        anchor.write("manual")
        server.settimeout(5)
        message = server.recv(65536).decode()
    finally:
        server.close()
    assert "cephalog-audit-anchor" in message
    assert rows[-1].hash in message
