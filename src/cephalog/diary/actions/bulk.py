"""Many already-validated days in a few queries (imports)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from django.db import transaction
from django.utils import timezone

from cephalog.audit.actions import record
from cephalog.diary.actions.checks import FLAGS, DiaryError, check_date_allowed, entry_to_dict
from cephalog.diary.actions.day import apply_day
from cephalog.diary.models import AcuteMedicationTaken, DiaryEntry, DiaryEntryRevision, EntrySource
from cephalog.domain.diary import DiaryDay
from cephalog.patients.models import Patient


def _check_dates(
    patient: Patient,
    days: Sequence[DiaryDay],
    existing: dict[dt.date, DiaryEntry],
    *,
    by: Any,
    today: dt.date,
    reason: str,
) -> None:
    """The date rules of every day; all problems at once."""
    problems: list[str] = []
    for day in days:
        try:
            check_date_allowed(
                patient=patient,
                date=day.date,
                by=by,
                today=today,
                reason=reason,
                existing=day.date in existing,
            )
        except DiaryError as error:
            problems.extend(error.problems)
    if problems:
        raise DiaryError(problems)


def _keep_revisions(
    patient: Patient, existing: dict[dt.date, DiaryEntry], *, by: Any, reason: str
) -> None:
    changed_by = by if getattr(by, "is_authenticated", False) else None
    DiaryEntryRevision.objects.bulk_create(
        DiaryEntryRevision(
            patient=patient,
            date=e.date,
            version=e.version,
            snapshot=entry_to_dict(e),
            changed_by=changed_by,
            change="edit",
            reason=reason[:300],
        )
        for e in existing.values()
    )


def _store_entries(
    patient: Patient,
    days: Sequence[DiaryDay],
    existing: dict[dt.date, DiaryEntry],
    *,
    today: dt.date,
    source: str,
    notes: Mapping[dt.date, str] | None,
) -> tuple[list[DiaryEntry], list[DiaryEntry]]:
    """Create the new entries and update the stored ones; (new, updated)."""
    now = timezone.now()
    new_entries, updated = [], []
    for day in days:
        entry = existing.get(day.date)
        if entry is None:
            entry = DiaryEntry(patient=patient, date=day.date, created_at=now)
            new_entries.append(entry)
        else:
            entry.version += 1
            updated.append(entry)
        apply_day(entry, day)
        if notes and day.date in notes:
            entry.notes = notes[day.date]
        entry.late = day.date < today
        entry.source = source
        entry.updated_at = now
    DiaryEntry.objects.bulk_create(new_entries, batch_size=500)
    fields = [
        "headache_hours",
        "peak_intensity",
        *FLAGS,
        "aura_minutes",
        *(["notes"] if notes else []),
        "late",
        "source",
        "version",
        "updated_at",
    ]
    DiaryEntry.objects.bulk_update(updated, fields, batch_size=500)
    return new_entries, updated


def _store_medicines(
    patient: Patient,
    days: Sequence[DiaryDay],
    new_entries: list[DiaryEntry],
    updated: list[DiaryEntry],
) -> None:
    """Replace the medicines of the updated days and add those of every day."""
    if updated:
        AcuteMedicationTaken.objects.filter(entry__in=updated).delete()
    by_date = {e.date: e for e in [*new_entries, *updated]}
    if any(e.pk is None for e in new_entries):
        # Backends without RETURNING on bulk insert: read the new ids back.
        ids = dict(
            DiaryEntry.objects.filter(
                patient=patient, date__in=[e.date for e in new_entries]
            ).values_list("date", "id")
        )
        for e in new_entries:
            e.pk = ids[e.date]
    AcuteMedicationTaken.objects.bulk_create(
        (
            AcuteMedicationTaken(
                entry=by_date[day.date], name=m.name, drug_class=m.drug_class, effective=m.effective
            )
            for day in days
            for m in day.acute_medications
        ),
        batch_size=1000,
    )


@transaction.atomic
def save_days_bulk(
    *,
    patient: Patient,
    days: Sequence[DiaryDay],
    by: Any,
    today: dt.date,
    reason: str = "",
    source: str = EntrySource.IMPORT,
    notes: Mapping[dt.date, str] | None = None,
) -> tuple[int, int]:
    """Create or update many already-validated days in a few queries (imports).

    The same rules as save_day: the date rules are checked per day, the
    previous version of every changed entry is kept, and one audit row records
    the batch. `notes` sets the note of the dates it names (others keep theirs).
    Returns (created, updated).
    """
    if not days:
        return 0, 0
    dates = [d.date for d in days]
    existing = {
        e.date: e
        for e in DiaryEntry.objects.select_for_update()
        .filter(patient=patient, date__in=dates)
        .prefetch_related("medications")
    }
    _check_dates(patient, days, existing, by=by, today=today, reason=reason)
    _keep_revisions(patient, existing, by=by, reason=reason)
    new_entries, updated = _store_entries(
        patient, days, existing, today=today, source=source, notes=notes
    )
    _store_medicines(patient, days, new_entries, updated)
    record(
        action="update",
        category="diary",
        patient=patient,
        detail={
            "batch": True,
            "created": len(new_entries),
            "updated": len(updated),
            "source": source,
            "reason": bool(reason),
        },
    )
    return len(new_entries), len(updated)
