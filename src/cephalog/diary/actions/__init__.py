"""All writes to the diary. Validation is the domain's (spec section 1), so the
forms, the API, imports and `cephalog assess` give the same messages.

The package: `checks` (errors, the day's shape and the checks), `day` (one day) and
`bulk` (many days). `save_day` stays here and calls `check_date_allowed` through this
module, so a test may replace it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.db import connection, transaction

from cephalog.core.time import patient_today
from cephalog.diary.actions.bulk import (
    save_days_bulk,
)
from cephalog.diary.actions.checks import (
    DETAILS,
    FLAGS,
    MAX_MEDICINE_NAME,
    MAX_MEDICINES_PER_DAY,
    MAX_NOTES,
    DiaryConflict,
    DiaryError,
    check_date_allowed,
    entry_to_dict,
    is_staff_editor,
    read_details,
    validate_day,
)
from cephalog.diary.actions.day import (
    _audit_save,
    _locked_day,
    _store_day,
    apply_day,
    delete_day,
    save_once,
    set_reminder_time,
)
from cephalog.diary.actions.stored import save_in_one_statement
from cephalog.diary.models import DiaryEntry, EntrySource
from cephalog.ops.db import retry_on_serialization_failure
from cephalog.patients.models import Patient


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
    if connection.vendor == "postgresql" and _date_allowed(patient, day.date, by, today, reason):
        saved = save_in_one_statement(
            patient,
            day,
            details,
            by=by,
            today=today,
            reason=reason,
            source=source,
            expected_version=expected_version,
        )
        if saved is not None:
            entry, existed = saved
            _audit_save(patient, entry, existed=existed, reason=reason)
            return entry
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
    return _store_day(
        patient, day, details, existing, by=by, today=today, reason=reason, source=source
    )


def _date_allowed(patient: Patient, date: dt.date, by: Any, today: dt.date, reason: str) -> bool:
    """check_date_allowed passes whether or not the day is stored (so the one-statement
    save may run: an error goes the step-by-step way, which tells a version conflict
    first, as ever)."""
    if is_staff_editor(patient, by) and not reason.strip():
        return False  # allowed for a new day only
    try:
        check_date_allowed(
            patient=patient, date=date, by=by, today=today, reason=reason, existing=True
        )
    except DiaryError:
        return False
    return True


__all__ = [
    "DETAILS",
    "DiaryConflict",
    "DiaryError",
    "FLAGS",
    "MAX_MEDICINES_PER_DAY",
    "MAX_MEDICINE_NAME",
    "MAX_NOTES",
    "apply_day",
    "check_date_allowed",
    "delete_day",
    "entry_to_dict",
    "is_staff_editor",
    "read_details",
    "save_day",
    "save_days_bulk",
    "save_once",
    "set_reminder_time",
    "validate_day",
]
