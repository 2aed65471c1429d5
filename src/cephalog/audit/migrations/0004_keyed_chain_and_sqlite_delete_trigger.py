"""Keyed audit chains (issue 18.3): each row names the key its HMAC is under.

Rows already written keep an empty `key_id` (plain SHA-256, verified as before); new
rows default to the current key (cephalog.audit.keys).

SQLite gets a DELETE trigger as PostgreSQL has (migration 0002). Django's flush (the
test runner, `cephalog flush`) deletes rows with DELETE on SQLite where PostgreSQL
truncates, so the trigger lets a flush through: the `cephalog_audit_flushing()`
function is registered on Django's connections (cephalog.audit.apps) and is true only
during a flush. Any other DELETE, and any DELETE from a connection without the function
(the sqlite3 shell), is refused.
"""

from django.db import migrations, models

import cephalog.audit.keys

SQLITE_FORWARD = [
    """CREATE TRIGGER IF NOT EXISTS audit_append_only BEFORE UPDATE ON audit_auditevent
BEGIN SELECT RAISE(ABORT, 'audit rows are append-only'); END;""",
    """CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit_auditevent
WHEN NOT cephalog_audit_flushing()
BEGIN SELECT RAISE(ABORT, 'audit rows are append-only'); END;""",
]
SQLITE_BACKWARD = ["DROP TRIGGER IF EXISTS audit_no_delete;"]


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        for sql in SQLITE_FORWARD:
            schema_editor.execute(sql)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        for sql in SQLITE_BACKWARD:
            schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("audit", "0003_chains")]

    operations = [
        migrations.AddField(
            model_name="auditevent",
            name="key_id",
            field=models.CharField(blank=True, default="", max_length=32),
            preserve_default=False,
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="key_id",
            field=models.CharField(
                blank=True, default=cephalog.audit.keys.current_key_id, max_length=32
            ),
        ),
        migrations.RunPython(forward, backward),
    ]
