"""Reads of the audit trail for a clinic admin's report."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q, QuerySet

from cephalog.accounts.models import Membership
from cephalog.audit.models import AuditEvent

SORTABLE = ("at", "username", "patient_id", "action", "category", "source_ip")
#: Each filter of the form and the lookup it applies when filled in.
_FILTERS = (
    ("user", "username__icontains"),
    ("patient", "patient_id"),
    ("action", "action"),
    ("category", "category__icontains"),
    ("source_ip", "source_ip"),
    ("since", "at__date__gte"),
    ("until", "at__date__lte"),
)


@dataclass(frozen=True)
class AuditFilter:
    user: str = ""
    patient: str = ""
    action: str = ""
    category: str = ""
    source_ip: str = ""
    since: dt.date | None = None
    until: dt.date | None = None
    sort: str = "-at"


def clinic_events(clinic_ids: list[int], f: AuditFilter) -> QuerySet[AuditEvent]:
    """Events of the admin's clinics, plus their staff's logins (which carry no clinic)."""
    staff_ids = Membership.objects.filter(clinic_id__in=clinic_ids).values("user_id")
    events = AuditEvent.objects.filter(
        Q(clinic_id__in=clinic_ids) | Q(clinic_id__isnull=True, user_id__in=staff_ids)
    )
    for name, lookup in _FILTERS:
        value = getattr(f, name)
        if value:
            events = events.filter(**{lookup: value})
    field = f.sort.lstrip("-")
    order = f.sort if field in SORTABLE else "-at"
    return events.order_by(order, "-id" if order.startswith("-") else "id")
