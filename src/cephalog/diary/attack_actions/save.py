"""One attack, and the day form's day with its attack (issue 16.3)."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

from django.db import transaction
from django.utils import timezone

from cephalog.core.time import patient_today
from cephalog.diary.actions import (
    DiaryError,
    save_day,
)
from cephalog.diary.attack_actions.attacks import apply_attacks, plan_attacks
from cephalog.diary.models import Attack, DiaryEntry, EntrySource
from cephalog.domain.importing import (
    MAX_ATTACK,
    AttackFacts,
    hours,
    split_by_date,
)
from cephalog.domain.vocab import INTENSITY_CODES
from cephalog.patients.models import Patient


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
    _drop_earlier_form_attack(patient, date, source, start)
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


def _drop_earlier_form_attack(
    patient: Patient, date: dt.date, source: str, start: dt.datetime | None
) -> None:
    """Delete the day's earlier form attack (same source, no external id, starting that
    date) unless it starts at `start`."""
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
