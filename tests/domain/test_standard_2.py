"""Ruleset standard-2 (spec section 11), case by case from the spec's text.

Every expected value here is worked out by hand from section 11 (and the
sections of standard-1 it changes), on diaries built for the purpose: none
is copied from the program's output. Each test names the point of section
11 it checks; standard-1 is asserted alongside where the two must differ.
"""

from __future__ import annotations

import datetime as dt
import json
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cephalog.assess_cli import main
from cephalog.domain.assess import assess
from cephalog.domain.case import (
    Case,
    CaseError,
    Injection,
    Patient,
    Preventive,
    ToxinExposure,
    parse_case,
)
from cephalog.domain.criteria import assess_medication_overuse
from cephalog.domain.diary import AcuteMedication, DiaryDay, classify_day
from cephalog.domain.policies import failed_preventives
from cephalog.domain.preventive_catalogue import drug_key
from cephalog.domain.rulesets import LEGACY, STANDARD_2, DayDefinition, Rules
from cephalog.domain.windows import baseline_window, compute_window, round1, trunc1

from ._helpers import block, case_doc, days_after, merge

D = dt.date
S2_LABEL = Rules(STANDARD_2, DayDefinition.LABEL)
S2_ICHD3 = Rules(STANDARD_2, DayDefinition.ICHD3)


def day(hours: float, intensity: str | None = "mild", **facts: Any) -> DiaryDay:
    meds = facts.pop("meds", ())
    return DiaryDay(
        date=D(2026, 3, 1),
        headache_hours=hours,
        peak_intensity=intensity if hours > 0 else None,
        acute_medications=tuple(meds),
        **facts,
    )


TRIPTAN_WORKED = AcuteMedication("sumatriptan", "triptan", effective=True)
TRIPTAN_FAILED = AcuteMedication("sumatriptan", "triptan", effective=False)
ERGOT_UNKNOWN = AcuteMedication("ergotamine", "ergot")
IBUPROFEN = AcuteMedication("ibuprofen", "simple_analgesic")


# --- 11.1 two day definitions -----------------------------------------------------------------

# (day, label (headache, migraine, mod/sev), ichd3 (headache, migraine, mod/sev))
DAY_TABLE = [
    # 2 h, mild, nothing else: ICHD-3 1.3 A counts a headache of any duration; the
    # label counts only 4 h or more (or a triptan/ergot).
    ("2 h mild headache", day(2), (False, False, False), (True, False, False)),
    # 2 h severe: a moderate/severe day only where it is a headache day.
    ("2 h severe headache", day(2, "severe"), (False, False, False), (True, False, True)),
    # 5 h + 2 pain features, no nausea/light+sound: probable migraine (label), not ichd3 migraine.
    (
        "probable migraine, pain features",
        day(5, "moderate", unilateral=True),
        (True, True, True),
        (True, False, True),
    ),
    (
        "probable migraine, nausea",
        day(6, "mild", nausea=True),
        (True, True, False),
        (True, False, False),
    ),
    # 1 h with 1.1 C and D: migraine under both (1.3 C does not need 1.1 B's 4 h).
    (
        "short definite migraine",
        day(1, "severe", pulsating=True, vomiting=True),
        (True, True, True),
        (True, True, True),
    ),
    # photophobia alone is not criterion D.
    (
        "photophobia alone",
        day(5, "severe", photophobia=True),
        (True, False, True),
        (True, False, True),
    ),
    # A triptan that did not work: a label headache day (MS), never a migraine day.
    (
        "1 h, triptan failed",
        day(1, meds=(TRIPTAN_FAILED,)),
        (True, False, False),
        (True, False, False),
    ),
    # Relieved by a triptan: 1.3 C(3).
    (
        "1 h, triptan worked",
        day(1, meds=(TRIPTAN_WORKED,)),
        (True, True, False),
        (True, True, False),
    ),
    (
        "1 h, ergot, unknown effect",
        day(1, meds=(ERGOT_UNKNOWN,)),
        (True, False, False),
        (True, False, False),
    ),
    # Typical aura 5-60 min (1.2 C(3)); 61 min is not.
    ("aura 5 min", day(0.5, aura_minutes=5), (True, True, False), (True, True, False)),
    ("aura 61 min", day(0.5, aura_minutes=61), (False, False, False), (True, False, False)),
    # An analgesic alone makes no headache day under the label.
    ("2 h with ibuprofen", day(2, meds=(IBUPROFEN,)), (False, False, False), (True, False, False)),
    ("headache-free", day(0), (False, False, False), (False, False, False)),
]


