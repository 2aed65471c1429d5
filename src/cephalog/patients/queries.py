"""Reads of patient records, always scoped to what the user may see."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Max, Q, QuerySet

from cephalog.accounts.access import visible_patients
from cephalog.patients.models import Patient


@dataclass(frozen=True)
class PatientRow:
    patient: Patient
    last_entry: dt.date | None
    entries_7: int
    entries_28: int
    next_session: dt.date | None
    stale: bool  # no diary entry for 3 days or more (issue 3: flag on the patient list)

    @property
    def compliance_7(self) -> int:
        return round(self.entries_7 * 100 / 7)

    @property
    def compliance_28(self) -> int:
        return round(self.entries_28 * 100 / 28)

    def days_since_entry(self, today: dt.date) -> int | None:
        return (today - self.last_entry).days if self.last_entry else None


def search_patients(user: Any, query: str = "") -> QuerySet[Patient]:
    patients = visible_patients(user).select_related("clinic")
    query = query.strip()
    if query:
        terms = Q()
        for word in query.split()[:4]:
            terms &= (
                Q(given_name__icontains=word)
                | Q(family_name__icontains=word)
                | Q(mrn__icontains=word)
            )
        patients = patients.filter(terms)
    return patients.order_by("family_name", "given_name")


def patient_rows(
    user: Any, *, today: dt.date, query: str = "", limit: int = 200
) -> list[PatientRow]:
    """The clinic's patient list with diary compliance, in a constant number of queries."""
    patients = search_patients(user, query).annotate(
        last_entry=Max("diary_entries__date"),
        entries_7=Count(
            "diary_entries",
            filter=Q(
                diary_entries__date__gt=today - dt.timedelta(days=7), diary_entries__date__lte=today
            ),
        ),
        entries_28=Count(
            "diary_entries",
            filter=Q(
                diary_entries__date__gt=today - dt.timedelta(days=28),
                diary_entries__date__lte=today,
            ),
        ),
    )[:limit]
    rows = []
    for p in patients:
        rows.append(
            PatientRow(
                patient=p,
                last_entry=p.last_entry,
                entries_7=p.entries_7,
                entries_28=p.entries_28,
                next_session=None,
                stale=p.last_entry is None or (today - p.last_entry).days >= 3,
            )
        )
    return rows
