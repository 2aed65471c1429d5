"""The diary list's rows (diary.schemas.days_out): on PostgreSQL its statement, composed
once by the ORM, runs on a plain cursor; the days must come out exactly as through the
ORM (issue 19.1)."""

from __future__ import annotations

import datetime as dt

from cephalog.diary import schemas
from cephalog.diary.actions import save_day
from tests.personas import Cast

TODAY = dt.date(2026, 3, 20)


def test_days_out_rows_equal_the_orms(cast: Cast) -> None:
    patient = cast.patient
    days = [
        {
            "date": "2026-03-15",
            "headache_hours": 6.5,
            "peak_intensity": "severe",
            "unilateral": True,
            "nausea": True,
            "notes": "after a long flight",
            "pain_locations": ["temples", "forehead"],
            "triggers": ["stress", "sleep"],
            "acute_medications": [
                {"name": "sumatriptan", "class": "triptan", "effective": True},
                {"name": "ibuprofen", "class": "simple_analgesic"},
            ],
        },
        {"date": "2026-03-17", "headache_hours": 0},
        {"date": "2026-03-19", "headache_hours": 2, "peak_intensity": "mild"},
    ]
    for data in days:
        save_day(patient=patient, data=data, by=cast.patient_user, today=TODAY)
    start, end = dt.date(2026, 3, 1), dt.date(2026, 3, 20)
    fast = schemas._day_rows(patient, start, end)
    orm = list(schemas._days_query(patient.pk, start, end))
    assert fast == orm
    assert len({row[0] for row in fast}) == 3
    out = schemas.days_out(patient, start, end)
    assert [d["date"] for d in out] == ["2026-03-15", "2026-03-17", "2026-03-19"]
    assert out[0]["triggers"] == ["stress", "sleep"]
    assert [m["name"] for m in out[0]["acute_medications"]] == ["sumatriptan", "ibuprofen"]
    assert schemas._day_rows(patient, dt.date(2025, 1, 1), dt.date(2025, 1, 2)) == []
