"""Importing cephalog's own days and attacks CSV (issue 3, part 6)."""

from __future__ import annotations

import datetime as dt

from cephalog.diary.actions import save_day
from cephalog.diary.attack_actions import save_attack
from cephalog.diary.imports import import_cephalog_csv, import_days_csv
from cephalog.diary.models import Attack, DiaryEntry, DiaryEntryRevision
from cephalog.domain.importing import DAYS_HEADER
from tests.personas import Cast

TODAY = dt.date(2026, 3, 20)
HEADER = ",".join(DAYS_HEADER[:12]) + "\n"


def rows(cast: Cast) -> tuple[int, int]:
    return (
        DiaryEntry.objects.filter(patient=cast.patient).count(),
        DiaryEntryRevision.objects.filter(patient=cast.patient).count(),
    )


def test_it_reports_each_bad_row_by_line_and_stores_nothing(cast: Cast) -> None:
    save_day(
        patient=cast.patient,
        data={"date": "2026-03-01", "headache_hours": 0},
        by=cast.nurse,
        today=TODAY,
    )
    before = rows(cast)
    text = HEADER + (
        "2026-03-02,0,,,,,,,,,0,\n"
        "2026-03-03,30,severe,,,,,,,,0,\n"  # bad: hours
        "2026-03-04,5,moderate,true,true,false,true,false,false,false,0,ibuprofen:simple_analgesic:no\n"
        "2026-03-05,2,,,,,,,,,0,\n"  # bad: intensity missing
        "2026-03-06,1,mild,,,,,,,,0,sumatriptan:triptan:perhaps\n"  # bad: effect
        "2026-03-07,0,,,,,,,,,0,\n"
    )
    result = import_days_csv(cast.patient, text.encode(), cast.nurse, today=TODAY)
    assert result.problems == [
        "line 3: headache_hours: must be between 0 and 24, got 30",
        "line 5: peak_intensity: required when headache_hours > 0",
        'line 6: acute_medications[0]: must be name:class:yes|no|unknown, got "sumatriptan:triptan:perhaps"',
    ]
    assert rows(cast) == before


def test_it_creates_updates_and_skips_unchanged_days(cast: Cast) -> None:
    text = HEADER + "2026-03-02,0,,,,,,,,,0,\n2026-03-03,4.5,severe,yes,no,,1,,,,0,\n"
    first = import_days_csv(cast.patient, text.encode(), cast.nurse, today=TODAY)
    assert (first.days.created, first.days.updated, first.days.unchanged) == (2, 0, 0)
    changed = HEADER + "2026-03-02,0,,,,,,,,,0,\n2026-03-03,6,severe,yes,no,,1,,,,0,\n"
    second = import_days_csv(cast.patient, changed.encode(), cast.nurse, today=TODAY)
    assert (second.days.created, second.days.updated, second.days.unchanged) == (0, 1, 1)
    entry = DiaryEntry.objects.get(patient=cast.patient, date=dt.date(2026, 3, 3))
    assert (entry.headache_hours, entry.version, entry.source) == (6, 2, "import")
    revision = DiaryEntryRevision.objects.get(patient=cast.patient)
    assert revision.snapshot["headache_hours"] == 4.5


def test_it_locks_old_days_for_a_patient_but_not_unchanged_ones(cast: Cast) -> None:
    old = HEADER + "2026-02-01,0,,,,,,,,,0,\n"
    refused = import_days_csv(cast.patient, old.encode(), cast.patient_user, today=TODAY)
    assert refused.problems == [
        "line 2: date: days before 2026-03-13 are locked; please ask your clinic to correct "
        "older days"
    ]
    assert import_days_csv(cast.patient, old.encode(), cast.nurse, today=TODAY).ok
    again = import_days_csv(cast.patient, old.encode(), cast.patient_user, today=TODAY)
    assert again.ok
    assert again.days.unchanged == 1


def test_it_reads_rows_with_a_byte_order_mark_and_crlf(cast: Cast) -> None:
    text = "\ufeff" + HEADER.replace("\n", "\r\n") + "2026-03-19,0,,,,,,,,,0,\r\n"
    result = import_days_csv(cast.patient, text.encode(), cast.patient_user, today=TODAY)
    assert result.ok
    assert result.days.created == 1


def test_it_imports_an_attacks_csv_told_apart_by_its_header(cast: Cast) -> None:
    text = (
        "start,end,peak_intensity,external_id,notes,duration_minutes,hours_by_date,source\n"
        "2026-03-04T22:00:00+00:00,2026-03-05T02:00:00+00:00,moderate,,'=1+1,240,,import\n"
    )
    result = import_cephalog_csv(cast.patient, text.encode(), cast.nurse, today=TODAY)
    assert result.ok
    assert result.kind == "attacks"
    attack = Attack.objects.get(patient=cast.patient)
    assert attack.notes == "=1+1"
    assert (
        DiaryEntry.objects.get(patient=cast.patient, date=dt.date(2026, 3, 5)).headache_hours == 2
    )


def test_it_saves_one_attack_and_brings_each_covered_day_in_step(cast: Cast) -> None:
    start = dt.datetime(2026, 3, 18, 23, 0, tzinfo=dt.UTC)
    attack = save_attack(
        patient=cast.patient,
        start=start,
        end=start + dt.timedelta(hours=3),
        peak_intensity="severe",
        by=cast.patient_user,
        today=TODAY,
    )
    assert attack.source == "patient"
    hours = dict(
        DiaryEntry.objects.filter(patient=cast.patient).values_list("date", "headache_hours")
    )
    assert hours == {dt.date(2026, 3, 18): 1, dt.date(2026, 3, 19): 2}
    # Same start again: the attack is updated, not duplicated.
    save_attack(
        patient=cast.patient,
        start=start,
        end=start + dt.timedelta(hours=5),
        peak_intensity="severe",
        by=cast.patient_user,
        today=TODAY,
    )
    assert Attack.objects.filter(patient=cast.patient).count() == 1
    assert (
        DiaryEntry.objects.get(patient=cast.patient, date=dt.date(2026, 3, 19)).headache_hours == 4
    )
