"""Parsing a whole `cephalog.case/1` file (spec section 1)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from cephalog.domain.case.checks import (
    _field,
    _list,
    _object,
    check_choice,
    check_date,
    describe,
    join,
)
from cephalog.domain.case.parsers import (
    parse_diary_entry,
    parse_injection,
    parse_medication,
    parse_patient,
    parse_preventive,
    parse_toxin_exposure,
)
from cephalog.domain.case.records import CASE_FORMAT, ROOT, Case, CaseError
from cephalog.domain.vocab import (
    ALLERGY_CODES,
    CONDITION_CODES,
)

# --- The case file -------------------------------------------------------------------------


def _records[T](
    items: Iterable[tuple[str, object]],
    parse: Callable[[object, str], tuple[T | None, list[str]]],
    problems: list[str],
) -> list[tuple[str, T]]:
    records = []
    for path, item in items:
        record, item_problems = parse(item, path)
        problems.extend(item_problems)
        if record is not None:
            records.append((path, record))
    return records


def _codes(
    obj: Mapping[str, Any], key: str, choices: Sequence[str], problems: list[str]
) -> tuple[str, ...]:
    codes = set()
    for path, item in _list(obj, key, "", problems):
        code = check_choice(item, path, choices, problems)
        if code is not None:
            codes.add(code)
    return tuple(sorted(codes))


def _unique_dates(items: Iterable[tuple[str, object]], problems: list[str]) -> None:
    """Report entries whose valid `date` repeats an earlier entry's, whatever else is wrong."""
    first: dict[dt.date, str] = {}
    for path, item in items:
        if not isinstance(item, dict):
            continue
        date = check_date(item.get("date"), "", [])
        if date is None:
            continue
        if date in first:
            problems.append(
                f"{join(path, 'date')}: duplicate date {date.isoformat()}, also at {first[date]}"
            )
        else:
            first[date] = path


def parse_case(obj: object) -> Case:
    """Validate a decoded `cephalog.case/1` document and build its `Case` (spec section 1).

    Raises `CaseError` with every problem found. `assessed_on` defaults to
    the latest diary date.
    """
    problems: list[str] = []
    root = _object(obj, "", problems)
    if root is None:
        raise CaseError(problems)

    tag = root.get("format")
    if tag is None:
        problems.append("format: required")
    elif tag != CASE_FORMAT:
        problems.append(f'format: must be "{CASE_FORMAT}", got {describe(tag)}')
    assessed_on = _field(root, "assessed_on", "", problems, check_date)

    patient = None
    if root.get("patient") is None:
        problems.append("patient: required")
    else:
        patient, patient_problems = parse_patient(root["patient"], "patient")
        problems.extend(patient_problems)

    conditions = _codes(root, "conditions", CONDITION_CODES, problems)
    allergies = _codes(root, "allergies", ALLERGY_CODES, problems)
    medications = _records(_list(root, "medications", "", problems), parse_medication, problems)
    preventives = _records(_list(root, "preventives", "", problems), parse_preventive, problems)
    exposures = _records(
        _list(root, "toxin_exposures", "", problems), parse_toxin_exposure, problems
    )
    diary_items = _list(root, "diary", "", problems, required=True)
    diary = _records(diary_items, parse_diary_entry, problems)
    _unique_dates(diary_items, problems)
    injection_items = _list(root, "injections", "", problems)
    injections = _records(injection_items, parse_injection, problems)
    _unique_dates(injection_items, problems)

    if assessed_on is None and root.get("assessed_on") is None:
        if diary:
            assessed_on = max(day.date for _, day in diary)
        elif isinstance(root.get("diary"), list) and not diary_items:
            problems.append("assessed_on: required when the diary is empty")

    if problems or patient is None or assessed_on is None:
        raise CaseError(problems or ["$: invalid case"])
    return Case(
        patient=patient,
        assessed_on=assessed_on,
        diary=tuple(sorted((day for _, day in diary), key=lambda day: day.date)),
        conditions=conditions,
        allergies=allergies,
        medications=tuple(record for _, record in medications),
        preventives=tuple(record for _, record in preventives),
        toxin_exposures=tuple(record for _, record in exposures),
        injections=tuple(sorted((i for _, i in injections), key=lambda i: i.date)),
    )


def _refuse_constant(name: str) -> object:
    raise ValueError(f"{name} is not a JSON number")


def parse_case_text(text: str | bytes) -> Case:
    """Decode and validate a `cephalog.case/1` file (spec section 1); raises `CaseError`.

    Malformed JSON, including NaN and Infinity, is reported at path `$`.
    """
    try:
        obj = json.loads(text, parse_constant=_refuse_constant)
    except json.JSONDecodeError as error:
        raise CaseError(
            [f"{ROOT}: malformed JSON: {error.msg} (line {error.lineno}, column {error.colno})"]
        ) from None
    except (ValueError, RecursionError) as error:
        raise CaseError([f"{ROOT}: malformed JSON: {error}"]) from None
    return parse_case(obj)
