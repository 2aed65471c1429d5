"""Writing audit rows. Every action that reads or writes patient data calls record()."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from cephalog.audit import context
from cephalog.audit.models import AuditEvent

GENESIS = "0" * 64
# Serialises chain appends on PostgreSQL (held to the end of the transaction).
CHAIN_LOCK_KEY = 0x63657068  # "ceph"


def _last_hash() -> str:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CHAIN_LOCK_KEY])
    last = AuditEvent.objects.order_by("-id").values_list("hash", flat=True).first()
    return last or GENESIS


@transaction.atomic
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
    """Append one audit row. Called inside the action's transaction so both commit together.

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
    event.prev_hash = _last_hash()
    event.hash = event.compute_hash()
    event.save()
    return event


@dataclass(frozen=True)
class VerifyResult:
    rows: int
    ok: bool
    first_bad_id: int | None = None
    problem: str = ""
    last_at: dt.datetime | None = None


def verify_chain(batch_size: int = 5000) -> VerifyResult:
    """Recompute the chain in insertion order; report the first row that does not fit."""
    expected_prev = GENESIS
    rows = 0
    last_at = None
    for event in AuditEvent.objects.order_by("id").iterator(chunk_size=batch_size):
        rows += 1
        last_at = event.at
        if event.prev_hash != expected_prev:
            return VerifyResult(rows, False, event.pk, "a row before it was removed or changed")
        if event.compute_hash() != event.hash:
            return VerifyResult(rows, False, event.pk, "its contents were changed")
        expected_prev = event.hash
    return VerifyResult(rows, True, last_at=last_at)
