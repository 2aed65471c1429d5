"""The audit append in one statement on PostgreSQL (issue 19.1), and one index fewer.

`cephalog_audit_append` claims a chain as `cephalog_audit_claim` does (migration 0003,
called inside it: each statement of a volatile function reads with a fresh snapshot,
so the head is read after the lock is taken) and, when the chain claimed and its head
are the ones the caller computed the rows' hashes from, inserts the rows in the same
call. Otherwise it inserts nothing and returns the chain and head, and the caller hashes
again from them: the lock is then this transaction's, so the second call inserts.
The hashes stay HMACs computed in Python under keys the database never sees
(cephalog.audit.keys); see docs/adr/0006-audit-chains.md.

The rows come as arrays, one element per row, inserted in their order (ids increase
along the chain): `record` sends one, `record_many` a batch.

Django gives a unique CharField a second index on PostgreSQL for LIKE searches
(`..._like`, varchar_pattern_ops). Nothing searches audit hashes by prefix, and every
append paid for it: it is dropped. The unique index on `hash` stays.
"""

from django.db import migrations

PG_FORWARD = """
CREATE OR REPLACE FUNCTION cephalog_audit_append(
    lock_key bigint, chains integer, preferred integer, expect_prev varchar,
    ats timestamptz[], user_ids bigint[], usernames varchar[], clinic_ids bigint[],
    patient_ids uuid[], actions varchar[], categories varchar[], object_refs varchar[],
    source_ips inet[], details jsonb[], prev_hashes varchar[], hashes varchar[],
    key_ids varchar[],
    OUT chain_claimed integer, OUT head varchar, OUT ids bigint[]
) LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    SELECT c.claimed, c.last_hash INTO chain_claimed, head
        FROM cephalog_audit_claim(lock_key, chains, preferred) c;
    IF chain_claimed <> preferred OR expect_prev IS NULL OR head <> expect_prev
            OR prev_hashes[1] <> head THEN
        RETURN;  -- hashed from another head: nothing written, the caller hashes again
    END IF;
    WITH inserted AS (
        INSERT INTO audit_auditevent (
            at, user_id, username, clinic_id, patient_id, action, category, object_ref,
            source_ip, detail, chain, prev_hash, hash, key_id
        )
        SELECT r.at, r.user_id, r.username, r.clinic_id, r.patient_id, r.action,
               r.category, r.object_ref, r.source_ip, r.detail, chain_claimed,
               r.prev_hash, r.hash, r.key_id
        FROM unnest(ats, user_ids, usernames, clinic_ids, patient_ids, actions, categories,
                    object_refs, source_ips, details, prev_hashes, hashes, key_ids)
             WITH ORDINALITY AS r(at, user_id, username, clinic_id, patient_id, action,
                                  category, object_ref, source_ip, detail, prev_hash, hash,
                                  key_id, n)
        ORDER BY r.n
        RETURNING id
    )
    SELECT array_agg(inserted.id ORDER BY inserted.id) INTO ids FROM inserted;
    head := hashes[array_length(hashes, 1)];
END;
$$;
DO $$
DECLARE
    name text;
BEGIN
    FOR name IN SELECT indexname FROM pg_indexes
        WHERE tablename = 'audit_auditevent' AND position('varchar_pattern_ops' in indexdef) > 0
    LOOP
        EXECUTE 'DROP INDEX IF EXISTS ' || quote_ident(name);
    END LOOP;
END;
$$;
"""
PG_BACKWARD = """
DROP FUNCTION IF EXISTS cephalog_audit_append(
    bigint, integer, integer, varchar, timestamptz[], bigint[], varchar[], bigint[], uuid[],
    varchar[], varchar[], varchar[], inet[], jsonb[], varchar[], varchar[], varchar[]
);
CREATE INDEX IF NOT EXISTS audit_auditevent_hash_d0c402da_like
    ON audit_auditevent (hash varchar_pattern_ops);
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_FORWARD)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("audit", "0004_keyed_chain_and_sqlite_delete_trigger")]

    operations = [migrations.RunPython(forward, backward)]