@pytest.mark.parametrize(
    ("name", "diary_day", "label", "ichd3"), DAY_TABLE, ids=[row[0] for row in DAY_TABLE]
)
def test_each_definition_classes_the_day_as_the_spec_says(
    name: str, diary_day: DiaryDay, label: tuple[bool, ...], ichd3: tuple[bool, ...]
) -> None:
    for definition, expected in (("label", label), ("ichd3", ichd3)):
        c = classify_day(diary_day, definition, True)
        assert (c.headache_day, c.migraine_day, c.moderate_severe_day) == expected, definition


def test_reasons_name_the_definition_under_standard_2_and_stay_as_released_under_standard_1() -> (
    None
):
    short = day(2)
    assert classify_day(short).reasons == (
        "not a headache day: 2 h, under 4 h, no triptan or ergot, migraine criteria not met",
    )
    assert classify_day(short, "label", True).reasons == (
        "not a label headache day: 2 h, under 4 h, no triptan or ergot, migraine criteria not met",
    )
    assert classify_day(short, "ichd3", True).reasons == (
        "ichd3 headache day: headache of any duration (2 h); migraine criteria not met",
    )
    definite = day(6, "severe", unilateral=True, nausea=True)
    assert classify_day(definite).reasons == ("migraine: 2 pain features + nausea",)
    assert classify_day(definite, "ichd3", True).reasons == (
        "ichd3 migraine day: 2 pain features + nausea",
    )
    probable = day(5, "moderate", unilateral=True)
    assert classify_day(probable, "label", True).reasons == (
        "label migraine day (probable): 5 h + 2 pain features",
    )


def test_an_ichd3_window_counts_short_headaches_and_their_hours() -> None:
    start = D(2026, 1, 1)
    days = {
        days_after(start, i): DiaryDay(
            date=days_after(start, i), headache_hours=2, peak_intensity="mild"
        )
        for i in range(28)
    }
    end = days_after(start, 27)
    label = compute_window(days, start, end, "label")
    ichd3 = compute_window(days, start, end, "ichd3")
    assert (label.headache_days, label.headache_hours) == (0, 0)
    assert (ichd3.headache_days, ichd3.headache_hours) == (28, 56)
    assert ichd3.migraine_days == 0


# --- the assessment, on a case nobody generated ------------------------------------------------

B_START = D(2026, 1, 4)


def short_headaches(start: dt.date, n: int) -> dict[dt.date, DiaryDay]:
    return {
        days_after(start, i): DiaryDay(
            date=days_after(start, i), headache_hours=2, peak_intensity="moderate"
        )
        for i in range(n)
    }


def chronic_case(**fields: Any) -> Case:
    """Three windows of 28 recorded days ending 2026-03-28: 10 definite migraine days,
    6 short (2 h) headaches, 12 free days each. Label: 10 headache days (not chronic);
    ichd3: 16 headache days, 10 migraine days (chronic, ICHD-3 1.3)."""
    days: dict[dt.date, DiaryDay] = {}
    for w in range(3):
        start = days_after(B_START, 28 * w)
        days.update(block(start, recorded=28, migraine_days=10))
        days.update(short_headaches(days_after(start, 10), 6))
    data = case_doc(days.values(), assessed_on="2026-03-28")
    data.update(fields)
    return parse_case(data)


