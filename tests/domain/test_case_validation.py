"""Parsing and validation of `cephalog.case/1` (spec section 1)."""

from __future__ import annotations

import copy
import datetime as dt
import json
from typing import Any

import pytest

from cephalog.domain.case import (
    CaseError,
    Injection,
    Medication,
    Patient,
    Preventive,
    ToxinExposure,
    parse_case,
    parse_case_text,
    validate_diary_entry,
    validate_injection,
    validate_patient,
)
from cephalog.domain.diary import AcuteMedication, DiaryDay

VALID: dict[str, Any] = {
    "format": "cephalog.case/1",
    "assessed_on": "2026-06-30",
    "patient": {
        "birth_date": "1981-04-12",
        "sex": "female",
        "chronic_headache_since": "2025-01-01",
    },
    "conditions": ["myasthenia_gravis"],
    "allergies": ["botulinum_toxin"],
    "medications": [
        {"name": "gentamicin", "class": "aminoglycoside", "start": "2026-05-01", "stop": None}
    ],
    "preventives": [
        {
            "name": "topiramate",
            "class": "antiepileptic",
            "start": "2024-01-01",
            "stop": "2024-04-01",
            "outcome": "inadequate_response",
        }
    ],
    "toxin_exposures": [{"date": "2026-04-01", "units": 100, "indication": "cervical_dystonia"}],
    "diary": [
        {"date": "2026-01-01", "headache_hours": 0},
        {
            "date": "2026-01-02",
            "headache_hours": 6.5,
            "peak_intensity": "severe",
            "unilateral": True,
            "pulsating": True,
            "aggravated_by_activity": False,
            "nausea": True,
            "vomiting": False,
            "photophobia": True,
            "phonophobia": False,
            "aura_minutes": 0,
            "acute_medications": [{"name": "sumatriptan", "class": "triptan", "effective": True}],
        },
    ],
    "injections": [{"date": "2026-02-01", "units": 155, "sites": 31}],
}


def problems_of(doc: object) -> list[str]:
    with pytest.raises(CaseError) as caught:
        parse_case(doc)
    return list(caught.value.problems)


def with_(path: str, value: Any) -> dict[str, Any]:
    """VALID with the value at a dotted path (`diary.1.headache_hours`) replaced or removed."""
    doc = copy.deepcopy(VALID)
    *parents, last = path.split(".")
    target: Any = doc
    for part in parents:
        target = target[int(part)] if isinstance(target, list) else target[part]
    key: Any = int(last) if isinstance(target, list) else last
    if value is REMOVE:
        del target[key]
    else:
        target[key] = value
    return doc


REMOVE = object()


def test_it_parses_the_spec_example() -> None:
    case = parse_case(VALID)
    assert case.assessed_on == dt.date(2026, 6, 30)
    assert case.patient == Patient(dt.date(1981, 4, 12), "female", dt.date(2025, 1, 1))
    assert case.conditions == ("myasthenia_gravis",)
    assert case.allergies == ("botulinum_toxin",)
    assert case.medications == (
        Medication("aminoglycoside", "gentamicin", dt.date(2026, 5, 1), None),
    )
    assert case.preventives == (
        Preventive(
            "topiramate",
            "inadequate_response",
            "antiepileptic",
            dt.date(2024, 1, 1),
            dt.date(2024, 4, 1),
        ),
    )
    assert case.toxin_exposures == (ToxinExposure(dt.date(2026, 4, 1), 100, "cervical_dystonia"),)
    assert case.injections == (Injection(dt.date(2026, 2, 1), 155, 31),)
    assert case.diary == (
        DiaryDay(dt.date(2026, 1, 1), 0),
        DiaryDay(
            dt.date(2026, 1, 2),
            6.5,
            "severe",
            unilateral=True,
            pulsating=True,
            nausea=True,
            photophobia=True,
            acute_medications=(AcuteMedication("sumatriptan", "triptan", True),),
        ),
    )


