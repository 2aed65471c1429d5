"""Reads of the diary, returned as domain objects so every page computes with
the same rules as `cephalog assess`."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from cephalog.accounts.rules_queries import clinic_rules
from cephalog.diary.models import DiaryEntry
from cephalog.domain.diary import AcuteMedication, DayClassification, DiaryDay, classify_day
from cephalog.domain.windows import Window, compute_window
from cephalog.patients.models import Patient


def to_day(entry: DiaryEntry) -> DiaryDay:
    """Needs `medications` prefetched for lists (see diary_days)."""
    return DiaryDay(
        date=entry.date,
        headache_hours=float(entry.headache_hours),
        peak_intensity=entry.peak_intensity or None,
        unilateral=entry.unilateral,
        pulsating=entry.pulsating,
        aggravated_by_activity=entry.aggravated_by_activity,
        nausea=entry.nausea,
        vomiting=entry.vomiting,
        photophobia=entry.photophobia,
        phonophobia=entry.phonophobia,
        aura_minutes=entry.aura_minutes,
        acute_medications=tuple(
            AcuteMedication(name=m.name, drug_class=m.drug_class, effective=m.effective)
            for m in entry.medications.all()
        ),
    )


def diary_days(
    patient: Patient, start: dt.date | None = None, end: dt.date | None = None
) -> dict[dt.date, DiaryDay]:
    """The patient's recorded days in [start, end] (both optional), in two queries."""
    entries = DiaryEntry.objects.filter(patient=patient).prefetch_related("medications")
    if start is not None:
        entries = entries.filter(date__gte=start)
    if end is not None:
        entries = entries.filter(date__lte=end)
    return {e.date: to_day(e) for e in entries.order_by("date")}


def get_entry(patient: Patient, date: dt.date) -> DiaryEntry | None:
    return (
        DiaryEntry.objects.filter(patient=patient, date=date)
        .prefetch_related("medications")
        .first()
    )


@dataclass(frozen=True)
class ClassifiedDay:
    date: dt.date
    day: DiaryDay | None
    classification: DayClassification | None
    #: The stored entry, when the page has it: its note, pain locations and triggers.
    entry: DiaryEntry | None = None

    @property
    def css_class(self) -> str:
        c = self.classification
        if c is None:
            return "unrecorded"
        if c.migraine_day:
            return "migraine"
        if c.headache_day:
            return "headache"
        if c.headache_free:
            return "free"
        return "minor"  # a headache that does not make a headache day


def classified_range(patient: Patient, start: dt.date, end: dt.date) -> list[ClassifiedDay]:
    """Every date from `start` to `end`, classed with the clinic's rules (spec section 11)."""
    rules = clinic_rules(patient.clinic)
    days = diary_days(patient, start, end)
    out = []
    current = start
    while current <= end:
        day = days.get(current)
        out.append(
            ClassifiedDay(
                current, day, classify_day(day, rules.definition, rules.named) if day else None
            )
        )
        current += dt.timedelta(days=1)
    return out


def last_28_days(patient: Patient, today: dt.date) -> Window:
    """The last 28 days, counted with the clinic's day definition (spec section 11.1)."""
    start = today - dt.timedelta(days=27)
    definition = clinic_rules(patient.clinic).definition
    return compute_window(diary_days(patient, start, today), start, today, definition)