def test_the_policy_chooses_the_definition_and_the_output_names_it() -> None:
    case = chronic_case()
    for policy, definition, met in (
        ("us-label", "label", False),
        ("us-payer", "label", False),
        ("nice-ta260", "ichd3", True),
        ("ehf-2018", "ichd3", True),
    ):
        result = assess(case, policy).to_dict()
        assert result["day_definition"] == definition
        assert result["chronic_migraine"]["met"] is met, policy
        assert result["chronic_migraine"]["detail"].startswith(f"{definition} definition: ")
    label = assess(case, "us-label").to_dict()
    assert label["baseline"]["headache_days"] == 10
    assert "ICHD-3" not in json.dumps(label["chronic_migraine"])
    assert "ICHD-3" not in label["eligibility"]["criteria"][0]["source"]
    nice = assess(case, "nice-ta260").to_dict()
    assert (nice["baseline"]["headache_days"], nice["baseline"]["migraine_days"]) == (16, 10)
    assert "ICHD-3 1.3" in nice["eligibility"]["criteria"][0]["source"]
    # standard-1: label days under every policy, and no day_definition key
    old = assess(case, "nice-ta260", ruleset="standard-1").to_dict()
    assert "day_definition" not in old
    assert old["baseline"]["headache_days"] == 10
    assert old["chronic_migraine"]["met"] is False


def test_days_follow_the_policys_definition_in_the_days_list() -> None:
    case = chronic_case()
    rows = assess(case, "ehf-2018", include_days=True).to_dict()["days"]
    short = next(r for r in rows if r["date"] == "2026-01-14")
    assert short["headache_day"] is True
    assert short["reasons"] == [
        "ichd3 headache day: headache of any duration (2 h); migraine criteria not met"
    ]


# --- 11.2 "multiple" needs two classes -------------------------------------------------------


def overuse_days(meds_per_window: list[dict[str, tuple[int, int]]]) -> dict[dt.date, DiaryDay]:
    """Three 28-day windows from B_START, 20 migraine days each; `{class: (offset, n)}`."""
    days: dict[dt.date, DiaryDay] = {}
    for w, meds in enumerate(meds_per_window):
        start = days_after(B_START, 28 * w)
        days.update(
            block(
                start,
                recorded=28,
                migraine_days=20,
                meds={c: n for c, (_, n) in meds.items()},
                med_offset={c: off for c, (off, _) in meds.items()},
            )
        )
    return days


def baseline_of(days: dict[dt.date, DiaryDay]) -> Any:
    return baseline_window(days, [], days_after(B_START, 83))


def test_one_class_below_its_own_threshold_is_never_multiple() -> None:
    # simple analgesic on 12 days of each window: below its own 15, one class only.
    days = overuse_days([{"simple_analgesic": (0, 12)}] * 3)
    base = baseline_of(days)
    old = assess_medication_overuse(days, base, LEGACY)
    new = assess_medication_overuse(days, base, S2_LABEL)
    assert (old.met, old.classes) == (True, ("multiple",))  # standard-1, as released
    assert (new.met, new.classes) == (False, ())


def test_two_classes_reaching_ten_days_together_are_multiple() -> None:
    # triptan 6 days and ibuprofen 5 other days: 11 days, two classes, none at its own threshold
    meds = {"triptan": (0, 6), "simple_analgesic": (6, 5)}
    days = overuse_days([meds] * 3)
    new = assess_medication_overuse(days, baseline_of(days), S2_LABEL)
    assert (new.met, new.classes) == (True, ("multiple",))
    assert "2 or more of them in each window" in new.detail


def test_multiple_must_have_two_classes_in_every_window() -> None:
    two = {"triptan": (0, 6), "simple_analgesic": (6, 5)}  # 11 days, two classes
    one = {"opioid": (0, 11)}  # 11 days, one class
    days = overuse_days([two, one, two])
    base = baseline_of(days)
    # opioid reaches 10 in the middle window only; the middle window has one class, so
    # "multiple" does not hold in all three under standard-2 (it did under standard-1)
    result = assess_medication_overuse(days, base, S2_LABEL)
    assert (result.met, result.classes) == (False, ())
    assert assess_medication_overuse(days, base, LEGACY).classes == ("multiple",)


def test_a_class_at_its_own_threshold_is_named_not_multiple() -> None:
    days = overuse_days([{"triptan": (0, 10)}] * 3)
    result = assess_medication_overuse(days, baseline_of(days), S2_LABEL)
    assert (result.met, result.classes) == (True, ("triptan",))


