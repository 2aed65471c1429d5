import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from cephalog.audit.actions import record, verify_chain
from cephalog.audit.models import AppendOnlyError, AuditEvent


@pytest.fixture
def rows(db: None) -> list[AuditEvent]:
    return [record(action="read", category="diary", detail={"n": i}) for i in range(5)]


def test_it_chains_each_row_to_the_one_before(rows: list[AuditEvent]) -> None:
    assert rows[0].prev_hash == "0" * 64
    for before, after in zip(rows, rows[1:], strict=False):
        assert after.prev_hash == before.hash
    assert verify_chain().ok


def test_it_refuses_updates_and_deletes_in_python(rows: list[AuditEvent]) -> None:
    with pytest.raises(AppendOnlyError):
        rows[0].save()
    with pytest.raises(AppendOnlyError):
        rows[0].delete()


def test_it_refuses_updates_in_the_database(rows: list[AuditEvent]) -> None:
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=rows[1].pk).update(category="tampered")


def test_verify_detects_a_changed_row(
    rows: list[AuditEvent], capsys: pytest.CaptureFixture[str]
) -> None:
    # Simulate an attacker with direct database access who drops the trigger first.
    table = AuditEvent._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER audit_append_only")
        else:
            cursor.execute("DROP TRIGGER audit_append_only")
        cursor.execute(f"UPDATE {table} SET category = 'tampered' WHERE id = %s", [rows[2].pk])
    result = verify_chain()
    assert not result.ok
    assert result.first_bad_id == rows[2].pk
    with pytest.raises(CommandError, match=f"broken at row {rows[2].pk}"):
        call_command("audit", "verify")


def test_verify_detects_a_removed_row(rows: list[AuditEvent]) -> None:
    table = AuditEvent._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER audit_append_only")
        else:
            cursor.execute("DROP TRIGGER audit_no_delete")
        cursor.execute(f"DELETE FROM {table} WHERE id = %s", [rows[3].pk])
    result = verify_chain()
    assert not result.ok
    assert result.first_bad_id == rows[4].pk


def test_verify_command_reports_an_intact_trail(
    rows: list[AuditEvent], capsys: pytest.CaptureFixture[str]
) -> None:
    call_command("audit", "verify")
    assert "5 rows verified" in capsys.readouterr().out
