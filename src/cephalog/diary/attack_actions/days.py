"""Planning and writing days that come from outside sources (`plan_days`, `apply_days`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from django.core.exceptions import ValidationError

from cephalog.diary.actions import (
    DiaryError,
    apply_day,
    check_date_allowed,
    save_days_bulk,
)
from cephalog.diary.attack_actions.plans import (
    Counts,
    DayChange,
    DayPlan,
    Progress,
    at_line,
    validation_messages,
)
from cephalog.diary.models import DiaryEntry
from cephalog.diary.queries import to_day
from cephalog.domain.diary import DiaryDay
from cephalog.domain.importing import (
    merge_days,
    merge_notes,
    normalise_day,
)
from cephalog.patients.models import Patient


def plan_days(
    *,
    patient: Patient,
    days: Sequence[tuple[int, DiaryDay]],
    merge: bool,
    by: Any,
    today: dt.date,
    reason: str,
    notes: Mapping[dt.date, str] | None = None,
    confirm: bool = False,
) -> DayPlan:
    """Which of `days` (line, day) change the diary, and the problems that stop them.

    `merge` keeps what is already recorded (`domain.importing.merge_days`);
    otherwise the day replaces the entry. A day equal to the stored one is
    "unchanged" and is not checked against the backfill rule (re-importing a
    file that is already in is never refused).

    `notes` are the file's notes per date: one fills an empty note; one that
    differs from a stored note is a difference, applied only with `confirm`.
    """
    plan = DayPlan()
    if not days:
        return plan
    dates = {day.date for _, day in days}
    entries = {
        e.date: e
        for e in DiaryEntry.objects.filter(
            patient=patient, date__gte=min(dates), date__lte=max(dates)
        ).prefetch_related("medications")
        if e.date in dates
    }
    for line, day in days:
        entry = entries.get(day.date)
        current = to_day(entry) if entry is not None else None
        new = normalise_day(merge_days(current, day) if merge else day)
        note = _day_note(plan, line, day.date, entry, notes, confirm)
        if new == current and note is None:
            plan.counts.unchanged += 1
            continue
        problems = _day_problems(patient, day.date, new, entry, by=by, today=today, reason=reason)
        if problems:
            plan.problems.extend(at_line(line, p) for p in problems)
            continue
        plan.changes.append(DayChange(line, new, entry is not None, note))
    return plan


def _day_note(
    plan: DayPlan,
    line: int,
    date: dt.date,
    entry: DiaryEntry | None,
    notes: Mapping[dt.date, str] | None,
    confirm: bool,
) -> str | None:
    """The note to store for `date` (None: keep the stored one); a difference goes to `plan`."""
    if not (notes and notes.get(date)):
        return None
    stored = entry.notes if entry is not None else ""
    merged = merge_notes(stored, notes[date])
    if merged is None and not confirm:
        plan.differences.append(
            at_line(
                line,
                f"note of {date.isoformat()}: the note recorded differs from "
                "the file's; kept as recorded",
            )
        )
    note = notes[date] if merged is None and confirm else merged
    return None if note == stored else note


def _day_problems(
    patient: Patient,
    date: dt.date,
    new: DiaryDay,
    entry: DiaryEntry | None,
    *,
    by: Any,
    today: dt.date,
    reason: str,
) -> list[str]:
    """What stops `new` being stored: the backfill rule, then the entry's own fields."""
    try:
        check_date_allowed(
            patient=patient,
            date=date,
            by=by,
            today=today,
            reason=reason,
            existing=entry is not None,
        )
        check = DiaryEntry(patient=patient, date=date)
        apply_day(check, new)
        check.clean_fields(exclude=["patient"])
    except DiaryError as error:
        return list(error.problems)
    except ValidationError as error:
        return validation_messages(error)
    return []


def apply_days(
    plan: DayPlan,
    *,
    patient: Patient,
    by: Any,
    today: dt.date,
    reason: str,
    source: str,
    progress: Progress | None = None,
    done: int = 0,
    total: int = 0,
) -> Counts:
    """Write the planned days in batches through `save_days_bulk` (revisions kept, audited)."""
    counts = Counts(unchanged=plan.counts.unchanged)
    batch = 500
    for start in range(0, len(plan.changes), batch):
        chunk = plan.changes[start : start + batch]
        created, updated = save_days_bulk(
            patient=patient,
            days=[change.day for change in chunk],
            by=by,
            today=today,
            reason=reason,
            source=source,
            notes={c.day.date: c.notes for c in chunk if c.notes is not None},
        )
        counts.created += created
        counts.updated += updated
        if progress is not None:
            progress(done + start + len(chunk), total or len(plan.changes))
    return counts