# --- 11.3 failed preventives are distinct drugs -----------------------------------------------


@pytest.mark.parametrize(
    ("names", "standard_1", "standard_2"),
    [
        (["Propranolol MR 80 mg", "propranolol"], 2, 1),
        (["Propranolol MR 80 mg", "propranolol", "Inderal LA"], 3, 1),
        (["Sodium valproate", "Epilim", "valproic acid"], 3, 1),
        (["Topiramate 25mg", "TOPIRAMATE", "amitriptyline"], 3, 2),
        (["Aimovig", "erenumab 70 mg", "Ajovy"], 3, 2),
        (["propranolol", "Propranolol"], 1, 1),
        (["Nortriptyline, 10 mg", "nortriptyline"], 2, 1),
    ],
)
def test_failed_preventives_count_drugs_not_names(
    names: list[str], standard_1: int, standard_2: int
) -> None:
    case = Case(
        patient=Patient(birth_date=D(1980, 1, 1)),
        assessed_on=D(2026, 3, 1),
        diary=(),
        preventives=tuple(Preventive(name=n, outcome="inadequate_response") for n in names),
    )
    assert len(failed_preventives(case, D(2026, 3, 1))) == standard_1
    assert len(failed_preventives(case, D(2026, 3, 1), by_drug=True)) == standard_2


def test_an_unknown_drug_is_its_case_folded_first_word() -> None:
    assert drug_key("Flunarizina 5 mg") == "flunarizina"
    assert drug_key("  (Cinnarizine)  ") == "cinnarizine"
    assert drug_key("Propranolol MR 80 mg") == "propranolol"


# --- 11.4 flags at every injection ------------------------------------------------------------


def flags_case(**fields: Any) -> Case:
    data = case_doc(
        block(B_START, recorded=28, migraine_days=18).values(),
        assessed_on="2026-06-30",
        injections=[{"date": "2026-02-01"}, {"date": "2026-04-26"}],
    )
    data.update(fields)
    return parse_case(data)


def test_a_medicine_started_after_the_first_injection_is_flagged_for_the_next() -> None:
    case = flags_case(
        medications=[{"name": "gentamicin", "class": "aminoglycoside", "start": "2026-06-01"}]
    )
    result = assess(case, "nice-ta260").to_dict()
    assert result["eligibility"]["flags"] == []  # as of the first injection
    assert result["next_injection"]["flags"] == ["interacting_medication:aminoglycoside"]
    assert (
        "flags" not in assess(case, "nice-ta260", ruleset="standard-1").to_dict()["next_injection"]
    )


def test_a_medicine_stopped_before_assessed_on_is_not_flagged() -> None:
    case = flags_case(
        medications=[
            {
                "name": "baclofen",
                "class": "muscle_relaxant",
                "start": "2026-01-01",
                "stop": "2026-06-29",
            }
        ]
    )
    result = assess(case, "us-label").to_dict()
    assert result["eligibility"]["flags"] == ["interacting_medication:muscle_relaxant"]
    assert result["next_injection"]["flags"] == []


@pytest.mark.parametrize(
    ("exposure", "flagged"),
    [
        ("2026-05-31", True),  # 30 days before
        ("2026-04-01", True),  # exactly 90 days before
        ("2026-03-31", False),  # 91 days before
        ("2026-06-30", False),  # on the day itself: not "before" it
    ],
)
def test_any_toxin_product_in_the_90_days_before_assessed_on_is_flagged(
    exposure: str, flagged: bool
) -> None:
    case = flags_case(
        toxin_exposures=[
            {
                "date": exposure,
                "units": 300,
                "product": "abobotulinumtoxinA",
                "indication": "spasticity",
            }
        ]
    )
    assert case.toxin_exposures[0].product == "abobotulinumtoxinA"
    flags = assess(case, "ehf-2018").to_dict()["next_injection"]["flags"]
    assert ("recent_toxin_exposure" in flags) is flagged


