"""Writing audit rows. Every action that reads or writes patient data calls record()."""

from __future__ import annotations

import atexit
import datetime as dt
import hmac
import json
import logging
import os
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import DataError, IntegrityError, connection, transaction
from django.utils import timezone

from cephalog.audit import anchor, context, keys, spool
from cephalog.audit.models import AuditEvent

log = logging.getLogger(__name__)

GENESIS = "0" * 64
#: Appends to chain k are serialised on PostgreSQL by a transaction-level advisory lock
#: with key CHAIN_LOCK_KEY + k, held to commit (docs/adr/0006-audit-chains.md).
CHAIN_LOCK_KEY = 0x63657068  # "ceph"
#: How many chains concurrent writers spread over on PostgreSQL. Any number works with
#: rows already written (verify follows each row's own chain); SQLite writes chain 0.
CHAINS = 8


#: The chain this thread appended to last (it tries that one first next time), and the
#: last hash this process saw of each chain: `record` hashes from them before asking
#: the database, which checks them in the same statement that appends (migration 0005).
_thread = threading.local()
_heads: dict[int, str] = {}
#: Rows per statement of record_many (each later statement holds the chain already).
BATCH = 2000


def _preferred_chain() -> int:
    """Each thread of each process starts from its own chain, so writers seldom meet."""
    chain = getattr(_thread, "chain", None)
    if chain is None:
        chain = hash((os.getpid(), threading.get_ident())) % CHAINS
    return int(chain)


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


def _fields(
    *,
    action: str,
    category: str,
    patient: Any = None,
    patient_id: Any = None,
    clinic_id: int | None = None,
    object_ref: str = "",
    user: Any = None,
    detail: dict[str, Any] | None = None,
    at: dt.datetime | None = None,
) -> dict[str, Any]:
    """A row's fields but its chain, prev_hash, hash and key_id (set when it is appended)."""
    ctx = context.get()
    actor = user if user is not None else ctx.user
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    if patient is not None:
        patient_id = patient.pk
        if clinic_id is None:
            clinic_id = patient.clinic_id
    return {
        "at": at or timezone.now(),
        "user_id": getattr(actor, "pk", None),
        "username": getattr(actor, "username", "") or "",
        "clinic_id": clinic_id,
        "patient_id": patient_id,
        "action": action,
        "category": category,
        "object_ref": object_ref,
        "source_ip": ctx.source_ip,
        "detail": detail or {},
    }


def _event(**kwargs: Any) -> AuditEvent:
    """An unsaved row with its fields; chain, prev_hash and hash are set when appended."""
    return AuditEvent(**_fields(**kwargs), key_id=keys.current_key_id())


def _link(events: list[AuditEvent], chain: int, previous: str) -> None:
    """Hash the rows as chain `chain` after a row whose hash is `previous`."""
    for event in events:
        event.chain, event.prev_hash = chain, previous
        event.hash = previous = event.compute_hash()


def _arrays(events: list[AuditEvent]) -> list[list[Any]]:
    return [
        [e.at for e in events],
        [e.user_id for e in events],
        [e.username for e in events],
        [e.clinic_id for e in events],
        [str(e.patient_id) if e.patient_id else None for e in events],
        [e.action for e in events],
        [e.category for e in events],
        [e.object_ref for e in events],
        [e.source_ip for e in events],
        [json.dumps(e.detail, default=str) for e in events],
        [e.prev_hash for e in events],
        [e.hash for e in events],
        [e.key_id for e in events],
    ]


_APPEND = (
    "SELECT chain_claimed, head, ids FROM cephalog_audit_append(%s, %s, %s, %s, "
    "%s::timestamptz[], %s::bigint[], %s::varchar[], %s::bigint[], %s::uuid[], "
    "%s::varchar[], %s::varchar[], %s::varchar[], %s::inet[], %s::jsonb[], "
    "%s::varchar[], %s::varchar[], %s::varchar[])"
)


