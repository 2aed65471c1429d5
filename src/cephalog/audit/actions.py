"""Writing audit rows. Every action that reads or writes patient data calls record()."""

from __future__ import annotations

from typing import Any

from cephalog.audit import context
from cephalog.audit.models import AuditEvent


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
    """Append one audit row. Call inside the action's transaction so both commit together."""
    ctx = context.get()
    actor = user if user is not None else ctx.user
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    if patient is not None and clinic_id is None:
        clinic_id = patient.clinic_id
    return AuditEvent.objects.create(
        user=actor,
        username=getattr(actor, "username", "") or "",
        clinic_id=clinic_id,
        patient_id=getattr(patient, "pk", None),
        action=action,
        category=category,
        object_ref=object_ref,
        source_ip=ctx.source_ip,
        detail=detail or {},
    )
