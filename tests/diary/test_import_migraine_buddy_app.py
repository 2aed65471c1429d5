"""Migraine Buddy exports as the app writes them (issue 15.1, 15.2).

The fixtures in fixtures/migraine_buddy/ were written for these tests from the
layout of the app's "Export to CSV": the ongoing events table, a blank line, then
the attack table with the phone's local times, UTC offsets and four medication
columns (US month-first dates, UK day-first dates, Spanish headers).
"""

from __future__ import annotations

import datetime as dt
import json
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from cephalog.diary.actions import entry_to_dict
from cephalog.diary.attack_actions import save_attack
from cephalog.diary.imports import import_migraine_buddy_csv
from cephalog.diary.models import Attack, DiaryEntry, DiaryEntryRevision
from cephalog.patients.models import Patient
from tests.personas import Cast

FIXTURES = Path(__file__).parent / "fixtures" / "migraine_buddy"
TODAY = dt.date(2026, 4, 2)


def _file(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def _zone(cast: Cast, zone: str) -> Patient:
    Patient.objects.filter(pk=cast.patient.pk).update(time_zone=zone)
    cast.patient.refresh_from_db()
    return cast.patient


def _days(cast: Cast) -> dict[str, dict[str, Any]]:
    return {
        e.date.isoformat(): entry_to_dict(e) | {"notes": e.notes}
        for e in DiaryEntry.objects.filter(patient=cast.patient).prefetch_related("medications")
    }


def _stored(cast: Cast) -> tuple[int, int, int]:
    return (
        DiaryEntry.objects.filter(patient=cast.patient).count(),
        Attack.objects.filter(patient=cast.patient).count(),
        DiaryEntryRevision.objects.filter(patient=cast.patient).count(),
    )


def test_it_imports_a_us_export_with_medicines_and_their_helpfulness(cast: Cast) -> None:
    patient = _zone(cast, "America/New_York")
    result = import_migraine_buddy_csv(
        patient, _file("us_export.csv"), cast.nurse, today=TODAY, classes={"migrastop": "triptan"}
    )
    assert result.ok, result.problems
    assert result.date_order == "mdy"
    days = _days(cast)
    hours = {d: (v["headache_hours"], v.get("peak_intensity")) for d, v in days.items()}
    assert hours == {
        "2026-03-02": (5.5, "severe"),
        "2026-03-04": (2.0, "moderate"),  # 22:00 for 4 h: two hours on each date
        "2026-03-05": (2.0, "moderate"),
        "2026-03-07": (1.0, "severe"),  # 23:00 EST for 5 h, across the clock change ...
        "2026-03-08": (4.0, "severe"),  # ... ends 05:00 EDT: 4 real hours on the 8th
        "2026-03-12": (0.0, None),  # pain 0 and "No medication": recorded, no headache
        "2026-03-14": (3.0, "moderate"),  # 7:30 PM
    }
    assert days["2026-03-02"]["acute_medications"] == [
        {"name": "Sumatriptan", "class": "triptan", "effective": True}
    ]
    assert days["2026-03-02"]["unilateral"]  # Right Eye, Right Temple
    assert days["2026-03-02"]["pulsating"]
    assert days["2026-03-02"]["phonophobia"]
    assert days["2026-03-04"]["acute_medications"] == [
        {"name": "Excedrin", "class": "combination_analgesic", "effective": None},  # somewhat
        {"name": "Ibuprofen", "class": "simple_analgesic", "effective": False},  # unhelpful
    ]
    assert not days["2026-03-04"]["unilateral"]  # left and right positions
    assert days["2026-03-05"]["nausea"]
    assert days["2026-03-05"]["acute_medications"] == []
    assert days["2026-03-07"]["acute_medications"] == [
        {"name": "Migrastop", "class": "triptan", "effective": None}  # unsure, class named
    ]
    assert days["2026-03-07"]["unilateral"]
    assert days["2026-03-08"]["vomiting"]
    assert days["2026-03-12"]["acute_medications"] == []
    assert [m["effective"] for m in days["2026-03-14"]["acute_medications"]] == [True, True]
    # Notes are kept: on the attack and on the day it started (multi-line cell intact).
    assert days["2026-03-07"]["notes"] == "Clock change night,\r\nwoke at 4"
    assert days["2026-03-14"]["notes"].startswith("=HYPERLINK")
    assert Attack.objects.filter(patient=patient).count() == 4
    # Every column and value left out is listed.
    for column in ("Potential Triggers", "Helpful Relief Methods", "Locations", "Geohash"):
        assert f'column "{column}"' in result.not_imported
    assert 'symptom "Dizziness"' in result.ignored
    assert 'aura "Visual disturbances" (no duration)' in result.ignored


def test_it_lists_unknown_medicines_without_guessing_their_class(cast: Cast) -> None:
    patient = _zone(cast, "America/New_York")
    result = import_migraine_buddy_csv(patient, _file("us_export.csv"), cast.nurse, today=TODAY)
    assert result.ok
    assert result.unknown_medicines == {"Migrastop": [7]}
    assert _days(cast)["2026-03-07"]["acute_medications"] == []


def test_it_imports_a_day_first_export_and_reports_the_ongoing_event(cast: Cast) -> None:
    result = import_migraine_buddy_csv(
        cast.patient, _file("uk_export.csv"), cast.nurse, today=TODAY
    )
    assert result.ok, result.problems
    assert result.date_order == "dmy"
    days = _days(cast)
    assert {d: v["headache_hours"] for d, v in days.items()} == {
        "2026-03-02": 5.5,
        "2026-03-14": 0.5,
        "2026-03-15": 1.5,
        "2026-03-28": 1.0,  # 23:00 GMT for 4 h: the clocks go forward on the 29th ...
        "2026-03-29": 3.0,  # ... 00:00 GMT to 04:00 BST is 3 real hours
    }
    assert days["2026-03-02"]["acute_medications"] == [
        {"name": "Sumatriptan 50mg", "class": "triptan", "effective": True}
    ]
    assert days["2026-03-02"]["notes"] == "Work was hard"
    assert "line 2: ongoing event (not a diary fact)" in result.not_imported


def test_it_places_an_attack_by_the_phones_offset_when_the_patient_was_away(
    cast: Cast,
) -> None:
    # The patient's zone is London; the phone was in New York (-240): 3/14 21:00 there
    # is 01:00 on the 15th in London, but the attack is on the 14th of the patient's days.
    text = (
        '"#","Started","Lasted","Start UTC Offset (min)","End UTC Offset (min)","Pain Level"\n'
        '"1","3/14/26 21:00","2h 0m","-240","-240","6"\n'
    )
    result = import_migraine_buddy_csv(cast.patient, text.encode(), cast.nurse, today=TODAY)
    assert result.ok, result.problems
    assert {d: v["headache_hours"] for d, v in _days(cast).items()} == {"2026-03-14": 2.0}
    attack = Attack.objects.get(patient=cast.patient)
    assert attack.start == dt.datetime(2026, 3, 15, 1, 0, tzinfo=dt.UTC)


def test_it_asks_for_the_date_order_when_both_readings_fit(cast: Cast) -> None:
    result = import_migraine_buddy_csv(
        cast.patient, _file("ambiguous_export.csv"), cast.nurse, today=TODAY
    )
    assert not result.ok
    assert result.needs_date_order
    assert result.problems == [
        'line 5: Started: dates such as "3/2/26 8:30" read as month/day or as day/month, '
        "and no date in the file tells which; choose the date order (month first: mdy, "
        "day first: dmy)"
    ]
    assert _stored(cast) == (0, 0, 0)
    answered = import_migraine_buddy_csv(
        cast.patient, _file("ambiguous_export.csv"), cast.nurse, today=TODAY, date_order="dmy"
    )
    assert answered.ok
    assert set(_days(cast)) == {"2026-02-03", "2026-03-01"}


def test_it_reads_spanish_headers(cast: Cast) -> None:
    result = import_migraine_buddy_csv(
        cast.patient,
        _file("es_export.csv"),
        cast.nurse,
        today=TODAY,
        classes={"sumatriptán": "triptan", "ibuprofeno": "simple_analgesic"},
    )
    assert result.ok, result.problems
    day = _days(cast)["2026-03-14"]
    assert (day["headache_hours"], day["peak_intensity"]) == (3.0, "severe")
    assert day["unilateral"]
    assert day["nausea"]
    assert day["photophobia"]
    assert day["acute_medications"] == [
        {"name": "Sumatriptán", "class": "triptan", "effective": True},
        {"name": "Ibuprofeno", "class": "simple_analgesic", "effective": False},
    ]
    assert day["notes"] == "Tras el trabajo"
    assert 'column "Desencadenantes potenciales"' in result.not_imported


def test_it_refuses_headers_it_does_not_know_naming_them(cast: Cast) -> None:
    result = import_migraine_buddy_csv(
        cast.patient, _file("de_export.csv"), cast.nurse, today=TODAY
    )
    assert result.problems == [
        "line 1: header: missing column(s) started, pain level",
        'line 1: header: column(s) not recognised: "Begonnen", "Dauer", "Schmerzstärke", '
        '"Notizen"; cephalog reads Migraine Buddy exports in English or Spanish',
    ]


def test_it_refuses_a_file_with_broken_rows_line_by_line_and_stores_nothing(
    cast: Cast,
) -> None:
    result = import_migraine_buddy_csv(
        cast.patient, _file("broken_export.csv"), cast.nurse, today=TODAY
    )
    assert result.problems == [
        'line 6: Lasted: must be a duration such as "01h 00m", "1d 02h 15m" or "45m", '
        'got "forever"',
        'line 7: Pain Level: must be a whole number from 0 to 10, got "12"',
        'line 8: Started: is not a real date and time, got "3/17/26 25:30"',
        'line 9: Start UTC Offset (min): must be within ±840 minutes, got "-9999"',
    ]
    assert _stored(cast) == (0, 0, 0)


def test_reimporting_an_older_export_keeps_what_was_recorded_since(cast: Cast) -> None:
    patient = _zone(cast, "America/New_York")
    first = import_migraine_buddy_csv(patient, _file("us_export.csv"), cast.nurse, today=TODAY)
    assert first.ok
    attack = Attack.objects.get(patient=patient, peak_intensity="moderate", notes="")
    # Since the export, the clinic recorded a higher severity and a note on that attack.
    save_attack(
        patient=patient,
        start=attack.start,
        end=attack.end,
        peak_intensity="severe",
        notes="Much worse than it looked",
        by=cast.nurse,
        today=TODAY,
        reason="Phone call",
    )
    again = import_migraine_buddy_csv(patient, _file("us_export.csv"), cast.nurse, today=TODAY)
    assert again.ok
    assert again.differences == [
        "line 6: attack of 04 Mar 2026 22:00: severity severe here, moderate in the file; "
        "its note differs from the file's; kept as recorded"
    ]
    attack.refresh_from_db()
    assert (attack.peak_intensity, attack.notes) == ("severe", "Much worse than it looked")
    confirmed = import_migraine_buddy_csv(
        patient, _file("us_export.csv"), cast.nurse, today=TODAY, confirm=True
    )
    assert confirmed.ok
    assert confirmed.differences == []
    attack.refresh_from_db()
    assert (attack.peak_intensity, attack.notes) == ("moderate", "")


def test_a_day_note_recorded_since_is_kept_unless_confirmed(cast: Cast) -> None:
    patient = _zone(cast, "America/New_York")
    import_migraine_buddy_csv(patient, _file("us_export.csv"), cast.nurse, today=TODAY)
    DiaryEntry.objects.filter(patient=patient, date=dt.date(2026, 3, 2)).update(
        notes="Called the clinic"
    )
    again = import_migraine_buddy_csv(patient, _file("us_export.csv"), cast.nurse, today=TODAY)
    assert again.differences == [
        "line 5: note of 2026-03-02: the note recorded differs from the file's; kept as recorded"
    ]
    assert _days(cast)["2026-03-02"]["notes"] == "Called the clinic"


# --- The command ----------------------------------------------------------------------------


def _command(path: Path, *args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command(
        "import-diaries", "leeds", str(path), "--as", "nurse-joy", *args, stdout=out, stderr=err
    )
    return out.getvalue(), err.getvalue()


def test_the_command_prints_the_days_as_json_and_dry_run_stores_nothing(cast: Cast) -> None:
    _zone(cast, "America/New_York")
    out, _ = _command(
        FIXTURES / "us_export.csv",
        "--patient",
        "MRN-1001",
        "--format",
        "migraine-buddy",
        "--class",
        "Migrastop=triptan",
        "--dry-run",
        "--json",
    )
    data = json.loads(out)
    assert set(data) == {"days", "attacks", "unknown_medicines", "not_imported"}
    assert data["attacks"] == 4
    assert data["unknown_medicines"] == []
    first = data["days"][0]
    assert first == {
        "date": "2026-03-02",
        "headache_hours": 5.5,
        "peak_intensity": "severe",
        "unilateral": True,
        "pulsating": True,
        "aggravated_by_activity": False,
        "nausea": False,
        "vomiting": False,
        "photophobia": True,
        "phonophobia": True,
        "aura_minutes": 0,
        "acute_medications": [{"name": "Sumatriptan", "class": "triptan", "effective": True}],
    }
    assert [d["date"] for d in data["days"]][-1] == "2026-03-14"
    assert 'column "Geohash"' in data["not_imported"]
    assert _stored(cast) == (0, 0, 0)


def test_the_command_refuses_broken_rows_with_exit_2_and_stores_nothing(cast: Cast) -> None:
    err = StringIO()
    with pytest.raises(CommandError) as raised:
        call_command(
            "import-diaries",
            "leeds",
            str(FIXTURES / "broken_export.csv"),
            "--as",
            "nurse-joy",
            "--patient",
            "MRN-1001",
            "--format",
            "migraine-buddy",
            stdout=StringIO(),
            stderr=err,
        )
    assert raised.value.returncode == 2
    lines = err.getvalue().splitlines()
    assert [line.split(":")[0] for line in lines] == ["line 6", "line 7", "line 8", "line 9"]
    assert _stored(cast) == (0, 0, 0)


def test_the_command_takes_the_date_order(cast: Cast) -> None:
    args = ["--patient", "MRN-1001", "--format", "migraine-buddy"]
    with pytest.raises(CommandError):
        _command(FIXTURES / "ambiguous_export.csv", *args)
    out, _ = _command(FIXTURES / "ambiguous_export.csv", *args, "--date-order", "mdy")
    assert "Imported" in out
    assert set(_days(cast)) == {"2026-03-02", "2026-01-03"}


def test_the_command_imports_a_cephalog_days_file_for_one_patient(
    cast: Cast, tmp_path: Path
) -> None:
    path = tmp_path / "days.csv"
    path.write_text(
        "date,headache_hours,peak_intensity,notes\n2026-03-01,3,moderate,Long day at work\n"
    )
    out, _ = _command(path, "--patient", "MRN-1001", "--format", "cephalog")
    assert "Imported" in out
    assert _days(cast)["2026-03-01"]["notes"] == "Long day at work"


def test_the_one_patient_options_need_a_patient(cast: Cast) -> None:
    with pytest.raises(CommandError, match="give --patient MRN"):
        _command(FIXTURES / "us_export.csv", "--format", "migraine-buddy")
