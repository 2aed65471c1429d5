"""Writes of attacks (issue 3, part 3) and of days that come from outside sources.

An attack with a start and an end counts on each local date it covers with
that date's hours (cephalog.domain.importing). Saving attacks keeps each
covered date's DiaryEntry in step through `save_day`, so validation, the
backfill rule, revisions and the audit trail are the same as for the forms.

Work is split in two so that an import can report every problem before
anything is stored: `plan_*` only reads and collects problems per line;
`apply_*` writes, inside the caller's transaction.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from cephalog.audit.actions import record
from cephalog.core.time import patient_today
from cephalog.diary.actions import (
    DiaryError,
    apply_day,
    check_date_allowed,
    save_day,
    save_days_bulk,
)
from cephalog.diary.models import Attack, DiaryEntry, EntrySource
from cephalog.diary.queries import to_day
from cephalog.domain.diary import DiaryDay
from cephalog.domain.importing import (
    MAX_ATTACK,
    AttackFacts,
    days_from_attacks,
    hours,
    merge_days,
    merge_notes,
    normalise_day,
    split_by_date,
)
from cephalog.domain.vocab import INTENSITY_CODES
from cephalog.patients.models import Patient

type Progress = Callable[[int, int], None]


@dataclass
class Counts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged


@dataclass(frozen=True)
class DayChange:
    line: int
    day: DiaryDay
    exists: bool
    #: The day's note after the change; None leaves the stored note as it is.
    notes: str | None = None


@dataclass
class DayPlan:
    changes: list[DayChange] = field(default_factory=list)
    counts: Counts = field(default_factory=Counts)
    problems: list[str] = field(default_factory=list)
    #: What the file would change in facts recorded since (held until confirmed).
    differences: list[str] = field(default_factory=list)


@dataclass
class AttackPlan:
    new: list[Attack] = field(default_factory=list)
    changed: list[Attack] = field(default_factory=list)
    counts: Counts = field(default_factory=Counts)
    days: DayPlan = field(default_factory=DayPlan)
    problems: list[str] = field(default_factory=list)
    #: Stored attacks the file would change (held until confirmed), one line each.
    differences: list[str] = field(default_factory=list)


def at_line(line: int, message: str) -> str:
    return f"line {line}: {message}" if line else message


def validation_messages(error: ValidationError) -> list[str]:
    """A model validation error as `field: message` lines, like the domain's."""
    return [
        f"{name}: {message}"
        for name, messages in error.message_dict.items()
        for message in messages
    ]


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
        note: str | None = None
        if notes and notes.get(day.date):
            stored = entry.notes if entry is not None else ""
            merged = merge_notes(stored, notes[day.date])
            if merged is None and not confirm:
                plan.differences.append(
                    at_line(
                        line,
                        f"note of {day.date.isoformat()}: the note recorded differs from "
                        "the file's; kept as recorded",
                    )
                )
            note = notes[day.date] if merged is None and confirm else merged
            if note == stored:
                note = None
        if new == current and note is None:
            plan.counts.unchanged += 1
            continue
        try:
            check_date_allowed(
                patient=patient,
                date=day.date,
                by=by,
                today=today,
                reason=reason,
                existing=entry is not None,
            )
            check = DiaryEntry(patient=patient, date=day.date)
            apply_day(check, new)
            check.clean_fields(exclude=["patient"])
        except DiaryError as error:
            plan.problems.extend(at_line(line, p) for p in error.problems)
            continue
        except ValidationError as error:
            plan.problems.extend(at_line(line, p) for p in validation_messages(error))
            continue
        plan.changes.append(DayChange(line, new, entry is not None, note))
    return plan


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


def attack_facts(attack: Attack) -> AttackFacts:
    return AttackFacts(
        start=attack.start,
        end=attack.end,
        peak_intensity=attack.peak_intensity,
        external_id=attack.external_id,
        notes=attack.notes,
    )