def test_flags_are_present_before_any_injection_and_overuse_is_a_flag_except_under_nice() -> None:
    days = overuse_days([{"triptan": (0, 12)}] * 3)
    data = case_doc(days.values(), assessed_on="2026-03-28", conditions=["pregnancy"])
    case = parse_case(data)
    label = assess(case, "us-label").to_dict()
    assert label["next_injection"] == {
        "due": None,
        "earliest": None,
        "flags": ["medication_overuse", "pregnancy"],
    }
    assert assess(case, "nice-ta260").to_dict()["next_injection"]["flags"] == ["pregnancy"]


# --- 11.5 toxin products ----------------------------------------------------------------------


def test_a_toxin_exposure_defaults_to_onabotulinumtoxina_and_refuses_an_unknown_product() -> None:
    case = flags_case(toxin_exposures=[{"date": "2026-05-01", "units": 100}])
    assert case.toxin_exposures[0] == ToxinExposure(
        date=D(2026, 5, 1), units=100, product="onabotulinumtoxinA"
    )
    with pytest.raises(CaseError) as error:
        flags_case(toxin_exposures=[{"date": "2026-05-01", "product": "dysport"}])
    assert error.value.problems == (
        "toxin_exposures[0].product: must be one of onabotulinumtoxinA, abobotulinumtoxinA, "
        "incobotulinumtoxinA, prabotulinumtoxinA, daxibotulinumtoxinA, letibotulinumtoxinA, "
        'rimabotulinumtoxinB, other; got "dysport"',
    )


# --- 11.6 not started -------------------------------------------------------------------------


@pytest.mark.parametrize("policy", ["us-label", "us-payer", "nice-ta260", "ehf-2018"])
def test_before_any_injection_every_policy_answers_not_started(policy: str) -> None:
    # three low months that would "stop" a patient on treatment under nice and ehf
    days = merge(
        *(block(days_after(B_START, 28 * w), recorded=28, migraine_days=5) for w in range(3))
    )
    case = parse_case(case_doc(days.values(), assessed_on="2026-03-28"))
    result = assess(case, policy).to_dict()["continuation"]
    assert (result["recommendation"], result["reasons"]) == ("not_started", [])
    old = assess(case, policy, ruleset="standard-1").to_dict()["continuation"]
    assert old["recommendation"] in {"too_early", "stop", "pause"}


# --- 11.7 truncation -------------------------------------------------------------------------


def truncation_case() -> Case:
    """Baseline 17 headache days of 25 recorded (19.04 per 28); cycles 1 and 2 each 10 of 21
    recorded (13.33 per 28): reduction (19.04 - 13.33) / 19.04 = 29.97 %."""
    i1 = days_after(B_START, 28)
    i2 = days_after(i1, 84)
    days = merge(
        block(B_START, recorded=25, migraine_days=17),
        block(days_after(i1, 56), recorded=21, migraine_days=10),
        block(days_after(i2, 56), recorded=21, migraine_days=10),
    )
    return Case(
        patient=Patient(birth_date=D(1980, 1, 1)),
        assessed_on=days_after(i2, 90),
        diary=tuple(sorted(days.values(), key=lambda d: d.date)),
        injections=(Injection(i1), Injection(i2)),
    )


def test_29_97_percent_prints_as_29_9_and_is_not_a_30_percent_response() -> None:
    case = truncation_case()
    new = assess(case, "nice-ta260").to_dict()
    old = assess(case, "nice-ta260", ruleset="standard-1").to_dict()
    assert [c["headache_day_reduction_pct"] for c in new["cycles"]] == [29.9, 29.9]
    assert [c["headache_day_reduction_pct"] for c in old["cycles"]] == [30.0, 30.0]
    assert [c["responder_30"] for c in new["cycles"]] == [False, False]
    assert [c["responder_30"] for c in old["cycles"]] == [False, False]
    assert new["continuation"]["recommendation"] == old["continuation"]["recommendation"] == "stop"
    assert new["continuation"]["detail"] == (
        "cycle 2: 29.9% fewer ichd3 headache days than baseline; 30% required"
    )
    assert old["continuation"]["detail"] == (
        "cycle 2: 30.0% fewer headache days than baseline; 30% required"
    )
    # -5.706... days and 19.04 / 13.33 per 28
    assert new["cycles"][1]["headache_day_change"] == -5.7
    assert new["baseline"]["per_28"]["headache_days"] == 19.0
    assert new["cycles"][1]["window"]["per_28"]["headache_days"] == 13.3


