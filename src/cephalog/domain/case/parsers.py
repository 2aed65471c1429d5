"""Parsing and validating one record of a case (spec section 1)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

from cephalog.domain.case.checks import (
    _field,
    _list,
    _object,
    _start_stop,
    check_bool,
    check_choice,
    check_date,
    check_number,
    check_string,
    join,
)
from cephalog.domain.case.records import Injection, Medication, Patient, Preventive, ToxinExposure
from cephalog.domain.diary import DAY_FEATURES, AcuteMedication, DiaryDay
from cephalog.domain.vocab import (
    ACUTE_CLASS_CODES,
    INTENSITY_CODES,
    MEDICATION_CLASS_CODES,
    PREVENTIVE_CLASS_CODES,
    PREVENTIVE_OUTCOME_CODES,
    TOXIN_PRODUCT_CODES,
    ToxinProduct,
)

# --- Records -------------------------------------------------------------------------------


class Parser[R](Protocol):
    """A record's parser: the record and [] when valid, else None and every problem."""

    def __call__(self, obj: object, path: str = ...) -> tuple[R | None, list[str]]: ...


type _Reader[R] = Callable[[Mapping[str, Any], str, list[str]], R | None]


def _record[R](default_path: str = "") -> Callable[[_Reader[R]], Parser[R]]:
    """`parse_<record>` of a reader of the record's fields: the parser first checks that
    `obj` is an object; the reader adds its problems to the list and returns None when
    any field stops the record."""

    def parser(read: _Reader[R]) -> Parser[R]:
        def parse(obj: object, path: str = default_path) -> tuple[R | None, list[str]]:
            problems: list[str] = []
            item = _object(obj, path, problems)
            record = None if item is None else read(item, path, problems)
            return (None, problems) if record is None else (record, [])

        # Named and documented as the reader, with the parser's own signature.
        parse.__name__, parse.__qualname__ = read.__name__, read.__qualname__
        parse.__doc__ = read.__doc__
        return parse

    return parser


def _one_of(codes: Sequence[str]) -> Callable[[object, str, list[str]], str | None]:
    """The check of a code from the closed vocabulary `codes`."""
    return lambda v, p, pr: check_choice(v, p, codes, pr)


def _not_negative(
    *, maximum: float | None = None, whole: bool = False
) -> Callable[[object, str, list[str]], float | None]:
    """The check of a number 0 or more (at most `maximum`; whole if `whole`)."""
    return lambda v, p, pr: check_number(v, p, pr, minimum=0, maximum=maximum, whole=whole)


@_record()
def parse_acute_medication(
    item: Mapping[str, Any], path: str, problems: list[str]
) -> AcuteMedication | None:
    """One `acute_medications` item: `class` required, `name` optional, `effective` true/false/null."""
    name = _field(item, "name", path, problems, check_string)
    drug_class = _field(item, "class", path, problems, _one_of(ACUTE_CLASS_CODES), required=True)
    effective = _field(item, "effective", path, problems, check_bool)
    if problems or drug_class is None:
        return None
    return AcuteMedication(name=name or drug_class, drug_class=drug_class, effective=effective)


@_record()
def parse_diary_entry(entry: Mapping[str, Any], path: str, problems: list[str]) -> DiaryDay | None:
    """One `diary` entry (spec section 1).

    `date` and `headache_hours` (0 to 24) are required; `peak_intensity`
    is required when `headache_hours > 0`; booleans default to false,
    `aura_minutes` (a whole number, 0 or more) to 0, `acute_medications` to [].
    """
    date = _field(entry, "date", path, problems, check_date, required=True)
    hours = _field(
        entry, "headache_hours", path, problems, _not_negative(maximum=24), required=True
    )
    intensity = _field(entry, "peak_intensity", path, problems, _one_of(INTENSITY_CODES))
    if hours is not None and hours > 0 and entry.get("peak_intensity") is None:
        problems.append(f"{join(path, 'peak_intensity')}: required when headache_hours > 0")
    flags = {key: _field(entry, key, path, problems, check_bool) for key in DAY_FEATURES}
    aura = _field(entry, "aura_minutes", path, problems, _not_negative(whole=True))
    medications = _acute_medications(entry, path, problems)
    if problems or date is None or hours is None:
        return None
    return DiaryDay(
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
    )