def test_it_applies_the_defaults() -> None:
    case = parse_case(
        {
            "format": "cephalog.case/1",
            "patient": {"birth_date": "1981-04-12"},
            "diary": [
                {
                    "date": "2026-01-03",
                    "headache_hours": 5,
                    "peak_intensity": "mild",
                    "acute_medications": [{"class": "triptan"}],
                },
                {"date": "2026-01-01", "headache_hours": 0},
            ],
        }
    )
    assert case.assessed_on == dt.date(2026, 1, 3)  # the latest diary date
    assert case.conditions == case.allergies == ()
    assert (case.medications, case.preventives) == ((), ())
    assert (case.toxin_exposures, case.injections) == ((), ())
    assert [day.date.day for day in case.diary] == [1, 3]  # sorted
    day = case.diary[1]
    assert not any(
        [
            day.unilateral,
            day.pulsating,
            day.aggravated_by_activity,
            day.nausea,
            day.vomiting,
            day.photophobia,
            day.phonophobia,
        ]
    )
    assert day.aura_minutes == 0
    assert day.acute_medications[0].effective is None


def test_it_ignores_unknown_keys_and_treats_null_as_absent() -> None:
    doc = copy.deepcopy(VALID)
    doc["x_exported_by"] = "paper"
    doc["diary"][0]["mood"] = "fine"
    doc["diary"][1]["nausea"] = None
    doc["patient"]["chronic_headache_since"] = None
    doc["injections"] = None
    case = parse_case(doc)
    assert not case.diary[1].nausea
    assert case.patient.chronic_headache_since is None
    assert case.injections == ()


def test_it_sorts_and_deduplicates_codes() -> None:
    case = parse_case(with_("conditions", ["pregnancy", "dysphagia", "pregnancy"]))
    assert case.conditions == ("dysphagia", "pregnancy")


