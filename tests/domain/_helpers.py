"""Builders for diary days, diaries and case documents used by the domain tests."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from cephalog.domain.diary import AcuteMedication, DiaryDay

D = dt.date


def days_after(start: dt.date, n: int) -> dt.date:
    return start + dt.timedelta(days=n)


def med(drug_class: str, effective: bool | None = None) -> AcuteMedication:
    return AcuteMedication(name=drug_class, drug_class=drug_class, effective=effective)


def free(date: dt.date, *meds: str) -> DiaryDay:
    """A headache-free day, optionally with acute medication of the given classes."""
    return DiaryDay(date=date, headache_hours=0, acute_medications=tuple(med(c) for c in meds))


def migraine(date: dt.date, *meds: str) -> DiaryDay:
    """A definite migraine day: 6 h, severe, unilateral, pulsating, nausea."""
    return DiaryDay(
        date=date,
        headache_hours=6,
        peak_intensity="severe",
        unilateral=True,
        pulsating=True,
        nausea=True,
        acute_medications=tuple(med(c) for c in meds),
    )


def tension(date: dt.date, *meds: str) -> DiaryDay:
    """A headache day that is not a migraine day: 5 h, moderate, no other feature."""
    return DiaryDay(
        date=date,
        headache_hours=5,
        peak_intensity="moderate",
        acute_medications=tuple(med(c) for c in meds),
    )


def block(
    start: dt.date,
    *,
    recorded: int = 28,
    migraine_days: int = 0,
    headache_days: int = 0,
    meds: Mapping[str, int] | None = None,
    med_offset: Mapping[str, int] | None = None,
) -> dict[dt.date, DiaryDay]:
    """A 28-day block from `start`: the first `recorded` days are recorded.

    The first `migraine_days` recorded days are migraine days, the next
    `headache_days` are non-migraine headache days, the rest are
    headache-free. `meds[class] = n` adds that class on n recorded days,
    starting at `med_offset[class]` (default 0).
    """
    assert migraine_days + headache_days <= recorded <= 28
    meds = meds or {}
    med_offset = med_offset or {}
    result: dict[dt.date, DiaryDay] = {}
    for i in range(recorded):
        date = days_after(start, i)
        classes = tuple(
            c for c, n in meds.items() if med_offset.get(c, 0) <= i < med_offset.get(c, 0) + n
        )
        if i < migraine_days:
            result[date] = migraine(date, *classes)
        elif i < migraine_days + headache_days:
            result[date] = tension(date, *classes)
        else:
            result[date] = free(date, *classes)
    return result


def merge(*parts: Mapping[dt.date, DiaryDay]) -> dict[dt.date, DiaryDay]:
    result: dict[dt.date, DiaryDay] = {}
    for part in parts:
        result.update(part)
    return result


# --- case documents ----------------------------------------------------------------------


def entry(day: DiaryDay) -> dict[str, Any]:
    """A diary day as a case-file entry."""
    obj: dict[str, Any] = {"date": day.date.isoformat(), "headache_hours": day.headache_hours}
    if day.peak_intensity is not None:
        obj["peak_intensity"] = day.peak_intensity
    for key in (
        "unilateral",
        "pulsating",
        "aggravated_by_activity",
        "nausea",
        "vomiting",
        "photophobia",
        "phonophobia",
    ):
        if getattr(day, key):
            obj[key] = True
    if day.aura_minutes:
        obj["aura_minutes"] = day.aura_minutes
    if day.acute_medications:
        obj["acute_medications"] = [
            {"name": m.name, "class": m.drug_class, "effective": m.effective}
            for m in day.acute_medications
        ]
    return obj


def case_doc(days: Iterable[DiaryDay] = (), **fields: Any) -> dict[str, Any]:
    """A valid case document with the given diary; `fields` override top-level keys."""
    doc: dict[str, Any] = {
        "format": "cephalog.case/1",
        "patient": {"birth_date": "1980-01-01"},
        "diary": [entry(day) for day in sorted(days, key=lambda d: d.date)],
    }
    doc.update(fields)
    return doc