def _acute_medications(
    entry: Mapping[str, Any], path: str, problems: list[str]
) -> list[AcuteMedication]:
    """A diary entry's `acute_medications`, each parsed; problems go to `problems`."""
    medications = []
    for item_path, item in _list(entry, "acute_medications", path, problems):
        medication, item_problems = parse_acute_medication(item, item_path)
        problems.extend(item_problems)
        if medication is not None:
            medications.append(medication)
    return medications


@_record()
def parse_injection(item: Mapping[str, Any], path: str, problems: list[str]) -> Injection | None:
    """One `injections` item: `date` required; `units` (0 or more) and `sites` optional."""
    date = _field(item, "date", path, problems, check_date, required=True)
    units = _field(item, "units", path, problems, _not_negative())
    sites = _field(item, "sites", path, problems, _not_negative(whole=True))
    if problems or date is None:
        return None
    return Injection(date=date, units=units, sites=None if sites is None else int(sites))


@_record()
def parse_toxin_exposure(
    item: Mapping[str, Any], path: str, problems: list[str]
) -> ToxinExposure | None:
    """One `toxin_exposures` item: `date` required; `units` (0 or more), `indication` and
    `product` (spec section 11.5; default onabotulinumtoxinA) optional."""
    date = _field(item, "date", path, problems, check_date, required=True)
    units = _field(item, "units", path, problems, _not_negative())
    indication = _field(item, "indication", path, problems, check_string)
    product = _field(item, "product", path, problems, _one_of(TOXIN_PRODUCT_CODES))
    if problems or date is None:
        return None
    return ToxinExposure(
        date=date,
        units=units,
        indication=indication,
        product=product or ToxinProduct.ONABOTULINUMTOXINA.value,
    )


@_record()
def parse_medication(item: Mapping[str, Any], path: str, problems: list[str]) -> Medication | None:
    """One `medications` item: `class` required; `name`, `start`, `stop` optional."""
    name = _field(item, "name", path, problems, check_string)
    drug_class = _field(
        item, "class", path, problems, _one_of(MEDICATION_CLASS_CODES), required=True
    )
    start, stop = _start_stop(item, path, problems)
    if problems or drug_class is None:
        return None
    return Medication(drug_class=drug_class, name=name, start=start, stop=stop)


@_record()
def parse_preventive(item: Mapping[str, Any], path: str, problems: list[str]) -> Preventive | None:
    """One `preventives` item: `name` and `outcome` required; `class`, `start`, `stop` optional."""
    name = _field(item, "name", path, problems, check_string, required=True)
    drug_class = _field(item, "class", path, problems, _one_of(PREVENTIVE_CLASS_CODES))
    start, stop = _start_stop(item, path, problems)
    outcome = _field(
        item, "outcome", path, problems, _one_of(PREVENTIVE_OUTCOME_CODES), required=True
    )
    if problems or name is None or outcome is None:
        return None
    return Preventive(name=name, outcome=outcome, drug_class=drug_class, start=start, stop=stop)


@_record("patient")
def parse_patient(item: Mapping[str, Any], path: str, problems: list[str]) -> Patient | None:
    """The `patient` object: `birth_date` required; `sex`, `chronic_headache_since` optional."""
    birth_date = _field(item, "birth_date", path, problems, check_date, required=True)
    sex = _field(item, "sex", path, problems, check_string)
    since = _field(item, "chronic_headache_since", path, problems, check_date)
    if problems or birth_date is None:
        return None
    return Patient(birth_date=birth_date, sex=sex, chronic_headache_since=since)


class Validator(Protocol):
    """A record's validator: the problems of `obj` (named from `path`), [] when valid."""

    def __call__(self, obj: object, path: str = ...) -> list[str]: ...


def _validator(
    parse: Callable[[object, str], tuple[object, list[str]]], default_path: str = ""
) -> Validator:
    """`validate_<record>` of `parse_<record>`: only its problems, [] when valid."""

    def validate(obj: object, path: str = default_path) -> list[str]:
        return parse(obj, path)[1]

    validate.__name__ = validate.__qualname__ = parse.__name__.replace("parse_", "validate_")
    validate.__doc__ = f"The problems of one record (`{parse.__name__}`), [] when valid."
    return validate


validate_diary_entry = _validator(parse_diary_entry)
validate_acute_medication = _validator(parse_acute_medication)
validate_injection = _validator(parse_injection)
validate_toxin_exposure = _validator(parse_toxin_exposure)
validate_medication = _validator(parse_medication)
validate_preventive = _validator(parse_preventive)
validate_patient = _validator(parse_patient, "patient")
