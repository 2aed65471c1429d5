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
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cephalog.domain.diary import AcuteMedication, DiaryDay
from cephalog.domain.vocab import (
    ACUTE_CLASS_CODES,
    ALLERGY_CODES,
    CONDITION_CODES,
    INTENSITY_CODES,
    MEDICATION_CLASS_CODES,
    PREVENTIVE_CLASS_CODES,
    PREVENTIVE_OUTCOME_CODES,
    TOXIN_PRODUCT_CODES,
    ToxinProduct,
)

#: The format tag of a case file (spec section 1).
CASE_FORMAT = "cephalog.case/1"
#: Path used for problems with the file as a whole.
ROOT = "$"


# --- Records -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Patient:
    """The patient of a case (spec section 1, `patient`)."""

    birth_date: dt.date
    sex: str | None = None
    chronic_headache_since: dt.date | None = None


@dataclass(frozen=True, slots=True)
class Medication:
    """A non-headache medication (spec section 1, `medications`).

    `drug_class` is a code of `vocab.MedicationClass`; no `start` means
    taken since before the record, no `stop` means still taken.
    """

    drug_class: str
    name: str | None = None
    start: dt.date | None = None
    stop: dt.date | None = None

    def current_on(self, day: dt.date) -> bool:
        """Taken on `day`: no start or start <= day, and no stop or stop >= day (spec section 6)."""
        return (self.start is None or self.start <= day) and (self.stop is None or self.stop >= day)


@dataclass(frozen=True, slots=True)
class Preventive:
    """A preventive treatment tried (spec section 1, `preventives`).

    `outcome` is a code of `vocab.PreventiveOutcome`; `drug_class` of
    `vocab.PreventiveClass`. No `start` means a past treatment of unknown date.
    """

    name: str
    outcome: str
    drug_class: str | None = None
    start: dt.date | None = None
    stop: dt.date | None = None


@dataclass(frozen=True, slots=True)
class ToxinExposure:
    """A botulinum toxin treatment for another indication (spec section 1, `toxin_exposures`).

    `product` is a code of `vocab.ToxinProduct` (spec section 11.5),
    onabotulinumtoxinA when the case names none. Units of different
    products are not interchangeable and are never added together.
    """

    date: dt.date
    units: float | None = None
    indication: str | None = None
    product: str = ToxinProduct.ONABOTULINUMTOXINA.value


@dataclass(frozen=True, slots=True)
class Injection:
    """A chronic-migraine injection session (spec section 1, `injections`)."""

    date: dt.date
    units: float | None = None
    sites: int | None = None


@dataclass(frozen=True, slots=True)
class Case:
    """Everything an assessment reads (spec section 1), already validated.

    `diary` and `injections` are sorted by date, one entry per date.
    """

    patient: Patient
    assessed_on: dt.date
    diary: tuple[DiaryDay, ...]
    conditions: tuple[str, ...] = ()
    allergies: tuple[str, ...] = ()
    medications: tuple[Medication, ...] = ()
    preventives: tuple[Preventive, ...] = ()
    toxin_exposures: tuple[ToxinExposure, ...] = ()
    injections: tuple[Injection, ...] = ()

    @property
    def days(self) -> dict[dt.date, DiaryDay]:
        """The diary by date; dates missing from it are unrecorded (spec section 1)."""
        return {day.date: day for day in self.diary}

    @property
    def injection_dates(self) -> tuple[dt.date, ...]:
        """Injection dates, sorted."""
        return tuple(sorted(injection.date for injection in self.injections))


