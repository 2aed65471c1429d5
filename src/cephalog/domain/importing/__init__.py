"""Diary files in and out (issue 3, part 6): cephalog's days and attacks CSV, and
Migraine Buddy's CSV export. Text in, domain objects and messages out; no I/O.

Every problem is one string naming the line of the file (the header is line 1)
and the field, e.g. `line 7: headache_hours: must be between 0 and 24, got 30`.
Day fields are validated by `cephalog.domain.case.parse_diary_entry`, so an
import gives the same messages as the forms, the API and `cephalog assess`.

Decisions (documented here because the export formats have no other spec):

- Pain level 0-10 (Migraine Buddy) maps to the diary's peak intensity:
  0 = no headache, 1-3 mild, 4-6 moderate, 7-10 severe (`pain_to_intensity`).
- A duration is days, hours and minutes in that order, each optional, at least
  one given: `01h 00m`, `1d 02h 15m`, `45m`, `2h`; 0 and more than 31 days are
  refused (`parse_duration`).
- An attack counts on every local date it covers, with the time it covers on
  that date; attacks on one date count as the union of the time they cover and
  the highest intensity (`covered_time`, `days_from_attacks`). Symptoms count on
  every date the attack covers; medicines and aura only on the date the attack
  started, so an overnight attack does not make two medication days.
- An imported day never erases what is already recorded for that date: hours,
  intensity and aura take the larger value, symptoms are OR-ed, medicines are
  added (`merge_days`). Re-importing a file therefore changes nothing.
- A medicine not in `cephalog.domain.catalogue` is reported, never guessed: it
  is left out of the day unless the importer names its class.

The package: `values` (columns, limits, durations, pain, date-times, time on each
date), `days` (attacks into days, merging), `files` (cephalog's CSV files),
`mb_terms` and `migraine_buddy` (Migraine Buddy's export).
"""

from __future__ import annotations

from cephalog.domain.csvcells import guard_cell, unguard_cell
from cephalog.domain.importing.days import (
    AttackFacts,
    day_to_case,
    days_from_attacks,
    merge_days,
    merge_notes,
    normalise_day,
    notes_by_date,
)
from cephalog.domain.importing.files import (
    AttacksFile,
    DaysFile,
    Row,
    _boolean,
    _number,
    attack_row,
    csv_body,
    csv_header,
    day_row,
    decode_medications,
    encode_medications,
    header_key,
    read_attacks_csv,
    read_days_csv,
    read_rows,
)
from cephalog.domain.importing.mb_terms import (
    DATE_ORDERS,
    MAX_OFFSET,
    MB_ALIASES,
    MB_IMPORTED,
    MB_MEDICATION_COLUMNS,
    MB_ONGOING_ALIASES,
    MB_SYMPTOMS,
    date_orders,
    detect_date_order,
    parse_any_duration,
    parse_stamp,
    read_medicine,
    side_of,
)
from cephalog.domain.importing.migraine_buddy import (
    MigraineBuddyFile,
    read_migraine_buddy_csv,
)
from cephalog.domain.importing.values import (
    ATTACK_COLUMNS,
    ATTACK_DERIVED_COLUMNS,
    ATTACKS_HEADER,
    DAY_COLUMNS,
    DAYS_HEADER,
    DERIVED_COLUMNS,
    FLAGS,
    MAX_ATTACK,
    MAX_EXTERNAL_ID,
    MAX_MEDICINE_NAME,
    MAX_NOTES,
    NOTES_COLUMN,
    UTC,
    covered_time,
    format_duration,
    hours,
    max_intensity,
    pain_to_intensity,
    parse_aware_datetime,
    parse_duration,
    parse_local_datetime,
    split_by_date,
)

__all__ = [
    "ATTACKS_HEADER",
    "ATTACK_COLUMNS",
    "ATTACK_DERIVED_COLUMNS",
    "AttackFacts",
    "AttacksFile",
    "DATE_ORDERS",
    "DAYS_HEADER",
    "DAY_COLUMNS",
    "DERIVED_COLUMNS",
    "DaysFile",
    "FLAGS",
    "MAX_ATTACK",
    "MAX_EXTERNAL_ID",
    "MAX_MEDICINE_NAME",
    "MAX_NOTES",
    "MAX_OFFSET",
    "MB_ALIASES",
    "MB_IMPORTED",
    "MB_MEDICATION_COLUMNS",
    "MB_ONGOING_ALIASES",
    "MB_SYMPTOMS",
    "MigraineBuddyFile",
    "NOTES_COLUMN",
    "Row",
    "UTC",
    "_boolean",
    "_number",
    "attack_row",
    "covered_time",
    "csv_body",
    "csv_header",
    "date_orders",
    "day_row",
    "day_to_case",
    "days_from_attacks",
    "decode_medications",
    "detect_date_order",
    "encode_medications",
    "format_duration",
    "guard_cell",
    "header_key",
    "hours",
    "max_intensity",
    "merge_days",
    "merge_notes",
    "normalise_day",
    "notes_by_date",
    "pain_to_intensity",
    "parse_any_duration",
    "parse_aware_datetime",
    "parse_duration",
    "parse_local_datetime",
    "parse_stamp",
    "read_attacks_csv",
    "read_days_csv",
    "read_medicine",
    "read_migraine_buddy_csv",
    "read_rows",
    "side_of",
    "split_by_date",
    "unguard_cell",
]