#: The same call for one row, its values as scalars: adapting thirteen one-element lists
#: cost more CPU than the rest of the append (the row and its hash are the same).
_APPEND_ONE = (
    "SELECT chain_claimed, head, ids FROM cephalog_audit_append(%s, %s, %s, %s, "
    "ARRAY[%s::timestamptz], ARRAY[%s::bigint], ARRAY[%s::varchar], ARRAY[%s::bigint], "
    "ARRAY[%s::uuid], ARRAY[%s::varchar], ARRAY[%s::varchar], ARRAY[%s::varchar], "
    "ARRAY[%s::inet], ARRAY[%s::jsonb], ARRAY[%s::varchar], ARRAY[%s::varchar], "
    "ARRAY[%s::varchar])"
)


def _try_append(events: list[AuditEvent]) -> bool:
    """One call of cephalog_audit_append with the rows hashed from the head this process
    last saw of the thread's chain; True when they were written. Either way the chain
    and head the database answered with are remembered for the next try."""
    chain = _preferred_chain()
    expected = _heads.get(chain)
    _link(events, chain, expected or GENESIS)
    with connection.cursor() as cursor:
        if len(events) == 1:
            values = [column[0] for column in _arrays(events)]
            cursor.execute(_APPEND_ONE, [CHAIN_LOCK_KEY, CHAINS, chain, expected, *values])
        else:
            cursor.execute(_APPEND, [CHAIN_LOCK_KEY, CHAINS, chain, expected, *_arrays(events)])
        claimed, head, ids = cursor.fetchone()
    _heads[int(claimed)] = str(head)
    _thread.chain = int(claimed)
    if not ids:
        return False
    for event, pk in zip(events, ids, strict=True):
        event.pk = pk
        event._state.adding = False
    return True


def _append_postgresql(events: list[AuditEvent]) -> None:
    """Append the rows in one statement when this process knows the chain's head (the
    usual case: a thread keeps to its chain), else in two: nothing is written from a
    wrong head, so a stale guess costs a round trip, never a link. Inside a transaction
    the first call takes the chain's lock, so the second always writes."""
    for _attempt in range(2):
        if _try_append(events):
            return
    raise RuntimeError("the audit chain's head moved while this transaction held it")


def _append(events: list[AuditEvent]) -> None:
    if connection.vendor == "postgresql":
        for start in range(0, len(events), BATCH):
            _append_postgresql(events[start : start + BATCH])
    else:
        chain, previous = _claim(CHAINS, _preferred_chain())
        _link(events, chain, previous)
        if len(events) == 1:
            events[0].save()
        else:
            AuditEvent.objects.bulk_create(events, batch_size=BATCH)
    anchor.on_commit()


def record(
    *,
    action: str,
    category: str,
    patient: Any = None,
    clinic_id: int | None = None,
    object_ref: str = "",
    user: Any = None,
    detail: dict[str, Any] | None = None,
) -> AuditEvent | None:
    """Append one audit row. Called inside the action's transaction so both commit together
    (without a savepoint: if the row cannot be written, the action cannot commit either).
    On PostgreSQL one statement claims the chain, checks its head and inserts; outside a
    transaction (a read's own row) that statement is its own transaction, so no BEGIN and
    COMMIT are sent unless the head was stale. A read outside a transaction goes to the
    process's spool instead when AUDIT_READ_SPOOL is set (PostgreSQL): in a file before
    this returns, on the chain within AUDIT_READ_SPOOL_SECONDS (docs/adr/0014).

    `detail` must never hold patient data (names, diary contents): ids, counts and flags only.
    Returns the row appended, or None for a read gone to the spool.
    """
    fields = _fields(
        action=action,
        category=category,
        patient=patient,
        clinic_id=clinic_id,
        object_ref=object_ref,
        user=user,
        detail=detail,
    )
    if action == "read" and _spooled(fields):
        return None  # appended within AUDIT_READ_SPOOL_SECONDS
    event = AuditEvent(**fields, key_id=keys.current_key_id())
    if (
        connection.vendor == "postgresql"
        and not connection.in_atomic_block
        and connection.get_autocommit()
        and _try_append([event])
    ):
        anchor.on_commit()
        return event
    with transaction.atomic(savepoint=False):
        _append([event])
    return event


# --- reads through the spool (cephalog.audit.spool, docs/adr/0013-read-audit-spool.md) ---