def plan_attacks(
    *,
    patient: Patient,
    attacks: Sequence[AttackFacts],
    by: Any,
    today: dt.date,
    reason: str,
    source: str,
    notes: Mapping[dt.date, str] | None = None,
    confirm: bool = True,
) -> AttackPlan:
    """Match `attacks` with the stored ones and work out the days they change.

    An attack is the same as a stored one with the same external id, or,
    failing that, the same start (one attack per start) when the stored one
    has no id of its own. Rows with no pain (`peak_intensity` None) store no
    attack; they still record their date.

    Without `confirm` (imports), a stored attack is never changed by the file
    except to fill an empty note or add its id: each other difference (its end,
    severity or note) is listed in `plan.differences` and the stored values kept,
    so re-importing an older export loses nothing recorded since. The day notes
    (`notes`) follow the same rule (`plan_days`).
    """
    plan = AttackPlan()
    attacks = list(attacks)
    tz = zoneinfo.ZoneInfo(patient.time_zone)
    stored = list(Attack.objects.filter(patient=patient))
    by_id = {a.external_id: a for a in stored if a.external_id}
    by_start = {a.start: a for a in stored}
    matched: set[int] = set()
    for position, facts in enumerate(list(attacks)):
        if not facts.peak_intensity:
            continue
        row = by_id.get(facts.external_id) if facts.external_id else None
        same_start = by_start.get(facts.start)
        if row is None and same_start is not None:
            if same_start.external_id and same_start.external_id != facts.external_id:
                plan.problems.append(
                    at_line(facts.line, "start: another attack already starts at this time")
                )
                continue
            row = same_start
        if row is not None and same_start not in (None, row):
            plan.problems.append(
                at_line(facts.line, "start: another attack already starts at this time")
            )
            continue
        values = {
            "start": facts.start,
            "end": facts.end,
            "peak_intensity": facts.peak_intensity,
            "external_id": facts.external_id,
            "notes": facts.notes,
        }
        if row is None:
            row = Attack(patient=patient, source=source, **values)
            plan.new.append(row)
            plan.counts.created += 1
        else:
            matched.add(row.pk)
            if all(getattr(row, k) == v for k, v in values.items()):
                plan.counts.unchanged += 1
                continue
            if not confirm:
                held = _held(row, values)
                if held:
                    plan.differences.append(at_line(facts.line, _describe(row, values, held)))
                    attacks[position] = replace(
                        facts, **{k: getattr(row, k) for k in held if k != "start"}
                    )
                    values.update({k: getattr(row, k) for k in held})
                    if all(getattr(row, k) == v for k, v in values.items()):
                        plan.counts.unchanged += 1
                        continue
            for key, value in values.items():
                setattr(row, key, value)
            plan.changed.append(row)
            plan.counts.updated += 1
        try:
            row.full_clean(exclude=["patient"], validate_unique=False, validate_constraints=False)
        except ValidationError as error:
            plan.problems.extend(at_line(facts.line, p) for p in validation_messages(error))

    others = [attack_facts(a) for a in stored if a.pk not in matched]
    computed = days_from_attacks([*attacks, *others], tz)
    first_line: dict[dt.date, int] = {}
    for facts in attacks:
        zone = facts.tz or tz
        dates = split_by_date(facts.start, facts.end, zone) if facts.peak_intensity else {}
        for date in [facts.start.astimezone(zone).date(), *dates]:
            first_line.setdefault(date, facts.line)
    plan.days = plan_days(
        patient=patient,
        days=[(line, computed[date]) for date, line in sorted(first_line.items())],
        merge=True,
        by=by,
        today=today,
        reason=reason,
        notes=notes,
        confirm=confirm,
    )
    plan.problems.extend(plan.days.problems)
    plan.differences.extend(plan.days.differences)
    return plan


def _held(row: Attack, values: Mapping[str, Any]) -> list[str]:
    """The fields of a stored attack an import may not change without confirmation."""
    return [
        key
        for key in ("end", "peak_intensity", "notes")
        if getattr(row, key) != values[key] and not (key == "notes" and not row.notes)
    ]


def _describe(row: Attack, values: Mapping[str, Any], held: Sequence[str]) -> str:
    tz = zoneinfo.ZoneInfo(row.patient.time_zone)
    when = row.start.astimezone(tz).strftime("%d %b %Y %H:%M")
    parts = []
    if "peak_intensity" in held:
        parts.append(f"severity {row.peak_intensity} here, {values['peak_intensity']} in the file")
    if "end" in held:
        parts.append(
            f"ends {row.end.astimezone(tz):%d %b %H:%M} here, "
            f"{values['end'].astimezone(tz):%d %b %H:%M} in the file"
        )
    if "notes" in held:
        parts.append("its note differs from the file's")
    return f"attack of {when}: {'; '.join(parts)}; kept as recorded"


def apply_attacks(
    plan: AttackPlan,
    *,
    patient: Patient,
    by: Any,
    today: dt.date,
    reason: str,
    source: str,
    progress: Progress | None = None,
) -> tuple[Counts, Counts]:
    """Store the planned attacks and days; returns (attack counts, day counts)."""
    Attack.objects.bulk_create(plan.new)
    Attack.objects.bulk_update(
        plan.changed, ["start", "end", "peak_intensity", "external_id", "notes"]
    )
    done = len(plan.new) + len(plan.changed)
    total = done + len(plan.days.changes)
    if progress is not None:
        progress(done, total)
    days = apply_days(
        plan.days,
        patient=patient,
        by=by,
        today=today,
        reason=reason,
        source=source,
        progress=progress,
        done=done,
        total=total,
    )
    if plan.new or plan.changed:
        record(
            action="create" if plan.new else "update",
            category="diary_attack",
            patient=patient,
            detail={"created": plan.counts.created, "updated": plan.counts.updated},
        )
    return plan.counts, days


