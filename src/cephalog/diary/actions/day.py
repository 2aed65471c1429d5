"""Writes of one day: the locked read, the stored entry with its medicines, the idempotent
save, removing a day, and the reminder time."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, connection, transaction

from cephalog.audit.actions import record
from cephalog.core.time import patient_today
from cephalog.diary.actions.checks import FLAGS, DiaryError, check_date_allowed, entry_to_dict
from cephalog.diary.actions.stored import save_with_revision
from cephalog.diary.actions.stored import (
    set_prefetched_medications as _set_prefetched_medications,
)
from cephalog.diary.models import (
    AcuteMedicationTaken,
    DiaryEntry,
    DiaryEntryRevision,
    DiarySubmission,
)
from cephalog.domain.diary import DiaryDay
from cephalog.ops.db import retry_on_serialization_failure
from cephalog.patients.models import Patient


def _revision(entry: DiaryEntry, *, by: Any, change: str, reason: str) -> DiaryEntryRevision:
    """The entry as it is now as a revision, not saved yet."""
    return DiaryEntryRevision(
        patient_id=entry.patient_id,
        date=entry.date,
        version=entry.version,
        snapshot=entry_to_dict(entry),
        changed_by=by if getattr(by, "is_authenticated", False) else None,
        change=change,
        reason=reason[:300],
    )


def _store_day(
    patient: Patient,
    day: DiaryDay,
    details: dict[str, Any],
    existing: DiaryEntry | None,
    *,
    by: Any,
    today: dt.date,
    reason: str,
    source: str,
) -> DiaryEntry:
    """Write a checked day (save_day's second half): keep the old version, store the entry
    and its medicines, audit."""
    revision = None
    if existing is not None:
        revision = _revision(existing, by=by, change="edit", reason=reason)
        entry = existing
        entry.version += 1
    else:
        entry = DiaryEntry(patient=patient, date=day.date)
    apply_day(entry, day)
    for key, value in details.items():
        setattr(entry, key, value)
    if not entry.headache_hours:
        entry.pain_locations = []  # no headache, no pain to place
    entry.late = day.date < today
    entry.source = source
    # The check constraints hold by validate_day (and the database enforces them):
    # validating them here would cost a query and two savepoints each.
    entry.full_clean(exclude=["patient"], validate_constraints=False)
    if revision is None:
        entry.save()
    else:  # the old version kept and the new one stored, in one statement on PostgreSQL
        save_with_revision(entry, revision)
    if revision is not None and revision.snapshot["acute_medications"]:
        entry.medications.all().delete()
    medications = AcuteMedicationTaken.objects.bulk_create(
        AcuteMedicationTaken(
            entry=entry, name=m.name, drug_class=m.drug_class, effective=m.effective
        )
        for m in day.acute_medications
    )
    _set_prefetched_medications(entry, medications)
    _audit_save(patient, entry, existed=existing is not None, reason=reason)
    return entry


def _audit_save(patient: Patient, entry: DiaryEntry, *, existed: bool, reason: str) -> None:
    record(
        action="update" if existed else "create",
        category="diary",
        patient=patient,
        object_ref=f"diary:{entry.date.isoformat()}",
        detail={"version": entry.version, "reason": bool(reason)},
    )


@retry_on_serialization_failure()
def save_once(
    *, patient: Patient, key: uuid.UUID, date: dt.date, save: Callable[[], DiaryEntry]
) -> tuple[DiaryEntry, bool]:
    """Save a day sent with an idempotency key (the offline diary, issue 16.2): the first
    send runs `save` (a save_day, or the day form's save); the same key again stores
    nothing and gives the stored day back (True: replayed). The key is unique per patient
    in the database, so two sends racing each other store once too: the second one's
    transaction rolls back whole."""
    done = DiarySubmission.objects.filter(patient=patient, key=key).first()
    if done is None:
        try:
            with transaction.atomic():
                entry = save()
                DiarySubmission.objects.create(
                    patient=patient, key=key, date=entry.date, version=entry.version
                )
                return entry, False
        except IntegrityError:
            done = DiarySubmission.objects.filter(patient=patient, key=key).first()
            if done is None:
                raise
    if done.date != date:
        raise DiaryError(["idempotency_key: this key was already used for another day"])
    current = (
        DiaryEntry.objects.filter(patient=patient, date=done.date)
        .prefetch_related("medications")
        .first()
    )
    if current is None:  # stored, then removed: sending the old entry again must not revive it
        raise DiaryError(["date: this day was removed after it was sent"])
    record(
        action="read",
        category="diary",
        patient=patient,
        object_ref=f"diary:{done.date.isoformat()}",
        detail={"replayed": True},
    )
    return current, True


#: The lock query of `_locked_day`, per database: written out once, because composing it
#: with the ORM (two correlated subqueries) cost more CPU than the round trip it saves.
_LOCKED_DAY_SQL = {
    "postgresql": (
        "SELECT {columns}, (SELECT jsonb_agg(jsonb_build_object('id', m.id, 'name', m.name, "
        "'drug_class', m.drug_class, 'effective', m.effective)) FROM {medicines} m "
        "WHERE m.entry_id = e.id) AS medicine_rows, "
        "(SELECT s.version FROM {days} s WHERE s.id = e.id) AS seen_version "
        "FROM {days} e WHERE e.patient_id = %s AND e.date = %s FOR UPDATE OF e"
    ),
    # SQLite: no FOR UPDATE (its write transactions are IMMEDIATE: one writer at a time)
    "sqlite": (
        "SELECT {columns}, (SELECT json_group_array(json_object('id', m.id, 'name', m.name, "
        "'drug_class', m.drug_class, 'effective', m.effective)) FROM {medicines} m "
        "WHERE m.entry_id = e.id) AS medicine_rows, e.version AS seen_version "
        "FROM {days} e WHERE e.patient_id = %s AND e.date = %s"
    ),
}


def _locked_day(patient: Patient, date: dt.date) -> DiaryEntry | None:
    """The stored day, locked for update, with its medicines: one query that locks only
    the diary row (no join with, and no lock on, the patient; no ORDER BY).

    The medicines come in the same statement. Should the row have changed while this
    statement waited for its lock, PostgreSQL returns the row's new version but the
    medicines as of the statement's start: `seen_version` (the version as of then)
    tells, and the medicines are then read again, under the lock.
    """
    params = [
        Patient._meta.get_field("id").get_db_prep_value(patient.pk, connection),
        connection.ops.adapt_datefield_value(date),
    ]
    if connection.vendor == "postgresql":
        entry = _locked_row(params)
    else:
        sql = _LOCKED_DAY_SQL[connection.vendor].format(
            columns="e.*",
            days=DiaryEntry._meta.db_table,
            medicines=AcuteMedicationTaken._meta.db_table,
        )
        entry = next(iter(DiaryEntry.objects.raw(sql, params)), None)
    if entry is None:
        return None
    entry.patient = patient
    if entry.seen_version != entry.version:  # type: ignore[attr-defined]
        return entry  # changed meanwhile: entry.medications.all() reads them under the lock
    rows = entry.medicine_rows  # type: ignore[attr-defined]
    if isinstance(rows, str | bytes):
        rows = json.loads(rows)
    rows = [m for m in rows or [] if m and m.get("id") is not None]
    _set_prefetched_medications(
        entry,
        [
            AcuteMedicationTaken(
                id=m["id"],
                entry=entry,
                name=m["name"],
                drug_class=m["drug_class"],
                effective=None if m["effective"] is None else bool(m["effective"]),
            )
            for m in sorted(rows, key=lambda m: m["id"])
        ],
    )
    return entry


#: `_locked_day`'s statement on PostgreSQL with the entry's columns named, its fields and
#: each field's converters (JSONField's decoding): (sql, fields, converters), made once.
_LOCKED_ROW: tuple[str, list[Any], list[list[Any]]] | None = None


def _locked_row(params: list[Any]) -> DiaryEntry | None:
    """PostgreSQL: the locked day as `DiaryEntry.objects.raw` would give it (with the
    `medicine_rows` and `seen_version` columns as attributes), from a plain cursor: the
    raw query set's column mapping cost more CPU than the statement."""
    global _LOCKED_ROW
    if _LOCKED_ROW is None:
        qn = connection.ops.quote_name
        fields = list(DiaryEntry._meta.concrete_fields)
        sql = _LOCKED_DAY_SQL["postgresql"].format(
            columns=", ".join(f"e.{qn(str(f.column))}" for f in fields),
            days=DiaryEntry._meta.db_table,
            medicines=AcuteMedicationTaken._meta.db_table,
        )
        _LOCKED_ROW = (sql, fields, [f.get_db_converters(connection) for f in fields])
    sql, fields, converters = _LOCKED_ROW
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return None
    values = list(row[: len(fields)])
    for i, field_converters in enumerate(converters):
        for convert in field_converters:
            values[i] = convert(values[i], fields[i], connection)
    entry = DiaryEntry.from_db(connection.alias, [f.attname for f in fields], values)
    entry.medicine_rows, entry.seen_version = row[len(fields) :]  # type: ignore[attr-defined]
    return entry


def apply_day(entry: DiaryEntry, day: DiaryDay) -> None:
    entry.headache_hours = Decimal(str(day.headache_hours)).quantize(Decimal("0.01"))
    entry.peak_intensity = day.peak_intensity or "" if day.headache_hours > 0 else ""
    for flag in FLAGS:
        setattr(entry, flag, getattr(day, flag))
    entry.aura_minutes = day.aura_minutes


@retry_on_serialization_failure()
@transaction.atomic
def delete_day(
    *, patient: Patient, date: dt.date, by: Any, reason: str = "", today: dt.date | None = None
) -> None:
    """Remove a day's entry (it becomes unrecorded again); the removed version is kept."""
    today = today or patient_today(patient)
    entry = DiaryEntry.objects.select_for_update().filter(patient=patient, date=date).first()
    if entry is None:
        raise DiaryError([f"date: no entry on {date.isoformat()}"])
    check_date_allowed(
        patient=patient, date=date, by=by, today=today, reason=reason or "", existing=True
    )
    _revision(entry, by=by, change="delete", reason=reason).save()
    entry.delete()
    record(
        action="delete", category="diary", patient=patient, object_ref=f"diary:{date.isoformat()}"
    )


@transaction.atomic
def set_reminder_time(*, patient: Patient, at: dt.time | None) -> Patient:
    patient.diary_reminder_time = at
    patient.save(update_fields=["diary_reminder_time", "updated_at"])
    record(action="update", category="diary_settings", patient=patient)
    return patient