@pytest.mark.parametrize(
    ("value", "truncated", "rounded"),
    [
        (Fraction(2997, 100), 29.9, 30.0),
        (Fraction(1496, 100), 14.9, 15.0),
        (Fraction(-245, 100), -2.4, -2.5),
        (Fraction(-4, 100), 0.0, 0.0),
        (Fraction(20, 1), 20.0, 20.0),
        (Fraction(896, 100), 8.9, 9.0),
    ],
)
def test_one_decimal_values_are_truncated_toward_zero(
    value: Fraction, truncated: float, rounded: float
) -> None:
    assert trunc1(value) == truncated
    assert round1(value) == rounded


@given(st.fractions(min_value=-1000, max_value=1000), st.integers(min_value=1, max_value=100))
def test_a_truncated_value_never_crosses_a_threshold_the_exact_one_does_not(
    value: Fraction, threshold: int
) -> None:
    shown = Fraction(str(trunc1(value)))
    assert abs(shown) <= abs(value)
    assert abs(value - shown) < Fraction(1, 10)
    # printed at or past a threshold (in either direction) only when the exact value is too
    if shown >= threshold:
        assert value >= threshold
    if shown <= -threshold:
        assert value <= -threshold


# --- properties across the definitions ---------------------------------------------------------

intensities = st.sampled_from(["mild", "moderate", "severe"])
classes = st.sampled_from(["triptan", "ergot", "simple_analgesic", "opioid", "gepant", "other"])
medications = st.lists(
    st.builds(
        AcuteMedication,
        name=st.just("x"),
        drug_class=classes,
        effective=st.sampled_from([None, True, False]),
    ),
    max_size=3,
).map(tuple)
diary_days = st.builds(
    DiaryDay,
    date=st.just(D(2026, 1, 1)),
    headache_hours=st.sampled_from([0, 0.5, 1, 2, 3.9, 4, 6.5, 24]),
    peak_intensity=intensities,
    unilateral=st.booleans(),
    pulsating=st.booleans(),
    aggravated_by_activity=st.booleans(),
    nausea=st.booleans(),
    vomiting=st.booleans(),
    photophobia=st.booleans(),
    phonophobia=st.booleans(),
    aura_minutes=st.sampled_from([0, 4, 5, 30, 60, 61]),
    acute_medications=medications,
)


@given(diary_days)
def test_the_two_definitions_nest_as_icdh3_and_the_label_say(d: DiaryDay) -> None:
    label = classify_day(d, "label")
    ichd3 = classify_day(d, "ichd3")
    # ichd3: every headache is a headache day (1.3 A)
    assert ichd3.headache_day == (d.headache_hours > 0)
    # a label headache day is always an ichd3 one; an ichd3 migraine day always a label one
    assert not label.headache_day or ichd3.headache_day
    assert not ichd3.migraine_day or label.migraine_day
    # every migraine day is a headache day, under both
    assert not label.migraine_day or label.headache_day
    assert not ichd3.migraine_day or ichd3.headache_day
    # naming the definition changes the words only
    named = classify_day(d, "ichd3", True)
    assert (named.headache_day, named.migraine_day) == (ichd3.headache_day, ichd3.migraine_day)


@given(st.sampled_from(["propranolol", "topiramate", "Inderal", "candesartan", "Epilim"]),
       st.sampled_from(["", " 80 mg", " MR 80 mg", " 25mg tablets", " LA"]),
       st.sampled_from([str.lower, str.upper, str.title]))  # fmt: skip
def test_a_strength_or_case_never_makes_another_drug(name: str, suffix: str, case: Any) -> None:
    assert drug_key(case(name + suffix)) == drug_key(name)


# --- the command, end to end --------------------------------------------------------------------


