"""Issue 14.6: triptan combinations are triptans; brand names and strengths are one drug.

ICHD-3 8.2.2 counts "one or more triptans, in any formulation", and 1.3 C(3)
counts a headache relieved by a triptan; a triptan combined with naproxen is
still a triptan for both. Preventives: "Propranolol MR 80 mg" is propranolol.
"""

from __future__ import annotations

import datetime as dt

import pytest

from cephalog.domain.catalogue import acute_class
from cephalog.domain.criteria import assess_medication_overuse
from cephalog.domain.diary import AcuteMedication, DiaryDay, classify_day
from cephalog.domain.preventive_catalogue import drug_key, generic_name, preventive_class
from cephalog.domain.rulesets import STANDARD_2, DayDefinition, Rules
from cephalog.domain.windows import baseline_window

from ._helpers import days_after


@pytest.mark.parametrize(
    "name",
    [
        "Treximet",
        "treximet 85/500 mg",
        "sumatriptan with naproxen",
        "Sumatriptan/Naproxen",
        "sumatriptan + naproxen sodium",
        "Sumatriptan 85 mg / naproxen sodium 500 mg",
        "Suvexx",
    ],
)
def test_a_triptan_combination_is_a_triptan(name: str) -> None:
    assert acute_class(name) == "triptan"


@pytest.mark.parametrize(
    ("name", "drug_class"),
    [
        ("ergotamine with caffeine", "ergot"),
        ("Cafergot", "ergot"),
        ("paracetamol with codeine", "combination_analgesic"),
        ("ibuprofen/codeine", "combination_analgesic"),
        ("aspirin, paracetamol and caffeine", "combination_analgesic"),
        ("naproxen 500 mg tablets", "simple_analgesic"),
        ("rimegepant", "gepant"),
    ],
)
def test_other_combinations_keep_their_class(name: str, drug_class: str) -> None:
    assert acute_class(name) == drug_class


def treximet(effective: bool | None) -> AcuteMedication:
    name = "Treximet"
    drug_class = acute_class(name)
    assert drug_class is not None
    return AcuteMedication(name, drug_class, effective)


def test_a_headache_relieved_by_treximet_is_a_migraine_day_under_both_definitions() -> None:
    day = DiaryDay(
        date=dt.date(2026, 1, 1),
        headache_hours=1.5,
        peak_intensity="moderate",
        acute_medications=(treximet(True),),
    )
    for definition in ("label", "ichd3"):
        c = classify_day(day, definition)
        assert (c.headache_day, c.migraine_day) == (True, True), definition


def test_treximet_on_ten_days_a_month_is_triptan_overuse() -> None:
    start = dt.date(2026, 1, 4)
    days = {}
    for i in range(84):
        date = days_after(start, i)
        meds = (treximet(None),) if i % 28 < 10 else ()
        days[date] = DiaryDay(
            date=date,
            headache_hours=6 if i % 28 < 20 else 0,
            peak_intensity="severe" if i % 28 < 20 else None,
            nausea=i % 28 < 20,
            pulsating=i % 28 < 20,
            unilateral=i % 28 < 20,
            acute_medications=meds,
        )
    rules = Rules(STANDARD_2, DayDefinition.ICHD3)
    base = baseline_window(days, [], days_after(start, 83), "ichd3")
    result = assess_medication_overuse(days, base, rules)
    assert (result.met, result.classes) == (True, ("triptan",))


@pytest.mark.parametrize(
    ("name", "generic", "preventive"),
    [
        ("Propranolol MR 80 mg", "propranolol", "beta_blocker"),
        ("Inderal LA 160 mg", "propranolol", "beta_blocker"),
        ("Topamax", "topiramate", "antiepileptic"),
        ("Epilim Chrono 500", "valproate", "antiepileptic"),
        ("Aimovig 140 mg", "erenumab", "cgrp_mab"),
        ("Qulipta", "atogepant", "gepant"),
    ],
)
def test_brand_names_and_strengths_map_to_one_drug(
    name: str, generic: str, preventive: str | None
) -> None:
    assert generic_name(name) == generic
    assert drug_key(name) == generic
    if preventive is not None:
        assert preventive_class(name) == preventive
