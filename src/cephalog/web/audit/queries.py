"""Reads of the audit trail for a clinic admin's report."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q, QuerySet

from cephalog.accounts.models import Membership
from cephalog.audit.models import AuditEvent
from cephalog.patients.models import Patient
from cephalog.patients.queries import name_or_mrn

SORTABLE = ("at", "username", "patient_id", "action", "category", "source_ip")
#: Each filter of the form and the lookup it applies when filled in.
_FILTERS = (
    ("user", "username__icontains"),
    ("patient", "patient_id"),
    ("action", "action"),
    ("category", "category"),
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


#: Patients a search lists at most (a longer list asks for a narrower search).
FOUND_LIMIT = 20


def find_patients(clinic_ids: list[int], query: str) -> list[Patient]:
    """The admin's clinics' patients matching an MRN or a name (every word, as the patient
    list searches); an exact MRN finds that patient alone. At most `FOUND_LIMIT` + 1, so the
    page can say there are more."""
    query = query.strip()
    if not query:
        return []
    patients = Patient.objects.filter(clinic_id__in=clinic_ids).only(
        "id", "given_name", "family_name", "mrn", "clinic_id", "birth_date"
    )
    exact = list(patients.filter(mrn__iexact=query)[:2])
    if len(exact) == 1:
        return exact
    return list(
        patients.filter(name_or_mrn(query)).order_by("family_name", "given_name", "mrn")[
            : FOUND_LIMIT + 1
        ]
    )


def patient_of(clinic_ids: list[int], patient_id: str) -> Patient | None:
    """The filtered patient, when she is one of the admin's clinics' (else None: the filter
    still applies, but names no one)."""
    if not patient_id:
        return None
    return (
        Patient.objects.filter(pk=patient_id, clinic_id__in=clinic_ids)
        .only("id", "given_name", "family_name", "mrn", "clinic_id")
        .first()
    )
