"""Reads' audit rows through the spool (cephalog.audit.spool, docs/adr/0013-read-audit-spool.md):
a read is in its process's spool file before the answer, on the chain within the flush
interval, and never lost when the process is killed: the next process appends its rows."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from django.db import connection, connections, transaction
from django.test import override_settings

from cephalog.audit import actions, spool
from cephalog.audit.actions import record, verify_chain
from cephalog.audit.models import AuditEvent
from tests.personas import Cast, client_for

pytestmark = [
    pytest.mark.skipif(
        "connection.vendor != 'postgresql'", reason="the spool serves PostgreSQL only"
    ),
    pytest.mark.django_db(transaction=True),
]

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def spooled(tmp_path: Path) -> Any:
    """AUDIT_READ_SPOOL on, with a flush interval long enough that tests flush by hand."""
    with override_settings(AUDIT_READ_SPOOL=str(tmp_path), AUDIT_READ_SPOOL_SECONDS=3600):
        yield tmp_path
        found = actions._spool
        actions._spool = None
        if found is not None:
            found.close()


def _reads() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action="read").order_by("id"))


def test_a_diary_read_is_in_the_spool_file_before_its_answer_and_on_the_chain_after_a_flush(
    cast: Cast, spooled: Path
) -> None:
    client = client_for(cast, "patient_user")
    before = len(_reads())
    response = client.get("/api/me/diary")
    assert response.status_code == 200
    assert len(_reads()) == before  # not in the database yet
    (file,) = spooled.glob("reads-*.jsonl")
    (line,) = file.read_text().splitlines()
    row = json.loads(line)
    assert row["patient_id"] == str(cast.patient.pk)
    assert row["category"] == "diary"

    assert actions.flush_reads() == 1
    (event,) = _reads()[before:]
    assert event.patient_id == cast.patient.pk
    assert event.user_id == cast.patient_user.pk
    assert event.username == cast.patient_user.username
    assert event.clinic_id == cast.clinic.pk
    assert event.object_ref.startswith("diary:")
    assert event.detail["via"] == "api"
    assert event.source_ip == "127.0.0.1"
    assert verify_chain().ok
    assert not file.exists()  # its rows are in the database: the file is gone


def test_the_flusher_thread_appends_within_its_interval(cast: Cast, tmp_path: Path) -> None:
    with override_settings(AUDIT_READ_SPOOL=str(tmp_path), AUDIT_READ_SPOOL_SECONDS=0.05):
        try:
            for n in range(3):
                record(action="read", category="diary", patient=cast.patient, detail={"n": n})
            deadline = time.monotonic() + 10
            while len(_reads()) < 3 and time.monotonic() < deadline:
                time.sleep(0.05)
            assert [e.detail["n"] for e in _reads()] == [0, 1, 2]
        finally:
            found, actions._spool = actions._spool, None
            if found is not None:
                found.close()
    assert verify_chain().ok


def test_reads_inside_a_transaction_and_writes_are_not_spooled(cast: Cast, spooled: Path) -> None:
    with transaction.atomic():
        record(action="read", category="diary", patient=cast.patient)
    record(action="update", category="diary", patient=cast.patient)
    assert [e.action for e in AuditEvent.objects.order_by("id")][-2:] == ["read", "update"]
    assert actions.flush_reads() == 0


def test_rows_of_a_killed_process_are_appended_by_the_next_one(cast: Cast, spooled: Path) -> None:
    # A real process spools two reads, says so, and is killed before any flush.
    script = textwrap.dedent(
        f"""
        import sys, time
        sys.path.insert(0, {str(ROOT / "src")!r})
        from pathlib import Path
        from cephalog.audit.spool import Spool
        s = Spool(Path({str(spooled)!r}), lambda rows: None, seconds=3600, thread=False)
        for n in range(2):
            s.add({{"at": "2026-12-07T08:00:0{{}}.000000+00:00".format(n), "user_id": None,
                    "username": "", "clinic_id": {cast.clinic.pk}, "action": "read",
                    "category": "diary", "object_ref": "diary:killed", "source_ip": None,
                    "detail": {{"n": n}}, "patient_id": {str(cast.patient.pk)!r}}})
        print("spooled", flush=True)
        time.sleep(60)
        """
    )
    child = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "spooled"
        # While it lives its file is locked: nobody else appends its rows.
        assert spool.drain_orphans(spooled, actions.append_spooled) == 0
    finally:
        child.send_signal(signal.SIGKILL)
        child.communicate()
    assert spool.drain_orphans(spooled, actions.append_spooled) == 2
    rows = [e for e in _reads() if e.object_ref == "diary:killed"]
    assert [e.detail["n"] for e in rows] == [0, 1]
    assert rows[0].at.isoformat() == "2026-12-07T08:00:00+00:00"  # the read's time, kept
    assert list(spooled.glob("reads-*.jsonl")) == []
    assert verify_chain().ok


def test_a_line_cut_short_by_a_crash_is_not_a_row(tmp_path: Path) -> None:
    path = tmp_path / "reads-x.jsonl"
    path.write_bytes(b'{"n": 1}\n{"n": 2}\n{"n": 3')
    assert spool.read_rows(path) == [{"n": 1}, {"n": 2}]


def test_rows_stay_spooled_while_the_database_refuses_them_and_are_appended_later(
    cast: Cast, spooled: Path
) -> None:
    record(action="read", category="diary", patient=cast.patient, object_ref="diary:held")
    found = actions.read_spool()
    assert found is not None
    # Another session holds the audit table locked; the flush gives up after 100 ms.
    locked, release = threading.Event(), threading.Event()

    def hold_lock() -> None:
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("LOCK TABLE audit_auditevent IN ACCESS EXCLUSIVE MODE")
                locked.set()
                release.wait(20)
        finally:
            connections.close_all()

    holder = threading.Thread(target=hold_lock)
    holder.start()
    try:
        assert locked.wait(20)
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '100ms'")
        with pytest.raises(Exception, match="lock timeout"):
            found.flush()
        assert found.pending() == 1
        assert list(spooled.glob("reads-*.jsonl"))  # still on disk
    finally:
        release.set()
        holder.join()
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = 0")
    assert found.flush() == 1
    assert [e.object_ref for e in _reads()][-1:] == ["diary:held"]
    assert found.pending() == 0


def test_drain_command_appends_orphaned_rows(cast: Cast, spooled: Path) -> None:
    from django.core.management import call_command

    orphan = spooled / "reads-gone-1-abc.jsonl"
    row = {
        "at": "2026-12-07T09:00:00.000000+00:00",
        "user_id": cast.physician.pk,
        "username": cast.physician.username,
        "clinic_id": cast.clinic.pk,
        "action": "read",
        "category": "patient",
        "object_ref": "patient:orphan",
        "source_ip": "10.0.0.1",
        "detail": {},
        "patient_id": str(cast.patient.pk),
    }
    orphan.write_text(json.dumps(row) + "\n")
    os.utime(orphan)
    call_command("audit", "drain")
    (event,) = [e for e in _reads() if e.object_ref == "patient:orphan"]
    assert (event.username, event.source_ip) == (cast.physician.username, "10.0.0.1")
    assert not orphan.exists()


def test_a_row_the_database_refuses_is_set_aside_and_the_others_are_appended(
    cast: Cast, spooled: Path
) -> None:
    good = {
        "at": "2026-12-07T10:00:00.000000+00:00",
        "user_id": None,
        "username": "",
        "clinic_id": cast.clinic.pk,
        "action": "read",
        "category": "diary",
        "object_ref": "diary:good",
        "source_ip": None,
        "detail": {},
        "patient_id": str(cast.patient.pk),
    }
    refused = {**good, "object_ref": "diary:\x00bad"}  # PostgreSQL text holds no NUL
    unreadable = {**good, "at": "not a time"}
    actions.append_spooled([good, refused, unreadable, {**good, "object_ref": "diary:after"}])
    assert [e.object_ref for e in _reads()] == ["diary:good", "diary:after"]
    kept = [json.loads(line) for line in (spooled / "rejected.jsonl").read_text().splitlines()]
    assert [row["at"] for row in kept] == [good["at"], "not a time"]
    assert verify_chain().ok


def test_a_process_keeps_one_spool_whatever_the_settings_spelling(tmp_path: Path) -> None:
    with override_settings(AUDIT_READ_SPOOL=f"{tmp_path}/", AUDIT_READ_SPOOL_SECONDS=3600):
        try:
            first = actions.read_spool()
            assert first is not None
            assert actions.read_spool() is first
            assert len(list(tmp_path.glob("reads-*.jsonl"))) == 1
        finally:
            found, actions._spool = actions._spool, None
            if found is not None:
                found.close()
