"""Importing Migraine Buddy's CSV export (issue 3, part 6)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from cephalog.audit.models import AuditEvent
from cephalog.diary.actions import entry_to_dict, save_day
from cephalog.diary.imports import import_migraine_buddy_csv
from cephalog.diary.models import Attack, DiaryEntry, DiaryEntryRevision
from cephalog.diary.queries import diary_days
from cephalog.domain.diary import classify_day
from tests.personas import Cast

FIXTURE = Path(__file__).parent / "fixtures" / "migraine_buddy_export.csv"
TODAY = dt.date(2026, 3, 20)
D = dt.date


def days_of(cast: Cast) -> dict[str, dict[str, Any]]:
    return {
        e.date.isoformat(): entry_to_dict(e)
        for e in DiaryEntry.objects.filter(patient=cast.patient).prefetch_related("medications")
    }


def counts(cast: Cast) -> tuple[int, int, int]:
    return (
        DiaryEntry.objects.filter(patient=cast.patient).count(),
        Attack.objects.filter(patient=cast.patient).count(),
        DiaryEntryRevision.objects.filter(patient=cast.patient).count(),
    )


def test_it_imports_a_migraine_buddy_export(cast: Cast) -> None:
    result = import_migraine_buddy_csv(
        cast.patient, FIXTURE.read_bytes(), cast.nurse, today=TODAY, filename="mb.csv"
    )
    assert result.ok, result.problems
    assert (result.days.created, result.attacks.created) == (8, 6)
    days = days_of(cast)
    assert sorted(days) == [
        "2026-03-02",
        "2026-03-04",
        "2026-03-05",
        "2026-03-07",
        "2026-03-08",
        "2026-03-10",
        "2026-03-12",
        "2026-03-14",
    ]
    hours = {d: (v["headache_hours"], v.get("peak_intensity")) for d, v in days.items()}
    assert hours == {
        "2026-03-02": (5.5, "severe"),  # pain 7
        "2026-03-04": (2.0, "moderate"),  # 22:00 for 4 h crosses midnight ...
        "2026-03-05": (2.0, "moderate"),  # ... and counts on both dates
        "2026-03-07": (10.0, "severe"),  # 1d 02h 15m from 14:00 ...
        "2026-03-08": (16.25, "severe"),  # ... ends at 16:15 the next day
        "2026-03-10": (1.25, "moderate"),  # two overlapping attacks: union, highest pain
        "2026-03-12": (0.0, None),  # pain 0: recorded, no headache
        "2026-03-14": (3.0, "moderate"),
    }
    assert days["2026-03-02"]["acute_medications"] == [
        {"name": "Sumatriptan 50mg", "class": "triptan", "effective": True}
    ]
    assert days["2026-03-02"]["unilateral"]
    assert days["2026-03-02"]["pulsating"]
    assert days["2026-03-02"]["photophobia"]
    assert days["2026-03-02"]["phonophobia"]
    assert days["2026-03-04"]["acute_medications"] == [
        {"name": "Ibuprofen 400mg", "class": "simple_analgesic", "effective": False}
    ]
    assert days["2026-03-05"]["acute_medications"] == []  # medicines count on the start date
    assert days["2026-03-05"]["nausea"]  # symptoms on every date the attack covers
    assert days["2026-03-07"]["aura_minutes"] == 20
    assert [m["class"] for m in days["2026-03-07"]["acute_medications"]] == [
        "triptan",
        "simple_analgesic",
    ]
    assert days["2026-03-10"]["acute_medications"][0]["class"] == "combination_analgesic"
    assert days["2026-03-12"]["acute_medications"][0]["class"] == "simple_analgesic"
    assert result.unknown_medicines == {"Magnesium 400mg": [3]}
    assert 'symptom "Dizziness"' in result.ignored

    classified = {d: classify_day(day) for d, day in diary_days(cast.patient).items()}
    assert classified[D(2026, 3, 2)].migraine_day
    assert classified[D(2026, 3, 8)].migraine_day
    assert classified[D(2026, 3, 12)].headache_free
    assert classified[D(2026, 3, 14)].reasons == ("migraine: relieved by a triptan",)

    entries = DiaryEntry.objects.filter(patient=cast.patient)
    assert {e.source for e in entries} == {"import"}
    assert Attack.objects.get(patient=cast.patient, external_id="mb:103").end - Attack.objects.get(
        patient=cast.patient, external_id="mb:103"
    ).start == dt.timedelta(days=1, hours=2, minutes=15)
    assert AuditEvent.objects.filter(action="import", category="diary").count() == 1


def test_it_creates_no_duplicates_when_the_same_file_is_imported_again(cast: Cast) -> None:
    first = import_migraine_buddy_csv(cast.patient, FIXTURE.read_bytes(), cast.nurse, today=TODAY)
    before, days = counts(cast), days_of(cast)
    again = import_migraine_buddy_csv(cast.patient, FIXTURE.read_bytes(), cast.nurse, today=TODAY)
    assert first.ok
    assert again.ok
    assert counts(cast) == before
    assert days_of(cast) == days
    assert (again.days.created, again.days.updated, again.days.unchanged) == (0, 0, 8)
    assert (again.attacks.created, again.attacks.updated, again.attacks.unchanged) == (0, 0, 6)


def test_it_imports_an_unknown_medicine_once_its_class_is_named(cast: Cast) -> None:
    import_migraine_buddy_csv(cast.patient, FIXTURE.read_bytes(), cast.nurse, today=TODAY)
    result = import_migraine_buddy_csv(
        cast.patient,
        FIXTURE.read_bytes(),
        cast.nurse,
        today=TODAY,
        classes={"magnesium 400mg": "other"},
    )
    assert result.unknown_medicines == {}
    assert (result.days.updated, result.days.unchanged) == (1, 7)
    assert days_of(cast)["2026-03-04"]["acute_medications"][-1] == {
        "name": "Magnesium 400mg",
        "class": "other",
        "effective": None,
    }
    assert DiaryEntryRevision.objects.filter(patient=cast.patient, date=D(2026, 3, 4)).count() == 1


def test_it_adds_to_a_day_the_patient_recorded_without_erasing_it(cast: Cast) -> None:
    save_day(
        patient=cast.patient,
        data={
            "date": "2026-03-14",
            "headache_hours": 8,
            "peak_intensity": "moderate",
            "nausea": True,
            "acute_medications": [{"name": "paracetamol", "class": "simple_analgesic"}],
        },
        by=cast.patient_user,
        today=D(2026, 3, 15),
    )
    result = import_migraine_buddy_csv(cast.patient, FIXTURE.read_bytes(), cast.nurse, today=TODAY)
    assert result.ok
    day = days_of(cast)["2026-03-14"]
    assert (day["headache_hours"], day["peak_intensity"]) == (8.0, "moderate")
    assert day["nausea"]
    assert day["photophobia"]
    assert [m["name"] for m in day["acute_medications"]] == [
        "paracetamol",
        "Zolmitriptan nasal spray",
    ]
    revision = DiaryEntryRevision.objects.get(patient=cast.patient, date=D(2026, 3, 14))
    assert revision.snapshot["headache_hours"] == 8.0
    assert revision.reason.startswith("import (migraine_buddy)")


def test_it_keeps_days_in_step_with_a_later_export_adding_an_attack(cast: Cast) -> None:
    import_migraine_buddy_csv(cast.patient, FIXTURE.read_bytes(), cast.nurse, today=TODAY)
    later = (
        "Id,Started,Lasted,Pain Level\n"
        "108,2026-03-14 10:00,02h 00m,9\n"  # earlier the same day as attack 107
    )
    result = import_migraine_buddy_csv(cast.patient, later.encode(), cast.nurse, today=TODAY)
    assert result.ok
    assert (result.attacks.created, result.days.updated) == (1, 1)
    day = days_of(cast)["2026-03-14"]
    assert (day["headache_hours"], day["peak_intensity"]) == (5.0, "severe")


def test_it_lets_a_patient_import_only_days_their_diary_accepts(cast: Cast) -> None:
    before = counts(cast)
    result = import_migraine_buddy_csv(
        cast.patient, FIXTURE.read_bytes(), cast.patient_user, today=TODAY
    )
    assert not result.ok
    # Backfill window of 7 days: 13 March onwards is open, older dates are locked.
    assert result.problems[0] == (
        "line 2: date: days before 2026-03-13 are locked; please ask your clinic to correct "
        "older days"
    )
    assert len(result.problems) == 7  # one per locked date, on the line of its first attack
    assert counts(cast) == before

    recent = "Id,Started,Lasted,Pain Level\n1,2026-03-19 21:00,05h 00m,8\n"
    ok = import_migraine_buddy_csv(cast.patient, recent.encode(), cast.patient_user, today=TODAY)
    assert ok.ok
    assert days_of(cast)["2026-03-20"]["headache_hours"] == 2.0


def test_it_refuses_attacks_in_the_future(cast: Cast) -> None:
    text = "Id,Started,Lasted,Pain Level\n1,2026-03-20 22:00,04h 00m,5\n"
    result = import_migraine_buddy_csv(cast.patient, text.encode(), cast.nurse, today=TODAY)
    assert result.problems == ["line 2: date: 2026-03-21 is in the future"]
    assert counts(cast) == (0, 0, 0)


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"\xff\xfeI\x00d\x00", "file: not a text file; export a CSV file and upload that"),
        (
            b"Started,Lasted\xe9\n",
            "file: not UTF-8 text; save the file as CSV (UTF-8) and try again",
        ),
        (b"", "line 1: header: the file is empty"),
        (b"Date,Pain\n2026-03-01,4\n", "line 1: header: missing column(s) started, pain level"),
        (
            b"Started,Pain Level\n2026-03-01 10:00,4\n",
            "line 1: header: missing column(s) lasted (or ended)",
        ),
    ],
)
def test_it_refuses_a_file_it_cannot_read(cast: Cast, content: bytes, problem: str) -> None:
    result = import_migraine_buddy_csv(cast.patient, content, cast.nurse, today=TODAY)
    assert result.problems[0] == problem
    assert counts(cast) == (0, 0, 0)


def test_it_refuses_a_file_over_5_mb(cast: Cast) -> None:
    big = b"Id,Started,Lasted,Pain Level\n" + b"x" * (5 * 1024 * 1024)
    result = import_migraine_buddy_csv(cast.patient, big, cast.nurse, today=TODAY)
    assert result.problems == ["file: larger than 5 MB; split it by year"]


def test_it_reports_progress_while_writing(cast: Cast) -> None:
    calls: list[tuple[int, int]] = []
    import_migraine_buddy_csv(
        cast.patient,
        FIXTURE.read_bytes(),
        cast.nurse,
        today=TODAY,
        progress=lambda done, total: calls.append((done, total)),
    )
    assert calls[0] == (6, 14)  # the attacks, then each of the 8 days
    assert calls[-1] == (14, 14)
