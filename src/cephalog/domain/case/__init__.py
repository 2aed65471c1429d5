"""The case: typed records, and parsing and validation of `cephalog.case/1` (spec section 1).

`parse_case_text(text)` and `parse_case(obj)` return a `Case` or raise
`CaseError` listing every problem found, one string per problem, each
starting with the JSON path of the value at fault:

    diary[12].headache_hours: must be between 0 and 24, got 30

The per-record functions (`validate_diary_entry`, `validate_injection`, ...)
and the per-value checks (`check_date`, `check_number`, ...) are public so
that the web forms and the API give the same messages for the same faults.
Pass `path=""` to get bare field names (`headache_hours: ...`).

Decisions (see docs/assessment-decisions.md): unknown keys are ignored (for
forward compatibility) but unknown vocabulary values are errors; a null
value for an optional key means the key is absent; each record requires the
keys the rules read.

The package: `records`, `checks` (per-value checks), `parsers` (per-record parsing and
validation) and `file` (`parse_case`, `parse_case_text`).
"""

from __future__ import annotations

from cephalog.domain.case.checks import (
    check_bool,
    check_choice,
    check_date,
    check_number,
    check_string,
    describe,
    join,
)
from cephalog.domain.case.file import (
    parse_case,
    parse_case_text,
)
from cephalog.domain.case.parsers import (
    parse_acute_medication,
    parse_diary_entry,
    parse_injection,
    parse_medication,
    parse_patient,
    parse_preventive,
    parse_toxin_exposure,
    validate_acute_medication,
    validate_diary_entry,
    validate_injection,
    validate_medication,
    validate_patient,
    validate_preventive,
    validate_toxin_exposure,
)
from cephalog.domain.case.records import (
    CASE_FORMAT,
    ROOT,
    Case,
    CaseError,
    Injection,
    Medication,
    Patient,
    Preventive,
    ToxinExposure,
)

__all__ = [
    "CASE_FORMAT",
    "ROOT",
    "Case",
    "CaseError",
    "Injection",
    "Medication",
    "Patient",
    "Preventive",
    "ToxinExposure",
    "check_bool",
    "check_choice",
    "check_date",
    "check_number",
    "check_string",
    "describe",
    "join",
    "parse_acute_medication",
    "parse_case",
    "parse_case_text",
    "parse_diary_entry",
    "parse_injection",
    "parse_medication",
    "parse_patient",
    "parse_preventive",
    "parse_toxin_exposure",
    "validate_acute_medication",
    "validate_diary_entry",
    "validate_injection",
    "validate_medication",
    "validate_patient",
    "validate_preventive",
    "validate_toxin_exposure",
]
