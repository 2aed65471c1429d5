"""Day rules (spec section 2): every boundary the spec names."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from cephalog.domain.diary import AcuteMedication, DiaryDay, classify_day

DAY = dt.date(2026, 1, 2)


def make(hours: float, intensity: str | None = "mild", **kwargs: Any) -> DiaryDay:
    return DiaryDay(date=DAY, headache_hours=hours, peak_intensity=intensity, **kwargs)


def triptan(effective: bool | None) -> tuple[AcuteMedication, ...]:
    return (AcuteMedication("sumatriptan", "triptan", effective),)


TWO_PAIN: dict[str, Any] = {"unilateral": True, "pulsating": True}

# (id, day, migraine_day, headache_day, moderate_severe_day)
CASES = [
    ("no headache", make(0, None), False, False, False),
    ("features without hours", make(0, "severe", **TWO_PAIN, nausea=True), False, False, False),
    ("definite migraine under 4 h", make(1, **TWO_PAIN, nausea=True), True, True, False),
    ("definite migraine, vomiting", make(0.5, **TWO_PAIN, vomiting=True), True, True, False),
    ("one pain feature + nausea, 3 h", make(3, unilateral=True, nausea=True), False, False, False),
    (
        "moderate counts as a pain feature",
        make(2, "moderate", unilateral=True, nausea=True),
        True,
        True,
        True,
    ),
    (
        "severe counts as a pain feature",
        make(2, "severe", pulsating=True, vomiting=True),
        True,
        True,
        True,
    ),
    (
        "activity counts as a pain feature",
        make(2, aggravated_by_activity=True, pulsating=True, nausea=True),
        True,
        True,
        False,
    ),
    ("photophobia without phonophobia", make(2, **TWO_PAIN, photophobia=True), False, False, False),
    ("phonophobia without photophobia", make(2, **TWO_PAIN, phonophobia=True), False, False, False),
    (
        "photophobia and phonophobia",
        make(2, **TWO_PAIN, photophobia=True, phonophobia=True),
        True,
        True,
        False,
    ),
    ("3.9 h, 2 pain features only", make(3.9, **TWO_PAIN), False, False, False),
    ("4 h, 2 pain features only: probable", make(4, **TWO_PAIN), True, True, False),
    ("3.9 h, nausea only", make(3.9, nausea=True), False, False, False),
    ("4 h, nausea only: probable", make(4, nausea=True), True, True, False),
    ("4 h, photophobia only", make(4, photophobia=True), False, True, False),
    ("4 h, one pain feature", make(4, unilateral=True), False, True, False),
    ("4 h, moderate only", make(4, "moderate"), False, True, True),
    ("3.5 h, severe only", make(3.5, "severe"), False, False, False),
    ("24 h, mild", make(24), False, True, False),
    ("aura 4 min", make(1, aura_minutes=4), False, False, False),
    ("aura 5 min", make(1, aura_minutes=5), True, True, False),
    ("aura 60 min", make(1, aura_minutes=60), True, True, False),
    ("aura 61 min", make(1, aura_minutes=61), False, False, False),
    ("aura without headache", make(0, None, aura_minutes=20), False, False, False),
    ("triptan effective", make(1, acute_medications=triptan(True)), True, True, False),
    ("triptan not effective", make(1, acute_medications=triptan(False)), False, True, False),
    ("triptan effect unknown", make(1, acute_medications=triptan(None)), False, True, False),
    ("triptan, moderate", make(1, "moderate", acute_medications=triptan(None)), False, True, True),
    (
        "ergot effective",
        make(1, acute_medications=(AcuteMedication("dhe", "ergot", True),)),
        True,
        True,
        False,
    ),
    (
        "ergot not effective",
        make(1, acute_medications=(AcuteMedication("dhe", "ergot", False),)),
        False,
        True,
        False,
    ),
    (
        "gepant effective is not MS",
        make(1, acute_medications=(AcuteMedication("rimegepant", "gepant", True),)),
        False,
        False,
        False,
    ),
    (
        "ditan is not MS",
        make(1, acute_medications=(AcuteMedication("lasmiditan", "ditan", True),)),
        False,
        False,
        False,
    ),
    (
        "simple analgesic, short",
        make(
            1, "severe", acute_medications=(AcuteMedication("ibuprofen", "simple_analgesic", True),)
        ),
        False,
        False,
        False,
    ),
    (
        "triptan without headache",
        make(0, None, acute_medications=triptan(True)),
        False,
        False,
        False,
    ),
]


@pytest.mark.parametrize(
    ("day", "migraine", "headache", "moderate_severe"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_it_classifies_days_at_every_boundary(
    day: DiaryDay, migraine: bool, headache: bool, moderate_severe: bool
) -> None:
    c = classify_day(day)
    assert (c.migraine_day, c.headache_day, c.moderate_severe_day) == (
        migraine,
        headache,
        moderate_severe,
    )
    assert c.headache == (day.headache_hours > 0)
    assert c.headache_free == (day.headache_hours == 0)


def test_it_counts_acute_medication_on_a_headache_free_day() -> None:
    day = make(0, None, acute_medications=(AcuteMedication("paracetamol", "simple_analgesic"),))
    c = classify_day(day)
    assert c.headache_free
    assert c.acute_medication_day
    assert c.acute_medication_classes == ("simple_analgesic",)


def test_it_lists_distinct_classes_sorted() -> None:
    meds = (
        AcuteMedication("sumatriptan", "triptan"),
        AcuteMedication("ibuprofen", "simple_analgesic"),
        AcuteMedication("rizatriptan", "triptan"),
    )
    c = classify_day(make(5, acute_medications=meds))
    assert c.acute_medication_classes == ("simple_analgesic", "triptan")


def test_it_has_no_acute_medication_day_without_medication() -> None:
    c = classify_day(make(5))
    assert not c.acute_medication_day
    assert c.acute_medication_classes == ()


@pytest.mark.parametrize(
    ("day", "reasons"),
    [
        (
            make(
                6.5,
                "severe",
                **TWO_PAIN,
                nausea=True,
                photophobia=True,
                acute_medications=triptan(True),
            ),
            ("migraine: 3 pain features + nausea",),
        ),
        (
            make(2, **TWO_PAIN, nausea=True, photophobia=True, phonophobia=True),
            ("migraine: 2 pain features + nausea + photophobia and phonophobia",),
        ),
        (make(4.5, **TWO_PAIN), ("migraine (probable): 4.5 h + 2 pain features",)),
        (make(5, vomiting=True), ("migraine (probable): 5 h + vomiting",)),
        (make(1, acute_medications=triptan(True)), ("migraine: relieved by a triptan",)),
        (
            make(1, acute_medications=(AcuteMedication("dhe", "ergot", True),)),
            ("migraine: relieved by an ergot",),
        ),
        (make(1, aura_minutes=30), ("migraine: typical aura (30 min)",)),
        (make(4), ("headache day: 4 h or more",)),
        (make(1, acute_medications=triptan(False)), ("headache day: treated with a triptan",)),
        (
            make(2),
            ("not a headache day: 2 h, under 4 h, no triptan or ergot, migraine criteria not met",),
        ),
        (make(0, None), ("headache-free day",)),
    ],
)
def test_it_explains_each_day(day: DiaryDay, reasons: tuple[str, ...]) -> None:
    assert classify_day(day).reasons == reasons
