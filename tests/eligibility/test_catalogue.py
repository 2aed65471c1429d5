"""The preventive and interacting-drug catalogue (clinical reference 5.4, 2.6). No database."""

from __future__ import annotations

import pytest

from cephalog.domain import preventive_catalogue as cat
from cephalog.domain.vocab import MEDICATION_CLASS_CODES, PREVENTIVE_CLASS_CODES


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("topiramate", "antiepileptic"),
        ("Sodium Valproate", "antiepileptic"),
        ("propranolol", "beta_blocker"),
        ("METOPROLOL", "beta_blocker"),
        ("timolol", "beta_blocker"),
        ("amitriptyline", "antidepressant"),
        ("nortriptyline", "antidepressant"),
        ("venlafaxine", "antidepressant"),
        ("candesartan", "arb_ace"),
        ("lisinopril", "arb_ace"),
        ("flunarizine", "calcium_channel_blocker"),
        ("verapamil", "calcium_channel_blocker"),
        ("erenumab", "cgrp_mab"),
        ("Aimovig", "cgrp_mab"),
        ("fremanezumab", "cgrp_mab"),
        ("galcanezumab", "cgrp_mab"),
        ("eptinezumab", "cgrp_mab"),
        ("atogepant", "gepant"),
        ("rimegepant", "gepant"),
        ("pizotifen", "other"),
        ("  Propranolol   MR 80 mg ", "beta_blocker"),
    ],
)
def test_it_maps_preventive_names_to_classes(name: str, expected: str) -> None:
    assert cat.preventive_class(name) == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        *[(n, "aminoglycoside") for n in ("gentamicin", "tobramycin", "amikacin", "neomycin", "streptomycin")],
        *[(n, "neuromuscular_blocker") for n in ("rocuronium", "vecuronium", "succinylcholine")],
        *[(n, "anticholinergic") for n in ("oxybutynin", "tolterodine", "hyoscine", "glycopyrronium", "trihexyphenidyl")],
        *[(n, "muscle_relaxant") for n in ("baclofen", "tizanidine", "cyclobenzaprine", "methocarbamol", "dantrolene")],
        ("Gentamicin 80 mg IV", "aminoglycoside"),
        ("BACLOFEN", "muscle_relaxant"),
    ],
)  # fmt: skip
def test_it_maps_interacting_drugs_to_medication_classes(name: str, expected: str) -> None:
    assert cat.medication_class(name) == expected


@pytest.mark.parametrize("name", ["", "   ", "paracetamol", "topiramate", "mystery pill"])
def test_it_knows_no_class_for_other_names(name: str) -> None:
    assert cat.medication_class(name) is None


def test_it_does_not_match_a_word_inside_a_name() -> None:
    assert cat.preventive_class("anti-topiramate") is None
    assert cat.preventive_class("") is None


def test_it_uses_only_the_spec_vocabularies() -> None:
    assert set(cat.PREVENTIVES.values()) <= set(PREVENTIVE_CLASS_CODES)
    assert set(cat.INTERACTING.values()) <= set(MEDICATION_CLASS_CODES)
    assert "other" not in set(cat.INTERACTING.values())
    assert all(name == cat.normalise(name) for name in (*cat.PREVENTIVES, *cat.INTERACTING))
    assert not set(cat.PREVENTIVES) & set(cat.INTERACTING)
    assert list(cat.PREVENTIVE_SUGGESTIONS) == sorted(cat.PREVENTIVES)
