"""`cephalog backup`, `restore` and `drill`: a restore into an empty database has the same
row counts and checksums in every table; a non-empty target and a damaged backup are refused."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from contextlib import closing
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from cephalog.diary.actions import save_day
from cephalog.ops import backup
from tests.personas import Cast

pytestmark = pytest.mark.django_db(transaction=True)


def current() -> backup.Database:
    return backup.Database.from_settings(connection.settings_dict)


def fill(cast: Cast) -> None:
    for ago in range(30):
        save_day(
            patient=cast.patient,
            data={
                "date": (dt.date(2026, 3, 1) - dt.timedelta(days=ago)).isoformat(),
                "headache_hours": ago % 5,
                "peak_intensity": "moderate",
                "acute_medications": [{"name": "Ibuprofen <b>", "class": "simple_analgesic"}],
            },
            by=cast.nurse,
            today=dt.date(2026, 3, 1),
        )


def test_the_drill_restores_every_table_with_equal_counts_and_checksums(
    cast: Cast, tmp_path: Path
) -> None:
    fill(cast)
    result = backup.drill(current(), tmp_path)
    assert result.ok, result.problems
    manifest = json.loads((tmp_path / "backup" / "manifest.json").read_text())
    assert manifest["tables"]["diary_diaryentry"]["rows"] == 30
    assert manifest["tables"]["audit_auditevent"]["rows"] > 30
    assert result.tables == len(manifest["tables"]) > 20
    assert result.rows == sum(t["rows"] for t in manifest["tables"].values())
    out = StringIO()
    call_command("drill", stdout=out)
    assert "drill OK" in out.getvalue()
    assert f"{result.tables} tables" in out.getvalue()


def test_the_checksums_see_a_changed_row(cast: Cast, tmp_path: Path) -> None:
    fill(cast)
    manifest = backup.backup(current(), tmp_path / "b")
    assert backup.verify(current(), manifest).ok
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE diary_acutemedicationtaken SET name = 'x' WHERE id = (SELECT min(id) FROM diary_acutemedicationtaken)"
        )
    result = backup.verify(current(), manifest)
    assert result.problems == ["diary_acutemedicationtaken: contents differ from the backup"]


def test_restore_refuses_a_database_that_is_not_empty(cast: Cast, tmp_path: Path) -> None:
    call_command("backup", str(tmp_path / "b"), stdout=StringIO())
    with pytest.raises(CommandError, match="not empty"):
        call_command("restore", str(tmp_path / "b"), stdout=StringIO())


def test_backup_refuses_a_folder_that_is_not_empty(cast: Cast, tmp_path: Path) -> None:
    (tmp_path / "old").write_text("x")
    with pytest.raises(CommandError, match="not empty"):
        call_command("backup", str(tmp_path), stdout=StringIO())


@pytest.mark.skipif(connection.vendor != "sqlite", reason="a file-to-file SQLite restore")
def test_backup_and_restore_commands_round_trip_a_sqlite_file(cast: Cast, tmp_path: Path) -> None:
    fill(cast)
    out = StringIO()
    call_command("backup", str(tmp_path / "b"), stdout=out)
    assert "manifest.json" in out.getvalue()
    target = tmp_path / "restored.sqlite3"
    out = StringIO()
    call_command("restore", str(tmp_path / "b"), database_url=f"sqlite:///{target}", stdout=out)
    assert "rows verified" in out.getvalue()
    with closing(sqlite3.connect(target)) as restored:
        assert restored.execute("SELECT count(*) FROM diary_diaryentry").fetchone()[0] == 30
    # A damaged data file is refused before anything is written.
    data = tmp_path / "b" / backup.SQLITE_FILE
    data.write_bytes(data.read_bytes()[:-10] + b"0123456789")
    with pytest.raises(CommandError, match="damaged"):
        call_command(
            "restore", str(tmp_path / "b"), database_url=f"sqlite:///{tmp_path / 'new.sqlite3'}"
        )
    assert not (tmp_path / "new.sqlite3").exists()