@transaction.atomic
def save_attack(
    *,
    patient: Patient,
    start: dt.datetime,
    end: dt.datetime,
    peak_intensity: str,
    by: Any,
    external_id: str = "",
    notes: str = "",
    source: str = EntrySource.PATIENT,
    today: dt.date | None = None,
    reason: str = "",
) -> Attack:
    """Create or update one attack (same external id, else same start) and bring the
    diary entry of every date it covers in step: hours are the union of the
    attacks on that date, intensity the highest; nothing recorded is erased."""
    problems = []
    if start.tzinfo is None or end.tzinfo is None:
        problems.append("start: must include a time zone")
    elif end <= start:
        problems.append("end: must be after the start")
    elif end - start > MAX_ATTACK:
        problems.append(f"end: an attack lasts at most {MAX_ATTACK.days} days")
    if peak_intensity not in INTENSITY_CODES:
        problems.append(
            f"peak_intensity: must be one of {', '.join(INTENSITY_CODES)}; got {peak_intensity!r}"
        )
    if problems:
        raise DiaryError(problems)
    today = today or patient_today(patient)
    facts = AttackFacts(
        start=start.astimezone(dt.UTC),
        end=end.astimezone(dt.UTC),
        peak_intensity=peak_intensity,
        external_id=external_id,
        notes=notes,
    )
    plan = plan_attacks(
        patient=patient, attacks=[facts], by=by, today=today, reason=reason, source=source
    )
    if plan.problems:
        raise DiaryError(plan.problems)
    apply_attacks(plan, patient=patient, by=by, today=today, reason=reason, source=source)
    return Attack.objects.get(patient=patient, start=facts.start)


def attack_times(
    patient: Patient, date: dt.date, start: dt.time, end: dt.time
) -> tuple[dt.datetime, dt.datetime]:
    """A day form's start and end times as aware datetimes: the start is on `date` (the
    patient's local date); an end at or before the start is on the next day."""
    tz = zoneinfo.ZoneInfo(patient.time_zone)
    began = dt.datetime.combine(date, start, tzinfo=tz)
    ended = dt.datetime.combine(date, end, tzinfo=tz)
    if ended <= began:
        ended += dt.timedelta(days=1)
    return began, ended


def hours_by_date(patient: Patient, start: dt.datetime, end: dt.datetime) -> dict[dt.date, float]:
    """The hours an attack covers on each of the patient's local dates (midnight crossings
    and clock changes included: cephalog.domain.importing.split_by_date)."""
    tz = zoneinfo.ZoneInfo(patient.time_zone)
    return {d: hours(t) for d, t in split_by_date(start, end, tz).items()}


@transaction.atomic
def save_day_with_attack(
    *,
    patient: Patient,
    data: dict[str, Any],
    start: dt.datetime | None,
    end: dt.datetime | None,
    by: Any,
    today: dt.date,
    source: str = EntrySource.PATIENT,
    reason: str = "",
    expected_version: int | None = None,
) -> tuple[DiaryEntry, dict[dt.date, float]]:
    """The day form's save (issue 16.3): the day, then, with start and end times, the
    attack, which keeps every date it covers in step (a headache past midnight counts on
    the next day too). The day's own hours are never fewer than the attack's on it.

    The day's earlier form attack (same source, no external id, starting that date) is
    replaced, so changing the times does not leave the old ones counting. Returns the
    entry and the hours the attack put on each date.
    """
    date = dt.date.fromisoformat(str(data["date"]))
    spread: dict[dt.date, float] = {}
    if start is not None and end is not None:
        if end > timezone.now():
            raise DiaryError(["attack_end: that time has not come yet; add it when it has"])
        spread = hours_by_date(patient, start, end)
        typed = data.get("headache_hours")
        own = spread.get(date, 0.0)
        if not isinstance(typed, int | float) or typed < own:
            data = {**data, "headache_hours": own}
    entry = save_day(
        patient=patient,
        data=data,
        by=by,
        today=today,
        reason=reason,
        source=source,
        expected_version=expected_version,
    )
    tz = zoneinfo.ZoneInfo(patient.time_zone)
    day_start = dt.datetime.combine(date, dt.time(), tzinfo=tz)
    stale = Attack.objects.filter(
        patient=patient,
        source=source,
        external_id="",
        start__gte=day_start,
        start__lt=day_start + dt.timedelta(days=1),
    )
    if start is not None:
        stale = stale.exclude(start=start)
    stale.delete()
    if start is not None and end is not None and entry.peak_intensity:
        save_attack(
            patient=patient,
            start=start,
            end=end,
            peak_intensity=entry.peak_intensity,
            by=by,
            source=source,
            today=today,
            reason=reason,
            notes="",
        )
        entry.refresh_from_db()
    return entry, spread


def day_attack(patient: Patient, date: dt.date) -> Attack | None:
    """The attack a day form recorded for `date` (its times are shown again on the form)."""
    tz = zoneinfo.ZoneInfo(patient.time_zone)
    day_start = dt.datetime.combine(date, dt.time(), tzinfo=tz)
    return (
        Attack.objects.filter(
            patient=patient,
            external_id="",
            start__gte=day_start,
            start__lt=day_start + dt.timedelta(days=1),
        )
        .order_by("start")
        .first()
    )