def test_the_command_prints_standard_2_on_an_unseen_case(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    days = merge(
        *(block(days_after(B_START, 28 * w), recorded=28, migraine_days=10) for w in range(3)),
        *(short_headaches(days_after(B_START, 28 * w + 10), 6) for w in range(3)),
    )
    doc = case_doc(
        days.values(),
        assessed_on="2026-03-28",
        preventives=[
            {"name": "Propranolol MR 80 mg", "outcome": "inadequate_response"},
            {"name": "propranolol", "outcome": "intolerance"},
            {"name": "topiramate", "outcome": "intolerance"},
            {"name": "Amitriptyline 10 mg", "outcome": "inadequate_response"},
        ],
        toxin_exposures=[{"date": "2026-02-26", "units": 300, "product": "abobotulinumtoxinA"}],
    )
    path = tmp_path / "case.json"
    path.write_text(json.dumps(doc))
    assert main([str(path), "--policy", "nice-ta260"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["ruleset"] == "standard-2"
    assert result["day_definition"] == "ichd3"
    assert result["baseline"]["per_28"]["headache_days"] == 16.0
    criteria = {c["code"]: c for c in result["eligibility"]["criteria"]}
    assert criteria["chronic_migraine"]["met"] is True
    assert criteria["failed_preventives"]["detail"] == (
        "3 of 3 required (Amitriptyline 10 mg, Propranolol MR 80 mg, topiramate)"
    )
    assert result["eligibility"]["flags"] == ["recent_toxin_exposure"]
    assert result["eligibility"]["status"] == "needs_review"
    assert result["next_injection"]["flags"] == ["recent_toxin_exposure"]
    assert result["continuation"] == {
        "policy": "nice-ta260",
        "recommendation": "not_started",
        "reasons": [],
        "detail": "no injection yet: the continuation rules apply only to a patient on treatment",
    }
    assert main([str(path), "--policy", "nice-ta260", "--ruleset", "standard-1"]) == 0
    old = json.loads(capsys.readouterr().out)
    assert old["chronic_migraine"]["met"] is False  # 10 label headache days
    assert {c["code"]: c for c in old["eligibility"]["criteria"]}["failed_preventives"][
        "detail"
    ].startswith("4 of 3 required")


def test_three_low_months_are_counted_in_the_policys_days() -> None:
    """On treatment, the three windows ending on assessed_on have 8 migraine days and 4
    short (2 h) headaches each: 8 label headache days (< 10: EHF pause under standard-1)
    but 12 ichd3 headache days (not < 10: no pause under standard-2, ICHD-3 1.3 A)."""
    i1 = days_after(B_START, 28)
    assessed_on = days_after(i1, 84 * 2 + 83)
    days = merge(block(B_START, recorded=28, migraine_days=20))
    for w in range(3):
        start = assessed_on - dt.timedelta(days=28 * (w + 1) - 1)
        days.update(block(start, recorded=28, migraine_days=8))
        days.update(short_headaches(days_after(start, 8), 4))
    case = Case(
        patient=Patient(birth_date=D(1980, 1, 1)),
        assessed_on=assessed_on,
        diary=tuple(sorted(days.values(), key=lambda d: d.date)),
        injections=(Injection(i1), Injection(days_after(i1, 84)), Injection(days_after(i1, 168))),
    )
    old = assess(case, "ehf-2018", ruleset="standard-1").to_dict()["continuation"]
    new = assess(case, "ehf-2018").to_dict()["continuation"]
    assert (old["recommendation"], old["reasons"]) == ("pause", ["low_frequency_3_months"])
    assert new["recommendation"] == "continue"
    nice = assess(case, "nice-ta260").to_dict()["continuation"]
    # 12 ichd3 headache days is below NICE's 15 in all three windows: converted to episodic
    assert (nice["recommendation"], nice["reasons"]) == ("stop", ["converted_to_episodic"])
    assert nice["detail"].startswith(
        "fewer than 15 ichd3 headache days per 28 in each of the 3 windows ending"
    )
    assert "(12.0, 12.0, 12.0, latest first)" in nice["detail"]
