"""The built-in catalogue of acute medicines behind the diary form's suggestions."""

from __future__ import annotations

import pytest

from cephalog.domain.catalogue import GENERIC_NAMES, OTHER_NAMES, SUGGESTIONS, acute_class
from cephalog.domain.vocab import ACUTE_CLASS_CODES


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("sumatriptan", "triptan"),
        ("Sumatriptan 50 mg", "triptan"),
        ("  RIZATRIPTAN   10mg wafer", "triptan"),
        ("dihydroergotamine", "ergot"),
        ("Cafergot", "ergot"),
        ("ibuprofen", "simple_analgesic"),
        ("Paracetamol", "simple_analgesic"),
        ("aspirin", "simple_analgesic"),
        ("metamizole", "simple_analgesic"),
        ("naproxen 500 mg tablets", "simple_analgesic"),
        ("paracetamol + caffeine", "combination_analgesic"),
        ("Excedrin", "combination_analgesic"),
        ("Fioricet", "combination_analgesic"),
        ("co-codamol 30/500", "combination_analgesic"),
        ("tramadol", "opioid"),
        ("codeine", "opioid"),
        ("rimegepant", "gepant"),
        ("ubrogepant", "gepant"),
        ("zavegepant", "gepant"),
        ("Nurtec", "gepant"),
        ("lasmiditan", "ditan"),
        ("metoclopramide", "other"),
    ],
)
def test_it_knows_the_class_of_common_acute_medicines(name: str, expected: str) -> None:
    assert acute_class(name) == expected
    assert type(acute_class(name)) is str


@pytest.mark.parametrize("name", ["", "   ", "grandma's tea", "atogepant", "50 mg", "triptan"])
def test_it_leaves_unknown_names_to_an_explicit_class(name: str) -> None:
    assert acute_class(name) is None


def test_it_uses_only_the_specs_vocabulary() -> None:
    assert set(GENERIC_NAMES.values()) | set(OTHER_NAMES.values()) <= set(ACUTE_CLASS_CODES)
    assert set(GENERIC_NAMES.values()) == set(ACUTE_CLASS_CODES)  # every class has an example
    assert len(SUGGESTIONS) == len(set(SUGGESTIONS)) == len(GENERIC_NAMES) + len(OTHER_NAMES)
