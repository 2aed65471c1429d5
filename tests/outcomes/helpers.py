"""A patient's history written in bulk (as the demo loader does): a diary whose headache
days per 28 are set block by block, and completed sessions.

Days are counted from the first session in 28-day blocks, so the baseline
window (the 28 days before it) and each cycle's weeks 1-4, 5-8 and 9-12 are
whole blocks with exactly the rates asked for.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

from cephalog.diary.models import AcuteMedicationTaken, DiaryEntry
from cephalog.patients.models import Patient
from cephalog.treatment.models import Session

TODAY = dt.date(2026, 5, 12)
FIRST_SESSION = dt.date(2025, 11, 4)
SECOND_SESSION = FIRST_SESSION + dt.timedelta(days=84)  # 2026-01-27
#: Cycle 1 weeks 1-4, 5-8, 9-12; cycle 2 the same: 30 % then 50 % fewer headache days
#: than a baseline of 20, and cycle 2 wears off (6 -> 10 from weeks 5-8 to 9-12).
TWO_CYCLES = ((14, 12, 14), (8, 6, 10))


def write_history(
    patient: Patient,
    *,
    sessions: Sequence[dt.date] = (FIRST_SESSION, SECOND_SESSION),
    baseline: int = 20,
    cycles: Sequence[Sequence[int]] = TWO_CYCLES,
    start: dt.date | None = None,
    end: dt.date = TODAY,
    skip_every: int = 0,
    units: int = 155,
) -> None:
    """Diary from `start` (default: 84 days before the first session) to `end`, and sessions.

    Before the first session every 28-day block has `baseline` headache days;
    in cycle k, block b (weeks 4b+1..4b+4) has `cycles[k][b]` (the last value
    goes on after week 12). `skip_every` > 0 leaves every n-th day unrecorded.
    """
    first = sessions[0] if sessions else end
    start = start or first - dt.timedelta(days=84)
    entries: list[DiaryEntry] = []
    day = start
    index = 0
    while day <= end:
        index += 1
        if skip_every and index % skip_every == 0:
            day += dt.timedelta(days=1)
            continue
        offset = (day - first).days
        if not sessions or day < first:
            rate = baseline
        else:
            k = max(i for i, s in enumerate(sessions) if s <= day)
            rates = cycles[min(k, len(cycles) - 1)]
            block = (day - sessions[k]).days // 28
            rate = rates[min(block, len(rates) - 1)]
        j = offset % 28  # spread `rate` headache days evenly over each 28-day block
        headache = (j + 1) * rate // 28 > j * rate // 28
        entries.append(
            DiaryEntry(
                patient=patient,
                date=day,
                headache_hours=Decimal("6") if headache else Decimal("0"),
                peak_intensity="severe" if headache else "",
                unilateral=headache,
                pulsating=headache,
                nausea=headache,
                source="staff",
            )
        )
        day += dt.timedelta(days=1)
    DiaryEntry.objects.bulk_create(entries)
    medicines = [
        AcuteMedicationTaken(entry=e, name="sumatriptan", drug_class="triptan", effective=True)
        for e in entries
        if e.headache_hours > 0 and e.date.day % 2 == 0
    ]
    AcuteMedicationTaken.objects.bulk_create(medicines)
    for date in sessions:
        Session.objects.create(
            patient=patient,
            date=date,
            status="completed",
            total_units=units,
            sites_injected=units // 5,
        )