_spool: spool.Spool | None = None
_spool_key: tuple[str, int] | None = None  # (AUDIT_READ_SPOOL, pid) it was made for
_spool_lock = threading.Lock()

#: The fields of a spooled row (the rest are set when it is appended).
_SPOOLED = (
    "user_id",
    "username",
    "clinic_id",
    "action",
    "category",
    "object_ref",
    "source_ip",
    "detail",
)


def read_spool() -> spool.Spool | None:
    """This process's spool of reads' audit rows: on PostgreSQL when AUDIT_READ_SPOOL
    names a directory, else None (every row appended at once, as writes' rows are)."""
    global _spool, _spool_key
    directory = getattr(settings, "AUDIT_READ_SPOOL", "")
    if not directory or connection.vendor != "postgresql":
        return None
    key = (directory, os.getpid())  # a forked process starts its own spool
    found = _spool
    if found is not None and _spool_key == key:
        return found
    with _spool_lock:
        if _spool is None or _spool_key != key:
            seconds = float(getattr(settings, "AUDIT_READ_SPOOL_SECONDS", 0.2))
            _spool = spool.Spool(
                Path(directory),
                append_spooled,
                seconds=seconds,
                thread=True,
                thread_done=lambda: connection.close(),  # the flusher thread's own
            )
            _spool_key = key
            atexit.register(_spool.close)
        return _spool


def _spooled(fields: dict[str, Any]) -> bool:
    """Whether the read's row went to the spool (outside a transaction only: inside one,
    the row commits, or not, with the rest)."""
    if connection.in_atomic_block:
        return False
    found = read_spool()
    if found is None:
        return False
    row = {name: fields[name] for name in _SPOOLED}
    row["at"] = fields["at"].isoformat(timespec="microseconds")
    row["patient_id"] = str(fields["patient_id"]) if fields["patient_id"] else None
    try:
        found.add(row)
    except OSError:
        log.exception("audit spool unwritable: the read is audited in the database")
        return False
    return True


def append_spooled(rows: list[dict[str, Any]]) -> None:
    """Append spooled rows to the chains, in their order, in one transaction. A batch the
    database refuses for its contents is appended row by row, and a row that cannot be
    appended at all is set aside (`_set_aside`) rather than holding back every row after
    it; a connection error is raised, and the rows stay spooled for the next try."""
    try:
        with transaction.atomic(savepoint=False):
            _append([_spooled_event(row) for row in rows])
    except (DataError, IntegrityError, ValueError, TypeError, KeyError):
        if len(rows) == 1:
            _set_aside(rows[0])
            return
        for row in rows:
            append_spooled([row])
    except Exception:
        if threading.current_thread().name == "audit-spool":
            connection.close()  # a broken connection is opened afresh next time
        raise


def _spooled_event(row: dict[str, Any]) -> AuditEvent:
    return AuditEvent(
        **{name: row.get(name) for name in _SPOOLED},
        at=dt.datetime.fromisoformat(row["at"]),
        patient_id=row.get("patient_id"),
        key_id=keys.current_key_id(),
    )


def _set_aside(row: dict[str, Any]) -> None:
    """Keep a row the database refuses in `rejected.jsonl` beside the spool, for an operator
    (the log says only that it happened: the row names a patient)."""
    directory = Path(getattr(settings, "AUDIT_READ_SPOOL", "") or ".")
    with (directory / "rejected.jsonl").open("a") as handle:
        handle.write(json.dumps(row, default=str) + "\n")
    log.error("audit spool: a read's row the database refuses was set aside in rejected.jsonl")


def flush_reads() -> int:
    """Append the reads this process has spooled (tests, `cephalog audit drain`)."""
    found = read_spool()
    return found.flush() if found is not None else 0


@transaction.atomic(savepoint=False)
def record_many(rows: Iterable[dict[str, Any]]) -> list[AuditEvent]:
    """Append many audit rows, in order, to this transaction's chain: each item holds
    record()'s keyword arguments (or `patient_id` instead of `patient`). On PostgreSQL one
    statement per BATCH rows; the rows hash and verify exactly as record()'s."""
    at = timezone.now()
    events = [_event(**{"at": at, **row}) for row in rows]
    if events:
        _append(events)
    return events


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
