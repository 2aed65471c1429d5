"""Several audit hash chains (docs/adr/0006-audit-chains.md).

Existing rows are chain 0 and verify as before. On PostgreSQL,
`cephalog_audit_claim` gives a transaction a chain: the one it already appends
to, else the first free one from its preferred chain on (a transaction-level
advisory lock, key `lock_key + chain`, held to commit), else it waits for its
preferred chain. It returns the chain and the hash of its last row, read after
the lock is taken (a statement of its own, so it sees the last holder's row).

SQLite rebuilds the table to add the column, which drops its append-only
trigger (migration 0002): it is created again.
"""

from django.db import migrations, models

PG_FORWARD = """
CREATE OR REPLACE FUNCTION cephalog_audit_claim(
    lock_key bigint, chains integer, preferred integer,
    OUT claimed integer, OUT last_hash varchar
) LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    held text := current_setting('cephalog.audit_chain', true);
    candidate integer;
BEGIN
    IF held IS NOT NULL AND held <> '' THEN
        claimed := held::integer;  -- this transaction appends to it already
    ELSE
        FOR i IN 0 .. chains - 1 LOOP
            candidate := mod(preferred + i, chains);
            IF pg_try_advisory_xact_lock(lock_key + candidate) THEN
                claimed := candidate;
                EXIT;
            END IF;
        END LOOP;
        IF claimed IS NULL THEN
            claimed := mod(preferred, chains);
            PERFORM pg_advisory_xact_lock(lock_key + claimed);
        END IF;
        PERFORM set_config('cephalog.audit_chain', claimed::text, true);
    END IF;
    SELECT a.hash INTO last_hash FROM audit_auditevent a
        WHERE a.chain = claimed ORDER BY a.id DESC LIMIT 1;
    last_hash := coalesce(last_hash, repeat('0', 64));
END;
$$;
"""
PG_BACKWARD = "DROP FUNCTION IF EXISTS cephalog_audit_claim(bigint, integer, integer);"
SQLITE_FORWARD = """
CREATE TRIGGER IF NOT EXISTS audit_append_only BEFORE UPDATE ON audit_auditevent
BEGIN SELECT RAISE(ABORT, 'audit rows are append-only'); END;
"""


def forward(apps, schema_editor):
    sql = {"postgresql": PG_FORWARD, "sqlite": SQLITE_FORWARD}.get(schema_editor.connection.vendor)
    if sql:
        schema_editor.execute(sql)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_BACKWARD)


def sqlite_trigger(apps, schema_editor):
    """Unapplying removes the column, rebuilding the SQLite table again."""
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(SQLITE_FORWARD)


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_append_only_triggers")]

    operations = [
        migrations.RunPython(migrations.RunPython.noop, sqlite_trigger),
        migrations.AddField(
            model_name="auditevent",
            name="chain",
            field=models.PositiveSmallIntegerField(default=0),
        ),
        migrations.AddIndex(
            model_name="auditevent",
            index=models.Index(fields=["chain", "id"], name="audit_chain_id"),
        ),
        migrations.RunPython(forward, backward),
    ]
