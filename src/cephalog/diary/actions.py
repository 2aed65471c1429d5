"""All writes to the diary. Validation is the domain's (spec section 1), so the
forms, the API, imports and `cephalog assess` give the same messages."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from cephalog.audit.actions import record
from cephalog.core.errors import AppError
from cephalog.core.time import patient_today
from cephalog.diary.models import (
    AcuteMedicationTaken,
    DiaryEntry,
    DiaryEntryRevision,
    DiarySubmission,
    EntrySource,
    PainLocation,
    Trigger,
)
from cephalog.domain.case import parse_diary_entry
from cephalog.domain.diary import DiaryDay
from cephalog.ops.db import retry_on_serialization_failure
from cephalog.patients.models import Patient


class DiaryError(AppError):
    """Bad diary input: `problems` holds one message per problem, each naming the field."""


class DiaryConflict(DiaryError):
    """The day changed since the editor read it (optimistic locking on `version`).

    `current` is the entry as it is now (None when it has been removed), so the
    editor sees the other person's change instead of silently overwriting it.
    """

    def __init__(self, *, expected: int, current: DiaryEntry | None) -> None:
        now = current.version if current is not None else 0
        if current is None:
            problem = (
                "version: this day was removed by someone else while you were editing it; "
                "save again to record it anew"
            )
        else:
            problem = (
                f"version: this day was changed by someone else while you were editing it "
                f"(you started from version {expected}, it is now version {now}); "
                "check their change and save again"
            )
        super().__init__([problem])
        self.expected = expected
        self.current = current


def is_staff_editor(patient: Patient, user: Any) -> bool:
    return user is not None and getattr(user, "pk", None) != patient.user_id


def entry_to_dict(entry: DiaryEntry) -> dict[str, Any]:
    """The entry in the case-file shape (spec section 1): raw facts only."""
    data: dict[str, Any] = {
        "date": entry.date.isoformat(),
        "headache_hours": float(entry.headache_hours),
    }
    if entry.peak_intensity:
        data["peak_intensity"] = entry.peak_intensity
    for flag in FLAGS:
        data[flag] = getattr(entry, flag)
    data["aura_minutes"] = entry.aura_minutes
    data["acute_medications"] = [
        {"name": m.name, "class": m.drug_class, "effective": m.effective}
        for m in entry.medications.all()
    ]
    for key in DETAILS:
        if getattr(entry, key):
            data[key] = getattr(entry, key)
    return data


FLAGS = (
    "unilateral",
    "pulsating",
    "aggravated_by_activity",
    "nausea",
    "vomiting",
    "photophobia",
    "phonophobia",
)


#: What a day holds besides the domain's facts (issue 16.3): kept by the form, the API
#: and the revisions; not used by the day rules.
DETAILS = ("notes", "pain_locations", "triggers")
MAX_NOTES = DiaryEntry._meta.get_field("notes").max_length or 2000
_CHOICES = {"pain_locations": PainLocation, "triggers": Trigger}


def read_details(data: Mapping[str, Any]) -> dict[str, Any]:
    """The day's note, pain locations and triggers from `data` (only the keys given;
    null is "not given"), checked: `field: message` problems raise DiaryError."""
    details: dict[str, Any] = {}
    problems: list[str] = []
    notes = data.get("notes")
    if notes is not None:
        if not isinstance(notes, str):
            problems.append("notes: must be text")
        elif len(notes.strip()) > MAX_NOTES:
            problems.append(f"notes: at most {MAX_NOTES} characters")
        else:
            details["notes"] = notes.strip()
    for key, choices in _CHOICES.items():
        value = data.get(key)
        if value is None:
            continue
        if not isinstance(value, list):
            problems.append(f"{key}: must be a list")
            continue
        bad = [
            f"{key}[{i}]: must be one of {', '.join(choices.values)}; got {v!r}"
            for i, v in enumerate(value)
            if v not in choices.values
        ]
        problems.extend(bad)
        if not bad:
            details[key] = [code for code in choices.values if code in value]
    if problems:
        raise DiaryError(problems)
    return details


#: Storage bounds the domain does not know: the medicine name column, and a ceiling on
#: medicine rows per day (the form shows at most 20) so one request cannot add thousands.
MAX_MEDICINE_NAME = AcuteMedicationTaken._meta.get_field("name").max_length or 100
MAX_MEDICINES_PER_DAY = 20


def validate_day(data: Mapping[str, Any]) -> DiaryDay:
    day, problems = parse_diary_entry(dict(data), "")
    if problems or day is None:
        raise DiaryError(problems or ["entry: could not be read"])
    if len(day.acute_medications) > MAX_MEDICINES_PER_DAY:
        raise DiaryError([f"acute_medications: at most {MAX_MEDICINES_PER_DAY} medicines in a day"])
    too_long = [
        f"acute_medications[{i}].name: at most {MAX_MEDICINE_NAME} characters"
        for i, m in enumerate(day.acute_medications)
        if len(m.name or "") > MAX_MEDICINE_NAME
    ]
    if too_long:
        raise DiaryError(too_long)
    return day


def check_date_allowed(
    *, patient: Patient, date: dt.date, by: Any, today: dt.date, reason: str, existing: bool
) -> None:
    """Patients may fill today and the clinic's backfill window; older days are locked for
    them. Staff may edit any past day, with a reason when changing an existing entry."""
    if date > today:
        raise DiaryError([f"date: {date.isoformat()} is in the future"])
    if is_staff_editor(patient, by):
        if existing and not reason.strip():
            raise DiaryError(["reason: say why you are changing the patient's entry"])
        return
    oldest = today - dt.timedelta(days=patient.clinic.backfill_days)
    if date < oldest:
        raise DiaryError(
            [
                f"date: days before {oldest.isoformat()} are locked; "
                "please ask your clinic to correct older days"
            ]
        )


def _snapshot(entry: DiaryEntry, *, by: Any, change: str, reason: str) -> dict[str, Any]:
    """Keep the entry as it is now as a revision; the kept snapshot."""
    snapshot = entry_to_dict(entry)
    DiaryEntryRevision.objects.create(
        patient_id=entry.patient_id,
        date=entry.date,
        version=entry.version,
        snapshot=snapshot,
        changed_by=by if getattr(by, "is_authenticated", False) else None,
        change=change,
        reason=reason[:300],
    )
    return snapshot


@retry_on_serialization_failure()
@transaction.atomic
def save_day(
    *,
    patient: Patient,
    data: Mapping[str, Any],
    by: Any,
    today: dt.date | None = None,
    reason: str = "",
    source: str = EntrySource.PATIENT,
    expected_version: int | None = None,
) -> DiaryEntry:
    """Create or update the entry for `data["date"]`; the previous version is kept.

    `expected_version` is the version the editor started from (0: no entry yet);
    when the stored day has moved on, DiaryConflict is raised and nothing is
    written (no lost update). None skips the check (imports, one-tap saves).

    The returned entry has its medicines loaded (`entry.medications.all()` runs no
    query) and `version` 1 when it was created (every update adds one).
    """
    day = validate_day(data)
    details = read_details(data)
    today = today or patient_today(patient)
    existing = _locked_day(patient, day.date)
    if expected_version is not None:
        current_version = existing.version if existing is not None else 0
        if expected_version != current_version:
            raise DiaryConflict(expected=expected_version, current=existing)
    check_date_allowed(
        patient=patient,
        date=day.date,
        by=by,
        today=today,
        reason=reason,
        existing=existing is not None,
    )
    had_medications = False
    if existing is not None:
        had_medications = bool(
            _snapshot(existing, by=by, change="edit", reason=reason)["acute_medications"]
        )
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
    entry.save()
    if had_medications:
        entry.medications.all().delete()
    medications = AcuteMedicationTaken.objects.bulk_create(
        AcuteMedicationTaken(
            entry=entry, name=m.name, drug_class=m.drug_class, effective=m.effective
        )
        for m in day.acute_medications
    )
    _set_prefetched_medications(entry, medications)
    record(
        action="update" if existing else "create",
        category="diary",
        patient=patient,
        object_ref=f"diary:{day.date.isoformat()}",
        detail={"version": entry.version, "reason": bool(reason)},
    )
    return entry


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
        "SELECT e.*, (SELECT jsonb_agg(jsonb_build_object('id', m.id, 'name', m.name, "
        "'drug_class', m.drug_class, 'effective', m.effective)) FROM {medicines} m "
        "WHERE m.entry_id = e.id) AS medicine_rows, "
        "(SELECT s.version FROM {days} s WHERE s.id = e.id) AS seen_version "
        "FROM {days} e WHERE e.patient_id = %s AND e.date = %s FOR UPDATE OF e"
    ),
    # SQLite: no FOR UPDATE (its write transactions are IMMEDIATE: one writer at a time)
    "sqlite": (
        "SELECT e.*, (SELECT json_group_array(json_object('id', m.id, 'name', m.name, "
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
    sql = _LOCKED_DAY_SQL[connection.vendor].format(
        days=DiaryEntry._meta.db_table, medicines=AcuteMedicationTaken._meta.db_table
    )
    params = [
        Patient._meta.get_field("id").get_db_prep_value(patient.pk, connection),
        connection.ops.adapt_datefield_value(date),
    ]
    found = list(DiaryEntry.objects.raw(sql, params))
    if not found:
        return None
    entry = found[0]
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


def _set_prefetched_medications(entry: DiaryEntry, medications: list[AcuteMedicationTaken]) -> None:
    """What prefetch_related("medications") would have loaded (as Django's prefetch stores
    it), so callers render the saved day without reading it back. Should Django store
    prefetches differently one day, `entry.medications.all()` simply queries again."""
    queryset = entry.medications.get_queryset()
    queryset._result_cache = medications
    queryset._prefetch_done = True  # type: ignore[attr-defined]
    entry._prefetched_objects_cache = {"medications": queryset}  # type: ignore[attr-defined]


def apply_day(entry: DiaryEntry, day: DiaryDay) -> None:
    entry.headache_hours = Decimal(str(day.headache_hours)).quantize(Decimal("0.01"))
    entry.peak_intensity = day.peak_intensity or "" if day.headache_hours > 0 else ""
    for flag in FLAGS:
        setattr(entry, flag, getattr(day, flag))
    entry.aura_minutes = day.aura_minutes


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
    _snapshot(entry, by=by, change="delete", reason=reason)
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
