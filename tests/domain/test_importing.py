"""Diary files without Django: durations, pain, midnight splits, CSV rows (issue 3, part 6)."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cephalog.domain.case import parse_diary_entry
from cephalog.domain.diary import AcuteMedication, DiaryDay
from cephalog.domain.importing import (
    DAYS_HEADER,
    MAX_ATTACK,
    AttackFacts,
    covered_time,
    day_row,
    days_from_attacks,
    decode_medications,
    encode_medications,
    format_duration,
    guard_cell,
    hours,
    merge_days,
    pain_to_intensity,
    parse_duration,
    parse_local_datetime,
    read_attacks_csv,
    read_days_csv,
    read_migraine_buddy_csv,
    split_by_date,
    unguard_cell,
)

LONDON = zoneinfo.ZoneInfo("Europe/London")
UTC = dt.UTC
H = dt.timedelta(hours=1)


def at(text: str, tz: dt.tzinfo = LONDON) -> dt.datetime:
    return parse_local_datetime(text, tz)


# --- Durations and pain ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "minutes"),
    [
        ("01h 00m", 60),
        ("1d 02h 15m", 26 * 60 + 15),
        ("45m", 45),
        ("2h", 120),
        ("00h 05m", 5),
        ("3d", 3 * 24 * 60),
        ("1D 00H 30M", 24 * 60 + 30),
        (" 12h 30m ", 12 * 60 + 30),
        ("90 min", 90),
    ],
)
def test_it_parses_migraine_buddy_durations(text: str, minutes: int) -> None:
    assert parse_duration(text) == dt.timedelta(minutes=minutes)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "must be a duration such as"),
        ("abc", "must be a duration such as"),
        ("1.5h", "must be a duration such as"),
        ("00h 00m", "must be longer than 0 minutes"),
        ("1d 25h", "hours must be under 24"),
        ("01h 75m", "minutes under 60"),
        ("32d", "at most 31 days"),
        ("-2h", "must be a duration such as"),
        ("15m 1h", "must be a duration such as"),
    ],
)
def test_it_refuses_bad_durations_with_a_message(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_duration(text)


@pytest.mark.parametrize(
    ("level", "intensity"),
    [
        (0, None),
        (1, "mild"),
        (3, "mild"),
        (4, "moderate"),
        (6, "moderate"),
        (7, "severe"),
        (10, "severe"),
    ],
)
def test_it_maps_pain_0_to_10_to_intensity(level: int, intensity: str | None) -> None:
    assert pain_to_intensity(level) == intensity


def test_it_refuses_pain_outside_0_to_10() -> None:
    with pytest.raises(ValueError, match="0 to 10"):
        pain_to_intensity(11)


def test_it_reads_local_times_in_the_patients_zone_and_refuses_ambiguous_formats() -> None:
    assert at("2026-07-01 08:30") == dt.datetime(2026, 7, 1, 7, 30, tzinfo=UTC)  # BST
    assert at("2026-01-01T08:30:00") == dt.datetime(2026, 1, 1, 8, 30, tzinfo=UTC)
    assert at("2026-07-01 08:30+02:00") == dt.datetime(2026, 7, 1, 6, 30, tzinfo=UTC)
    for bad in ("01/07/2026 08:30", "2026-07-01", "2026-02-30 10:00", "0", "2026-07-01 08:30 pm"):
        with pytest.raises(ValueError, match="date and time"):
            at(bad)


# --- Time on each date ----------------------------------------------------------------------


def test_it_splits_an_attack_crossing_midnight_over_both_dates() -> None:
    pieces = split_by_date(at("2026-03-04 22:00"), at("2026-03-05 02:00"), LONDON)
    assert pieces == {dt.date(2026, 3, 4): 2 * H, dt.date(2026, 3, 5): 2 * H}


def test_it_splits_a_multi_day_attack_with_whole_days_in_between() -> None:
    pieces = split_by_date(at("2026-03-07 14:00"), at("2026-03-09 01:30"), LONDON)
    assert pieces == {
        dt.date(2026, 3, 7): 10 * H,
        dt.date(2026, 3, 8): 24 * H,
        dt.date(2026, 3, 9): 1.5 * H,
    }


def test_it_counts_real_time_on_a_clock_change_and_caps_a_date_at_24_hours() -> None:
    # 25 October 2026: clocks go back in London, so the date lasts 25 hours.
    pieces = split_by_date(at("2026-10-25 00:00"), at("2026-10-26 00:00"), LONDON)
    assert pieces == {dt.date(2026, 10, 25): 25 * H}
    assert hours(pieces[dt.date(2026, 10, 25)]) == 24
    # 29 March 2026: clocks go forward; 00:00 to 04:00 is 3 real hours.
    assert split_by_date(at("2026-03-29 00:00"), at("2026-03-29 04:00"), LONDON) == {
        dt.date(2026, 3, 29): 3 * H
    }


def test_it_counts_overlapping_attacks_once() -> None:
    time = covered_time(
        [
            (at("2026-03-10 09:15"), at("2026-03-10 10:00")),
            (at("2026-03-10 09:30"), at("2026-03-10 10:30")),
            (at("2026-03-10 23:00"), at("2026-03-11 01:00")),
        ],
        LONDON,
    )
    assert time == {dt.date(2026, 3, 10): 2.25 * H, dt.date(2026, 3, 11): 1 * H}


def test_it_builds_days_from_attacks_with_the_union_of_hours_and_the_highest_intensity() -> None:
    triptan = AcuteMedication("Sumatriptan 50mg", "triptan", True)
    days = days_from_attacks(
        [
            AttackFacts(at("2026-03-10 09:15"), at("2026-03-10 10:00"), "mild"),
            AttackFacts(
                at("2026-03-10 09:30"),
                at("2026-03-11 02:00"),
                "severe",
                features=frozenset({"nausea"}),
                aura_minutes=20,
                medications=(triptan,),
            ),
            AttackFacts(at("2026-03-12 10:00"), at("2026-03-12 12:00"), None),
        ],
        LONDON,
    )
    assert days[dt.date(2026, 3, 10)] == DiaryDay(
        date=dt.date(2026, 3, 10),
        headache_hours=14.75,
        peak_intensity="severe",
        nausea=True,
        aura_minutes=20,
        acute_medications=(triptan,),
    )
    # Symptoms on every date covered; medicines and aura on the start date only.
    assert days[dt.date(2026, 3, 11)] == DiaryDay(
        date=dt.date(2026, 3, 11), headache_hours=2, peak_intensity="severe", nausea=True
    )
    # Pain 0: the date is recorded without headache.
    assert days[dt.date(2026, 3, 12)] == DiaryDay(date=dt.date(2026, 3, 12), headache_hours=0)


def test_it_merges_an_import_without_erasing_what_is_recorded() -> None:
    recorded = DiaryDay(
        date=dt.date(2026, 3, 2),
        headache_hours=6,
        peak_intensity="moderate",
        photophobia=True,
        acute_medications=(AcuteMedication("ibuprofen", "simple_analgesic"),),
    )
    imported = DiaryDay(
        date=dt.date(2026, 3, 2),
        headache_hours=3,
        peak_intensity="severe",
        nausea=True,
        acute_medications=(
            AcuteMedication("Ibuprofen", "simple_analgesic", False),
            AcuteMedication("sumatriptan", "triptan", True),
        ),
    )
    merged = merge_days(recorded, imported)
    assert merged.headache_hours == 6
    assert merged.peak_intensity == "severe"
    assert merged.photophobia
    assert merged.nausea
    assert merged.acute_medications == (
        AcuteMedication("ibuprofen", "simple_analgesic", False),
        AcuteMedication("sumatriptan", "triptan", True),
    )
    assert merge_days(merged, imported) == merged


# --- Cells and rows -------------------------------------------------------------------------


def test_it_guards_formula_cells_and_reads_them_back_unchanged() -> None:
    for text in ("=1+1", "+44 113", "-x", "@SUM(A1)", "\tx"):
        assert guard_cell(text) == "'" + text
        assert unguard_cell(guard_cell(text)) == text
    assert guard_cell("sumatriptan") == "sumatriptan"
    assert unguard_cell("'quoted") == "'quoted"


def test_it_encodes_medications_losslessly() -> None:
    meds = (
        AcuteMedication("sumatriptan", "triptan", True),
        AcuteMedication("a:b;c%d", "other", None),
        AcuteMedication("ibuprofen", "simple_analgesic", False),
    )
    text = encode_medications(meds)
    assert text.startswith("sumatriptan:triptan:yes;a%3Ab%3Bc%25d:other:unknown;")
    items, problems = decode_medications(text)
    assert problems == []
    assert [(i["name"], i["class"], i["effective"]) for i in items] == [
        (m.name, m.drug_class, m.effective) for m in meds
    ]


def test_it_writes_a_days_row_that_reads_back_as_the_same_day() -> None:
    day = DiaryDay(
        date=dt.date(2026, 1, 2),
        headache_hours=6.5,
        peak_intensity="severe",
        unilateral=True,
        pulsating=True,
        nausea=True,
        photophobia=True,
        aura_minutes=15,
        acute_medications=(AcuteMedication("=evil()", "triptan", True),),
    )
    row = day_row(day)
    assert row[DAYS_HEADER.index("migraine_day")] == "true"
    assert row[DAYS_HEADER.index("acute_medications")].startswith("'=")
    text = ",".join(DAYS_HEADER) + "\r\n" + ",".join(f'"{c}"' for c in row) + "\r\n"
    parsed = read_days_csv(text)
    assert parsed.problems == []
    assert parsed.days == [(2, day)]


def test_it_reports_bad_day_rows_by_line_with_the_validators_messages() -> None:
    text = (
        "date,headache_hours,peak_intensity,nausea,aura_minutes,acute_medications\n"
        "2026-01-01,0,,,,\n"
        "2026-01-02,30,severe,,,\n"
        "\n"
        "2026-01-03,5,,maybe,,\n"
        "2026-01-01,2,mild,,,\n"
        "01/05/2026,1,mild,,-3,aspirin:painkiller\n"
    )
    problems = read_days_csv(text).problems
    _, domain = parse_diary_entry({"date": "2026-01-02", "headache_hours": 30})
    assert f"line 3: {domain[0]}" in problems
    assert problems == [
        "line 3: headache_hours: must be between 0 and 24, got 30",
        "line 5: peak_intensity: required when headache_hours > 0",
        'line 5: nausea: must be true or false, got "maybe"',
        "line 6: date: 2026-01-01 is also on line 2",
        'line 7: date: must be a date YYYY-MM-DD, got "01/05/2026"',
        "line 7: aura_minutes: must be 0 or more, got -3",
        "line 7: acute_medications[0].class: must be one of simple_analgesic, triptan, ergot, "
        'opioid, combination_analgesic, gepant, ditan, other; got "painkiller"',
    ]


def test_it_reports_a_missing_column_or_an_empty_file_on_line_1() -> None:
    assert read_days_csv("").problems == ["line 1: header: the file is empty"]
    assert read_days_csv("day,hours\n2026-01-01,0\n").problems == [
        "line 1: header: missing column(s) date, headache_hours"
    ]
    assert read_days_csv("date,headache_hours\n2026-01-01,0,extra\n").problems == [
        "line 2: has 3 cells but the header has 2"
    ]


def test_it_reads_the_attacks_csv_and_refuses_times_without_an_offset() -> None:
    text = (
        "start,end,peak_intensity,external_id,notes,duration_minutes,hours_by_date,source\n"
        "2026-03-04T22:00:00+00:00,2026-03-05T02:00:00+00:00,moderate,mb:102,,240,,import\n"
        "2026-03-06T22:00:00,2026-03-06T21:00:00+00:00,awful,,,,,\n"
    )
    parsed = read_attacks_csv(text)
    assert [(a.start, a.end, a.peak_intensity, a.external_id) for a in parsed.attacks] == [
        (at("2026-03-04 22:00"), at("2026-03-05 02:00"), "moderate", "mb:102")
    ]
    assert parsed.problems == [
        "line 3: start: must be a date and time with its offset, YYYY-MM-DDTHH:MM:SS+HH:MM, "
        'got "2026-03-06T22:00:00"',
        'line 3: peak_intensity: must be one of mild, moderate, severe; got "awful"',
    ]


MB_HEADER = "Id,Started,Lasted,Pain Level,Pain Position,Symptoms,Medication,Notes\n"


def test_it_reads_a_migraine_buddy_row_with_symptoms_medicines_and_their_effect() -> None:
    text = MB_HEADER + (
        '7,2026-03-02 08:30,05h 30m,7,Left side,"Nausea, Sensitivity to light, Dizziness",'
        '"Sumatriptan 50mg (Helpful), Ibuprofen 400mg (Not helpful), Magnesium",Bad one\n'
    )
    parsed = read_migraine_buddy_csv(text, LONDON)
    assert parsed.problems == []
    (attack,) = parsed.attacks
    assert attack.external_id == "mb:7"
    assert attack.peak_intensity == "severe"
    assert attack.end - attack.start == 5.5 * H
    assert attack.features == {"unilateral", "nausea", "photophobia"}
    assert attack.medications == (
        AcuteMedication("Sumatriptan 50mg", "triptan", True),
        AcuteMedication("Ibuprofen 400mg", "simple_analgesic", False),
    )
    assert parsed.unknown_medicines == {"Magnesium": [2]}
    assert parsed.ignored == {'symptom "Dizziness"': [2]}
    named = read_migraine_buddy_csv(text, LONDON, {"magnesium": "other"})
    assert named.unknown_medicines == {}
    assert named.attacks[0].medications[-1] == AcuteMedication("Magnesium", "other", None)


def test_it_reports_bad_migraine_buddy_rows_by_line() -> None:
    text = MB_HEADER + (
        "1,2026-03-02 08:30,5 fortnights,7,,,,\n"
        "2,yesterday,01h 00m,11,,,,\n"
        "3,2026-03-04 08:30,,3,,,,\n"
        "4,2026-03-05 08:30,01h 00m,3,,,,\n"
        "4,2026-03-06 08:30,01h 00m,3,,,,\n"
    )
    assert read_migraine_buddy_csv(text, LONDON).problems == [
        'line 2: Lasted: must be a duration such as "01h 00m", "1d 02h 15m" or "45m", '
        'got "5 fortnights"',
        'line 3: Started: must be a date and time such as "3/14/24 8:30", "14/3/24 8:30" or '
        '"2024-03-14 08:30", got "yesterday"',
        'line 3: Pain Level: must be a whole number from 0 to 10, got "11"',
        'line 6: id: "mb:4" is also on line 5',
    ]
    # An attack still going when the file was exported is listed, not refused.
    assert (
        "line 4: an attack still going (no duration yet)"
        in read_migraine_buddy_csv(text, LONDON).not_imported
    )


def test_it_finds_the_attack_table_without_a_blank_line_before_it() -> None:
    text = (
        '"Date","Time Period","Description","Notes"\n'
        '"No ongoing events","","",""\n'
        '"#","Started","Lasted","Pain Level"\n'
        '"1","2026-03-02 08:30","2h 0m","6"\n'
    )
    parsed = read_migraine_buddy_csv(text, LONDON)
    assert parsed.problems == []
    assert [a.line for a in parsed.attacks] == [4]


# --- Properties -----------------------------------------------------------------------------

durations = st.builds(
    dt.timedelta,
    days=st.integers(0, 30),
    hours=st.integers(0, 23),
    minutes=st.integers(0, 59),
).filter(lambda d: dt.timedelta(0) < d <= MAX_ATTACK)
starts = st.datetimes(
    min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2040, 1, 1), timezones=st.just(UTC)
).map(lambda d: d.replace(second=0, microsecond=0))
zones = st.sampled_from(
    [UTC, LONDON, zoneinfo.ZoneInfo("America/New_York"), zoneinfo.ZoneInfo("Australia/Lord_Howe")]
)


@given(durations)
def test_property_a_formatted_duration_parses_back(duration: dt.timedelta) -> None:
    assert parse_duration(format_duration(duration)) == duration


@given(starts, durations, zones)
def test_property_the_split_sums_to_the_attack_and_no_date_exceeds_24_hours(
    start: dt.datetime, duration: dt.timedelta, tz: dt.tzinfo
) -> None:
    pieces = split_by_date(start, start + duration, tz)
    assert sum(pieces.values(), dt.timedelta()) == duration
    assert list(pieces) == sorted(pieces)
    assert all(dt.timedelta(0) < t <= dt.timedelta(hours=25) for t in pieces.values())
    assert all(0 <= hours(t) <= 24 for t in pieces.values())
    if tz is UTC:  # no clock changes: every date is at most 24 h
        assert all(t <= dt.timedelta(hours=24) for t in pieces.values())


@given(st.lists(st.tuples(starts, durations), min_size=1, max_size=5), zones)
def test_property_overlapping_attacks_never_count_more_than_the_time_they_span(
    attacks: list[tuple[dt.datetime, dt.timedelta]], tz: dt.tzinfo
) -> None:
    intervals = [(s, s + d) for s, d in attacks]
    covered = sum(covered_time(intervals, tz).values(), dt.timedelta())
    assert max(d for _, d in attacks) <= covered <= sum((d for _, d in attacks), dt.timedelta())
    assert covered <= max(e for _, e in intervals) - min(s for s, _ in intervals)


def test_it_reads_an_end_time_when_the_export_has_no_duration() -> None:
    text = "Started,Ended,Pain Level\n2026-03-04 22:00,2026-03-05 01:30,5\n2026-03-06 10:00,2026-03-06 09:00,5\n"
    parsed = read_migraine_buddy_csv(text, LONDON)
    assert [(a.start, a.end, a.external_id) for a in parsed.attacks] == [
        (at("2026-03-04 22:00"), at("2026-03-05 01:30"), "")
    ]
    assert parsed.problems == ["line 3: Ended: must be after the start"]


def test_it_names_two_lines_whose_dates_read_in_different_orders() -> None:
    text = (
        '"#","Started","Lasted","Pain Level"\n'
        '"1","13/2/26 8:30","2h 0m","6"\n'
        '"2","2/14/26 8:30","2h 0m","6"\n'
    )
    parsed = read_migraine_buddy_csv(text, LONDON)
    assert parsed.needs_date_order
    assert parsed.problems == [
        'line 2: Started: "13/2/26 8:30" reads only day first, but line 3 has "2/14/26 8:30", '
        "which reads only month first; choose the date order (mdy or dmy) to see every line "
        "that does not fit it"
    ]
    assert read_migraine_buddy_csv(text, LONDON, date_order="dmy").problems == [
        "line 3: Started: is not a real date read as day/month/year (UK, Europe, Australia), "
        'got "2/14/26 8:30"'
    ]