@pytest.mark.parametrize(
    ("path", "value", "problem"),
    [
        ("format", "cephalog.case/2", 'format: must be "cephalog.case/1", got "cephalog.case/2"'),
        ("format", REMOVE, "format: required"),
        ("assessed_on", "2026-6-30", 'assessed_on: must be a date YYYY-MM-DD, got "2026-6-30"'),
        ("assessed_on", "2026-02-30", 'assessed_on: must be a date YYYY-MM-DD, got "2026-02-30"'),
        ("assessed_on", "20260630", 'assessed_on: must be a date YYYY-MM-DD, got "20260630"'),
        (
            "assessed_on",
            "2026-06-30T00:00",
            'assessed_on: must be a date YYYY-MM-DD, got "2026-06-30T00:00"',
        ),
        ("assessed_on", 20260630, "assessed_on: must be a date YYYY-MM-DD, got 20260630"),
        ("patient", REMOVE, "patient: required"),
        ("patient", "Jane", 'patient: must be an object, got "Jane"'),
        ("patient.birth_date", REMOVE, "patient.birth_date: required"),
        (
            "patient.birth_date",
            "12/04/1981",
            'patient.birth_date: must be a date YYYY-MM-DD, got "12/04/1981"',
        ),
        (
            "patient.chronic_headache_since",
            "2025",
            'patient.chronic_headache_since: must be a date YYYY-MM-DD, got "2025"',
        ),
        ("patient.sex", 1, "patient.sex: must be a string, got 1"),
        ("conditions", "pregnancy", 'conditions: must be a list, got "pregnancy"'),
        (
            "conditions.0",
            "migraine",
            'conditions[0]: must be one of myasthenia_gravis, lambert_eaton, als, motor_neuropathy, dysphagia, respiratory_compromise, pregnancy, breastfeeding, immunocompromised, multiple_sclerosis, cerebral_palsy, injection_site_infection; got "migraine"',
        ),
        ("allergies.0", "latex", 'allergies[0]: must be one of botulinum_toxin; got "latex"'),
        (
            "medications.0.class",
            "antibiotic",
            'medications[0].class: must be one of aminoglycoside, neuromuscular_blocker, anticholinergic, muscle_relaxant, other; got "antibiotic"',
        ),
        ("medications.0.class", REMOVE, "medications[0].class: required"),
        (
            "medications.0.start",
            "May 2026",
            'medications[0].start: must be a date YYYY-MM-DD, got "May 2026"',
        ),
        (
            "medications.0.stop",
            "2026-04-30",
            'medications[0].stop: must not be before start 2026-05-01, got "2026-04-30"',
        ),
        ("medications.0", "gentamicin", 'medications[0]: must be an object, got "gentamicin"'),
        (
            "preventives.0.outcome",
            "failed",
            'preventives[0].outcome: must be one of inadequate_response, intolerance, contraindicated, effective, ongoing; got "failed"',
        ),
        ("preventives.0.outcome", REMOVE, "preventives[0].outcome: required"),
        ("preventives.0.name", REMOVE, "preventives[0].name: required"),
        ("preventives.0.name", "  ", "preventives[0].name: must not be empty"),
        (
            "preventives.0.class",
            "nsaid",
            'preventives[0].class: must be one of antiepileptic, beta_blocker, antidepressant, arb_ace, calcium_channel_blocker, cgrp_mab, gepant, botulinum_toxin, other; got "nsaid"',
        ),
        ("toxin_exposures.0.units", -50, "toxin_exposures[0].units: must be 0 or more, got -50"),
        ("toxin_exposures.0.date", REMOVE, "toxin_exposures[0].date: required"),
        ("diary", REMOVE, "diary: required"),
        ("diary", {}, "diary: must be a list, got {}"),
        ("diary.0", [], "diary[0]: must be an object, got []"),
        ("diary.0.date", REMOVE, "diary[0].date: required"),
        ("diary.0.headache_hours", REMOVE, "diary[0].headache_hours: required"),
        ("diary.1.headache_hours", 30, "diary[1].headache_hours: must be between 0 and 24, got 30"),
        (
            "diary.1.headache_hours",
            24.5,
            "diary[1].headache_hours: must be between 0 and 24, got 24.5",
        ),
        ("diary.1.headache_hours", -1, "diary[1].headache_hours: must be between 0 and 24, got -1"),
        ("diary.1.headache_hours", "6.5", 'diary[1].headache_hours: must be a number, got "6.5"'),
        ("diary.1.headache_hours", True, "diary[1].headache_hours: must be a number, got true"),
        (
            "diary.1.peak_intensity",
            REMOVE,
            "diary[1].peak_intensity: required when headache_hours > 0",
        ),
        (
            "diary.1.peak_intensity",
            None,
            "diary[1].peak_intensity: required when headache_hours > 0",
        ),
        (
            "diary.1.peak_intensity",
            "extreme",
            'diary[1].peak_intensity: must be one of mild, moderate, severe; got "extreme"',
        ),
        ("diary.1.nausea", "yes", 'diary[1].nausea: must be true or false, got "yes"'),
        ("diary.1.unilateral", 1, "diary[1].unilateral: must be true or false, got 1"),
        ("diary.1.aura_minutes", -5, "diary[1].aura_minutes: must be 0 or more, got -5"),
        ("diary.1.aura_minutes", 7.5, "diary[1].aura_minutes: must be a whole number, got 7.5"),
        ("diary.1.aura_minutes", False, "diary[1].aura_minutes: must be a number, got false"),
        (
            "diary.1.acute_medications",
            "sumatriptan",
            'diary[1].acute_medications: must be a list, got "sumatriptan"',
        ),
        (
            "diary.1.acute_medications.0.class",
            "nsaid",
            'diary[1].acute_medications[0].class: must be one of simple_analgesic, triptan, ergot, opioid, combination_analgesic, gepant, ditan, other; got "nsaid"',
        ),
        (
            "diary.1.acute_medications.0.class",
            REMOVE,
            "diary[1].acute_medications[0].class: required",
        ),
        (
            "diary.1.acute_medications.0.effective",
            "yes",
            'diary[1].acute_medications[0].effective: must be true or false, got "yes"',
        ),
        (
            "diary.1.date",
            "2026-01-01",
            "diary[1].date: duplicate date 2026-01-01, also at diary[0]",
        ),
        ("injections.0.units", -155, "injections[0].units: must be 0 or more, got -155"),
        ("injections.0.units", "155", 'injections[0].units: must be a number, got "155"'),
        ("injections.0.sites", 31.5, "injections[0].sites: must be a whole number, got 31.5"),
        (
            "injections.0.date",
            "2026-02-31",
            'injections[0].date: must be a date YYYY-MM-DD, got "2026-02-31"',
        ),
        (
            "injections",
            [{"date": "2026-02-01"}, {"date": "2026-02-01", "units": 155}],
            "injections[1].date: duplicate date 2026-02-01, also at injections[0]",
        ),
    ],
)
def test_it_names_the_path_of_each_problem(path: str, value: Any, problem: str) -> None:
    assert problems_of(with_(path, value)) == [problem]


