"""Writing audit rows. Every action that reads or writes patient data calls record()."""

from __future__ import annotations

import datetime as dt
import hmac
import os
import threading
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from cephalog.audit import anchor, context, keys
from cephalog.audit.models import AuditEvent

GENESIS = "0" * 64
#: Appends to chain k are serialised on PostgreSQL by a transaction-level advisory lock
#: with key CHAIN_LOCK_KEY + k, held to commit (docs/adr/0006-audit-chains.md).
CHAIN_LOCK_KEY = 0x63657068  # "ceph"
#: How many chains concurrent writers spread over on PostgreSQL. Any number works with
#: rows already written (verify follows each row's own chain); SQLite writes chain 0.
CHAINS = 8


def _preferred_chain() -> int:
    """Each thread of each process starts from its own chain, so writers seldom meet."""
    return hash((os.getpid(), threading.get_ident())) % CHAINS


def _claim(chains: int, preferred: int) -> tuple[int, str]:
    """A chain to append to for the rest of the transaction, and its last row's hash.

    PostgreSQL (migration 0003, one query): the chain this transaction appends to
    already, else the first free chain from `preferred` on, else `preferred` once free.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT claimed, last_hash FROM cephalog_audit_claim(%s, %s, %s)",
                [CHAIN_LOCK_KEY, chains, preferred],
            )
            chain, last = cursor.fetchone()
        return int(chain), str(last)
    last = AuditEvent.objects.filter(chain=0).order_by("-id").values_list("hash", flat=True)
    return 0, last.first() or GENESIS


def _last_hash() -> str:
    """The last hash of chain 0, locked until commit: for code that appends a batch of rows
    itself (leaving their `chain` at 0). Call it before any record() in the transaction."""
    chain, last = _claim(1, 0)
    if chain != 0:
        raise RuntimeError(f"this transaction already appends to audit chain {chain}, not 0")
    return last


@transaction.atomic(savepoint=False)
def record(
    *,
    action: str,
    category: str,
    patient: Any = None,
    clinic_id: int | None = None,
    object_ref: str = "",
    user: Any = None,
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one audit row. Called inside the action's transaction so both commit together
    (without a savepoint: if the row cannot be written, the action cannot commit either).

    `detail` must never hold patient data (names, diary contents): ids, counts and flags only.
    """
    ctx = context.get()
    actor = user if user is not None else ctx.user
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    if patient is not None and clinic_id is None:
        clinic_id = patient.clinic_id
    event = AuditEvent(
        at=timezone.now(),
        user_id=getattr(actor, "pk", None),
        username=getattr(actor, "username", "") or "",
        clinic_id=clinic_id,
        patient_id=getattr(patient, "pk", None),
        action=action,
        category=category,
        object_ref=object_ref,
        source_ip=ctx.source_ip,
        detail=detail or {},
    )
    event.chain, event.prev_hash = _claim(CHAINS, _preferred_chain())
    event.key_id = keys.current_key_id()
    event.hash = event.compute_hash()
    event.save()
    anchor.on_commit()
    return event


@dataclass(frozen=True)
class VerifyResult:
    rows: int
    ok: bool
    first_bad_id: int | None = None
    problem: str = ""
    last_at: dt.datetime | None = None
    chains: int = 0


def verify_chain(batch_size: int = 5000) -> VerifyResult:
    """Recompute every chain in insertion order; report the first row that does not fit.

    Each row's hash must be the HMAC of its contents under its key (rows from before keys:
    SHA-256), its prev_hash the hash of the row before it in its chain, and once a chain
    has a keyed row no unkeyed row may follow (that would be a chain rebuilt without the
    key). The anchors outside the database are checked by anchor.check()."""
    last_hash: dict[int, str] = {}  # chain -> hash of its last row so far
    keyed: set[int] = set()  # chains that have a keyed row
    rows = 0
    last_at = None
    for event in AuditEvent.objects.order_by("id").iterator(chunk_size=batch_size):
        rows += 1
        last_at = event.at
        if event.prev_hash != last_hash.get(event.chain, GENESIS):
            return VerifyResult(rows, False, event.pk, "a row before it was removed or changed")
        if event.key_id and keys.key(event.key_id) is None:
            return VerifyResult(
                rows,
                False,
                event.pk,
                f"it is signed with a key not configured here ({event.key_id})",
            )
        if not event.key_id and event.chain in keyed:
            return VerifyResult(
                rows, False, event.pk, "an unkeyed row after keyed ones: the chain was rebuilt"
            )
        if not hmac.compare_digest(event.compute_hash(), event.hash):
            return VerifyResult(rows, False, event.pk, "its contents were changed")
        if event.key_id:
            keyed.add(event.chain)
        last_hash[event.chain] = event.hash
    return VerifyResult(rows, True, last_at=last_at, chains=len(last_hash))