class CaseError(ValueError):
    """A case that cannot be assessed; `problems` holds one message per fault, with its path."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems: tuple[str, ...] = tuple(problems)
        super().__init__("\n".join(self.problems))


# --- Value checks (shared with the web forms and the API) ----------------------------------


def describe(value: object) -> str:
    """A value as it would appear in JSON, shortened, for error messages."""
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def join(path: str, key: str | int) -> str:
    """The path of `key` inside `path`: `diary[3]` + `date` → `diary[3].date`."""
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def check_date(value: object, path: str, problems: list[str]) -> dt.date | None:
    """A strict ISO 8601 calendar date, `YYYY-MM-DD` (spec section 1)."""
    if isinstance(value, str) and _DATE.fullmatch(value):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    problems.append(f"{path}: must be a date YYYY-MM-DD, got {describe(value)}")
    return None


def check_bool(value: object, path: str, problems: list[str]) -> bool | None:
    """A JSON boolean; numbers and strings are refused."""
    if isinstance(value, bool):
        return value
    problems.append(f"{path}: must be true or false, got {describe(value)}")
    return None


def check_number(
    value: object,
    path: str,
    problems: list[str],
    *,
    minimum: float | None = None,
    maximum: float | None = None,
    whole: bool = False,
) -> float | None:
    """A finite JSON number (booleans refused), optionally whole and within bounds."""
    number = math.nan
    if isinstance(value, int | float) and not isinstance(value, bool):
        with contextlib.suppress(OverflowError):  # an integer too large for a float
            number = float(value)
    if not math.isfinite(number):
        problems.append(f"{path}: must be a number, got {describe(value)}")
        return None
    if whole and not number.is_integer():
        problems.append(f"{path}: must be a whole number, got {describe(value)}")
        return None
    if minimum is not None and maximum is not None and not minimum <= number <= maximum:
        problems.append(
            f"{path}: must be between {minimum:g} and {maximum:g}, got {describe(value)}"
        )
        return None
    if minimum is not None and number < minimum:
        problems.append(f"{path}: must be {minimum:g} or more, got {describe(value)}")
        return None
    if maximum is not None and number > maximum:
        problems.append(f"{path}: must be {maximum:g} or less, got {describe(value)}")
        return None
    return number


def check_string(value: object, path: str, problems: list[str]) -> str | None:
    """A non-empty JSON string."""
    if not isinstance(value, str):
        problems.append(f"{path}: must be a string, got {describe(value)}")
        return None
    if not value.strip():
        problems.append(f"{path}: must not be empty")
        return None
    return value


def check_choice(
    value: object, path: str, choices: Sequence[str], problems: list[str]
) -> str | None:
    """A code from a closed vocabulary (spec section 1, vocabularies)."""
    if isinstance(value, str) and value in choices:
        return value
    problems.append(f"{path}: must be one of {', '.join(choices)}; got {describe(value)}")
    return None


def _field[T](
    obj: Mapping[str, Any],
    key: str,
    path: str,
    problems: list[str],
    check: Callable[[object, str, list[str]], T | None],
    *,
    required: bool = False,
) -> T | None:
    """Read `obj[key]` with `check`; absent or null is None, or "required"."""
    value = obj.get(key)
    if value is None:
        if required:
            problems.append(f"{join(path, key)}: required")
        return None
    return check(value, join(path, key), problems)


def _object(obj: object, path: str, problems: list[str]) -> Mapping[str, Any] | None:
    if isinstance(obj, dict):
        return obj
    problems.append(f"{path or ROOT}: must be an object, got {describe(obj)}")
    return None


def _list(
    obj: Mapping[str, Any], key: str, path: str, problems: list[str], *, required: bool = False
) -> list[tuple[str, object]]:
    """The items of the list `obj[key]` with their paths; absent or null is empty."""
    value = obj.get(key)
    item_path = join(path, key)
    if value is None:
        if required:
            problems.append(f"{item_path}: required")
        return []
    if not isinstance(value, list):
        problems.append(f"{item_path}: must be a list, got {describe(value)}")
        return []
    return [(join(item_path, index), item) for index, item in enumerate(value)]


def _start_stop(
    obj: Mapping[str, Any], path: str, problems: list[str]
) -> tuple[dt.date | None, dt.date | None]:
    start = _field(obj, "start", path, problems, check_date)
    stop = _field(obj, "stop", path, problems, check_date)
    if start is not None and stop is not None and stop < start:
        problems.append(
            f"{join(path, 'stop')}: must not be before start {start.isoformat()}, "
            f"got {describe(stop.isoformat())}"
        )
    return start, stop


# --- Records -------------------------------------------------------------------------------


def parse_acute_medication(obj: object, path: str = "") -> tuple[AcuteMedication | None, list[str]]:
    """One `acute_medications` item: `class` required, `name` optional, `effective` true/false/null."""
    problems: list[str] = []
    item = _object(obj, path, problems)
    if item is None:
        return None, problems
    name = _field(item, "name", path, problems, check_string)
    drug_class = _field(
        item,
        "class",
        path,
        problems,
        lambda v, p, pr: check_choice(v, p, ACUTE_CLASS_CODES, pr),
        required=True,
    )
    effective = _field(item, "effective", path, problems, check_bool)
    if problems or drug_class is None:
        return None, problems
    return AcuteMedication(name=name or drug_class, drug_class=drug_class, effective=effective), []


_DAY_FLAGS = (
    "unilateral",
    "pulsating",
    "aggravated_by_activity",
    "nausea",
    "vomiting",
    "photophobia",
    "phonophobia",
)


def parse_diary_entry(obj: object, path: str = "") -> tuple[DiaryDay | None, list[str]]:
    """One `diary` entry (spec section 1).

    `date` and `headache_hours` (0 to 24) are required; `peak_intensity`
    is required when `headache_hours > 0`; booleans default to false,
    `aura_minutes` (a whole number, 0 or more) to 0, `acute_medications` to [].
    """
    problems: list[str] = []
    entry = _object(obj, path, problems)
    if entry is None:
        return None, problems
    date = _field(entry, "date", path, problems, check_date, required=True)
    hours = _field(
        entry,
        "headache_hours",
        path,
        problems,
        lambda v, p, pr: check_number(v, p, pr, minimum=0, maximum=24),
        required=True,
    )
    intensity = _field(
        entry,
        "peak_intensity",
        path,
        problems,
        lambda v, p, pr: check_choice(v, p, INTENSITY_CODES, pr),
    )
    if hours is not None and hours > 0 and entry.get("peak_intensity") is None:
        problems.append(f"{join(path, 'peak_intensity')}: required when headache_hours > 0")
    flags = {key: _field(entry, key, path, problems, check_bool) for key in _DAY_FLAGS}
    aura = _field(
        entry,
        "aura_minutes",
        path,
        problems,
        lambda v, p, pr: check_number(v, p, pr, minimum=0, whole=True),
    )
    medications = []
    for item_path, item in _list(entry, "acute_medications", path, problems):
        medication, item_problems = parse_acute_medication(item, item_path)
        problems.extend(item_problems)
        if medication is not None:
            medications.append(medication)
    if problems or date is None or hours is None:
        return None, problems
    return (
        DiaryDay(
            date=date,
            headache_hours=hours,
            peak_intensity=intensity,
            unilateral=bool(flags["unilateral"]),
            pulsating=bool(flags["pulsating"]),
            aggravated_by_activity=bool(flags["aggravated_by_activity"]),
            nausea=bool(flags["nausea"]),
            vomiting=bool(flags["vomiting"]),
            photophobia=bool(flags["photophobia"]),
            phonophobia=bool(flags["phonophobia"]),
            aura_minutes=int(aura or 0),
            acute_medications=tuple(medications),
        ),
        [],
    )


def parse_injection(obj: object, path: str = "") -> tuple[Injection | None, list[str]]:
    """One `injections` item: `date` required; `units` (0 or more) and `sites` optional."""
    problems: list[str] = []
    item = _object(obj, path, problems)
    if item is None:
        return None, problems
    date = _field(item, "date", path, problems, check_date, required=True)
    units = _field(
        item, "units", path, problems, lambda v, p, pr: check_number(v, p, pr, minimum=0)
    )
    sites = _field(
        item,
        "sites",
        path,
        problems,
        lambda v, p, pr: check_number(v, p, pr, minimum=0, whole=True),
    )
    if problems or date is None:
        return None, problems
    return Injection(date=date, units=units, sites=None if sites is None else int(sites)), []


def parse_toxin_exposure(obj: object, path: str = "") -> tuple[ToxinExposure | None, list[str]]:
    """One `toxin_exposures` item: `date` required; `units` (0 or more), `indication` and
    `product` (spec section 11.5; default onabotulinumtoxinA) optional."""
    problems: list[str] = []
    item = _object(obj, path, problems)
    if item is None:
        return None, problems
    date = _field(item, "date", path, problems, check_date, required=True)
    units = _field(
        item, "units", path, problems, lambda v, p, pr: check_number(v, p, pr, minimum=0)
    )
    indication = _field(item, "indication", path, problems, check_string)
    product = _field(
        item,
        "product",
        path,
        problems,
        lambda v, p, pr: check_choice(v, p, TOXIN_PRODUCT_CODES, pr),
    )
    if problems or date is None:
        return None, problems
    return (
        ToxinExposure(
            date=date,
            units=units,
            indication=indication,
            product=product or ToxinProduct.ONABOTULINUMTOXINA.value,
        ),
        [],
    )


def parse_medication(obj: object, path: str = "") -> tuple[Medication | None, list[str]]:
    """One `medications` item: `class` required; `name`, `start`, `stop` optional."""
    problems: list[str] = []
    item = _object(obj, path, problems)
    if item is None:
        return None, problems
    name = _field(item, "name", path, problems, check_string)
    drug_class = _field(
        item,
        "class",
        path,
        problems,
        lambda v, p, pr: check_choice(v, p, MEDICATION_CLASS_CODES, pr),
        required=True,
    )
    start, stop = _start_stop(item, path, problems)
    if problems or drug_class is None:
        return None, problems
    return Medication(drug_class=drug_class, name=name, start=start, stop=stop), []


def parse_preventive(obj: object, path: str = "") -> tuple[Preventive | None, list[str]]:
    """One `preventives` item: `name` and `outcome` required; `class`, `start`, `stop` optional."""
    problems: list[str] = []
    item = _object(obj, path, problems)
    if item is None:
        return None, problems
    name = _field(item, "name", path, problems, check_string, required=True)
    drug_class = _field(
        item,
        "class",
        path,
        problems,
        lambda v, p, pr: check_choice(v, p, PREVENTIVE_CLASS_CODES, pr),
    )
    start, stop = _start_stop(item, path, problems)
    outcome = _field(
        item,
        "outcome",
        path,
        problems,
        lambda v, p, pr: check_choice(v, p, PREVENTIVE_OUTCOME_CODES, pr),
        required=True,
    )
    if problems or name is None or outcome is None:
        return None, problems
    return (
        Preventive(name=name, outcome=outcome, drug_class=drug_class, start=start, stop=stop),
        [],
    )


def parse_patient(obj: object, path: str = "patient") -> tuple[Patient | None, list[str]]:
    """The `patient` object: `birth_date` required; `sex`, `chronic_headache_since` optional."""
    problems: list[str] = []
    item = _object(obj, path, problems)
    if item is None:
        return None, problems
    birth_date = _field(item, "birth_date", path, problems, check_date, required=True)
    sex = _field(item, "sex", path, problems, check_string)
    since = _field(item, "chronic_headache_since", path, problems, check_date)
    if problems or birth_date is None:
        return None, problems
    return Patient(birth_date=birth_date, sex=sex, chronic_headache_since=since), []


def validate_diary_entry(obj: object, path: str = "") -> list[str]:
    """The problems of one diary entry (`parse_diary_entry`), [] when valid."""
    return parse_diary_entry(obj, path)[1]


def validate_acute_medication(obj: object, path: str = "") -> list[str]:
    """The problems of one acute medication (`parse_acute_medication`), [] when valid."""
    return parse_acute_medication(obj, path)[1]


def validate_injection(obj: object, path: str = "") -> list[str]:
    """The problems of one injection (`parse_injection`), [] when valid."""
    return parse_injection(obj, path)[1]


def validate_toxin_exposure(obj: object, path: str = "") -> list[str]:
    """The problems of one toxin exposure (`parse_toxin_exposure`), [] when valid."""
    return parse_toxin_exposure(obj, path)[1]


def validate_medication(obj: object, path: str = "") -> list[str]:
    """The problems of one other medication (`parse_medication`), [] when valid."""
    return parse_medication(obj, path)[1]


def validate_preventive(obj: object, path: str = "") -> list[str]:
    """The problems of one preventive (`parse_preventive`), [] when valid."""
    return parse_preventive(obj, path)[1]


def validate_patient(obj: object, path: str = "patient") -> list[str]:
    """The problems of the patient object (`parse_patient`), [] when valid."""
    return parse_patient(obj, path)[1]


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
