"""Data for the performance tests: diaries, sessions and history in bulk (reads only)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from cephalog.diary.models import AcuteMedicationTaken, DiaryEntry
from cephalog.eligibility.models import Condition, ConditionCode, Medication, Preventive
from cephalog.patients.models import Patient
from cephalog.treatment.models import Session
from tests.treatment.helpers import NOW

TODAY = NOW.date()

#: Conditions that are cautions only (no hard stop, no point-of-care question).
CAUTIONS = [
    c
    for c in ConditionCode
    if c not in (ConditionCode.PREGNANCY, ConditionCode.INJECTION_SITE_INFECTION)
]


def add_diary(patient: Patient, days: int, *, before: dt.date = TODAY) -> None:
    """`days` more days of diary for the patient, ending before the earliest one so far."""
    earliest = DiaryEntry.objects.filter(patient=patient).order_by("date").first()
    end = min(before, earliest.date - dt.timedelta(days=1)) if earliest else before
    entries = DiaryEntry.objects.bulk_create(
        DiaryEntry(
            patient=patient,
            date=end - dt.timedelta(days=k),
            headache_hours=Decimal(6 if k % 2 else 0),
            peak_intensity="moderate" if k % 2 else "",
            nausea=bool(k % 2),
            photophobia=bool(k % 2),
            pulsating=bool(k % 2),
        )
        for k in range(days)
    )
    entries = list(DiaryEntry.objects.filter(pk__in=[e.pk for e in entries]))
    AcuteMedicationTaken.objects.bulk_create(
        AcuteMedicationTaken(entry=e, name=name, drug_class=cls, effective=True)
        for e in entries
        if e.headache_hours
        for name, cls in (("sumatriptan", "triptan"), ("ibuprofen", "simple_analgesic"))
    )


def add_history(patient: Patient, n: int) -> None:
    """n more completed sessions (as imported: totals only), preventives, cautions, medicines."""
    first = Session.objects.filter(patient=patient).order_by("date").first()
    start_date = (first.date if first else TODAY) - dt.timedelta(days=84)
    for k in range(n):
        Session.objects.create(
            patient=patient,
            date=start_date - dt.timedelta(days=84 * k),
            status="completed",
            total_units=155,
            sites_injected=31,
        )
        Preventive.objects.create(
            patient=patient,
            name=f"topiramate {k}",
            drug_class="antiepileptic",
            start=dt.date(2015, 1, 1),
            stop=dt.date(2015, 6, 1),
            outcome="intolerance",
        )
        Medication.objects.create(
            patient=patient, name=f"gentamicin {k}", drug_class="aminoglycoside"
        )
        used = set(patient.conditions.values_list("code", flat=True))
        code = next((c for c in CAUTIONS if c not in used), None)
        if code is not None:
            Condition.objects.create(patient=patient, code=code, resolved_on=dt.date(2016, 1, 1))