def test_it_reports_every_problem_at_once() -> None:
    doc = copy.deepcopy(VALID)
    doc["format"] = "cephalog.case/0"
    doc["patient"]["birth_date"] = "1981-13-01"
    doc["diary"][1]["headache_hours"] = 30
    doc["diary"][1]["aura_minutes"] = -1
    doc["diary"][1]["acute_medications"][0]["class"] = "aspirin"
    doc["diary"].append({"date": "2026-01-02", "headache_hours": 3})
    doc["injections"].append({"date": "2026-02-01", "units": -1})
    assert problems_of(doc) == [
        'format: must be "cephalog.case/1", got "cephalog.case/0"',
        'patient.birth_date: must be a date YYYY-MM-DD, got "1981-13-01"',
        "diary[1].headache_hours: must be between 0 and 24, got 30",
        "diary[1].aura_minutes: must be 0 or more, got -1",
        'diary[1].acute_medications[0].class: must be one of simple_analgesic, triptan, ergot, opioid, combination_analgesic, gepant, ditan, other; got "aspirin"',
        "diary[2].peak_intensity: required when headache_hours > 0",
        "diary[2].date: duplicate date 2026-01-02, also at diary[1]",
        "injections[1].units: must be 0 or more, got -1",
        "injections[1].date: duplicate date 2026-02-01, also at injections[0]",
    ]


def test_it_reports_duplicates_among_valid_entries() -> None:
    doc = copy.deepcopy(VALID)
    doc["diary"] += [
        {"date": "2026-01-01", "headache_hours": 0},
        {"date": "2026-01-01", "headache_hours": 0},
    ]
    assert problems_of(doc) == [
        "diary[2].date: duplicate date 2026-01-01, also at diary[0]",
        "diary[3].date: duplicate date 2026-01-01, also at diary[0]",
    ]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (
            '{"format": "cephalog.case/1",',
            "$: malformed JSON: Expecting property name enclosed in double quotes (line 1, column 30)",
        ),
        ("", "$: malformed JSON: Expecting value (line 1, column 1)"),
        ('{"a": NaN}', "$: malformed JSON: NaN is not a JSON number"),
        ('{"a": Infinity}', "$: malformed JSON: Infinity is not a JSON number"),
        ("[]", "$: must be an object, got []"),
        ('"case"', '$: must be an object, got "case"'),
    ],
)
def test_it_refuses_malformed_json(text: str, problem: str) -> None:
    with pytest.raises(CaseError) as caught:
        parse_case_text(text)
    assert caught.value.problems == (problem,)


def test_it_reads_utf8_bytes_with_a_bom() -> None:
    data = b"\xef\xbb\xbf" + json.dumps(VALID).encode()
    assert parse_case_text(data).assessed_on == dt.date(2026, 6, 30)


def test_it_needs_assessed_on_when_the_diary_is_empty() -> None:
    doc = {"format": "cephalog.case/1", "patient": {"birth_date": "1981-04-12"}, "diary": []}
    assert problems_of(doc) == ["assessed_on: required when the diary is empty"]
    doc["assessed_on"] = "2026-06-30"
    assert parse_case(doc).diary == ()


def test_it_allows_peak_intensity_on_a_headache_free_day() -> None:
    case = parse_case(with_("diary.0.peak_intensity", "mild"))
    assert case.diary[0].peak_intensity == "mild"


def test_it_exposes_record_validators_for_the_forms() -> None:
    assert validate_diary_entry({"date": "2026-01-01", "headache_hours": 2}) == [
        "peak_intensity: required when headache_hours > 0"
    ]
    assert validate_diary_entry({"date": "2026-01-01", "headache_hours": 30}, "diary[12]") == [
        "diary[12].headache_hours: must be between 0 and 24, got 30"
    ]
    assert validate_diary_entry({"date": "2026-01-01", "headache_hours": 0}) == []
    assert validate_injection({"date": "2026-01-01", "units": -5}) == [
        "units: must be 0 or more, got -5"
    ]
    assert validate_patient({}) == ["patient.birth_date: required"]


def test_the_error_lists_every_problem_in_its_message() -> None:
    error = CaseError(["a: required", "b: required"])
    assert str(error) == "a: required\nb: required"
