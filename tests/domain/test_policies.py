"""Policies: eligibility (spec section 6) and continuation (spec section 8)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from fractions import Fraction

import pytest

from cephalog.domain.case import Case, Medication, Patient, Preventive, ToxinExposure
from cephalog.domain.case import Injection as InjectionRecord
from cephalog.domain.criteria import ChronicMigraine, MedicationOveruse
from cephalog.domain.cycles import Cycle
from cephalog.domain.diary import DiaryDay
from cephalog.domain.policies import (
    POLICIES,
    Policy,
    PolicyError,
    age_on,
    assess_continuation,
    assess_eligibility,
    failed_preventives,
    get_policy,
    recent_windows,
)
from cephalog.domain.windows import window_ending

from ._helpers import block, days_after, merge

AS_OF = dt.date(2026, 2, 1)
CM_MET = ChronicMigraine(True, "chronic")
NO_OVERUSE = MedicationOveruse(False, (), "none")
OVERUSE = MedicationOveruse(True, ("triptan",), "triptan")
UNKNOWN_OVERUSE = MedicationOveruse(None, (), "not assessable")
FAILED3 = tuple(
    Preventive(name, "inadequate_response", start=dt.date(2024, 1, 1))
    for name in ("topiramate", "propranolol", "amitriptyline")
)


def make_case(**changes: object) -> Case:
    case = Case(
        patient=Patient(dt.date(1981, 4, 12)),
        assessed_on=dt.date(2026, 6, 30),
        diary=(),
        preventives=FAILED3,
        injections=(InjectionRecord(AS_OF), InjectionRecord(days_after(AS_OF, 84))),
    )
    return dataclasses.replace(case, **changes)  # type: ignore[arg-type]


def eligibility(
    policy: str = "us-label",
    case: Case | None = None,
    cm: ChronicMigraine = CM_MET,
    overuse: MedicationOveruse = NO_OVERUSE,
) -> dict[str, object]:
    return assess_eligibility(case or make_case(), POLICIES[policy], cm, overuse).to_dict()


# --- eligibility ---------------------------------------------------------------------------


@pytest.mark.parametrize("policy", list(POLICIES))
def test_it_finds_an_eligible_patient(policy: str) -> None:
    result = eligibility(policy)
    assert result["status"] == "eligible"
    assert result["as_of"] == "2026-02-01"  # the first injection, not assessed_on
    assert (result["hard_stops"], result["flags"]) == ([], [])


@pytest.mark.parametrize(
    ("policy", "codes"),
    [
        ("us-label", ["chronic_migraine"]),
        ("us-payer", ["chronic_migraine", "failed_preventives"]),
        ("nice-ta260", ["chronic_migraine", "failed_preventives", "medication_overuse_managed"]),
        ("ehf-2018", ["chronic_migraine", "failed_preventives"]),
    ],
)
def test_each_policy_has_its_criteria(policy: str, codes: list[str]) -> None:
    criteria = eligibility(policy)["criteria"]
    assert isinstance(criteria, list)
    assert [c["code"] for c in criteria] == codes
    assert all(c["source"] for c in criteria)


@pytest.mark.parametrize(
    ("policy", "failed", "met"),
    [
        ("us-payer", 1, False),
        ("us-payer", 2, True),
        ("ehf-2018", 1, False),
        ("ehf-2018", 2, True),
        ("nice-ta260", 2, False),
        ("nice-ta260", 3, True),
    ],
)
def test_it_counts_failed_preventives_against_each_policy(
    policy: str, failed: int, met: bool
) -> None:
    result = eligibility(policy, make_case(preventives=FAILED3[:failed]))
    criterion = result["criteria"][1]  # type: ignore[index]
    assert criterion["met"] is met
    required = POLICIES[policy].failed_preventives_required
    assert criterion["detail"].startswith(f"{failed} of {required} required")
    assert result["status"] == ("eligible" if met else "not_eligible")


def test_the_spec_example_detail_for_failed_preventives() -> None:
    criterion = eligibility("nice-ta260")["criteria"][1]  # type: ignore[index]
    assert criterion["detail"] == "3 of 3 required (amitriptyline, propranolol, topiramate)"


@pytest.mark.parametrize(
    ("preventives", "count"),
    [
        ((Preventive("topiramate", "inadequate_response"),), 1),  # no start: a past treatment
        ((Preventive("topiramate", "intolerance", start=AS_OF),), 1),  # start == as_of
        ((Preventive("topiramate", "contraindicated", start=days_after(AS_OF, 1)),), 0),
        ((Preventive("topiramate", "effective"), Preventive("propranolol", "ongoing")), 0),
        (
            (
                Preventive("Topiramate", "inadequate_response"),
                Preventive("topiramate ", "intolerance"),
                Preventive("topiramate", "inadequate_response", start=dt.date(2020, 1, 1)),
            ),
            1,
        ),
        ((Preventive("a", "intolerance"), Preventive("b", "intolerance")), 2),
    ],
)
def test_it_counts_distinct_failed_preventives_started_by_as_of(
    preventives: tuple[Preventive, ...], count: int
) -> None:
    assert len(failed_preventives(make_case(preventives=preventives), AS_OF)) == count


@pytest.mark.parametrize(
    ("birth", "as_of", "age"),
    [
        (dt.date(2008, 2, 1), dt.date(2026, 2, 1), 18),
        (dt.date(2008, 2, 2), dt.date(2026, 2, 1), 17),
        (dt.date(2008, 2, 29), dt.date(2026, 2, 28), 17),
        (dt.date(2008, 2, 29), dt.date(2026, 3, 1), 18),
        (dt.date(2008, 2, 29), dt.date(2028, 2, 29), 20),
    ],
)
def test_it_computes_age_in_whole_years(birth: dt.date, as_of: dt.date, age: int) -> None:
    assert age_on(birth, as_of) == age


@pytest.mark.parametrize(
    ("birth", "under_18"),
    [(dt.date(2008, 2, 1), False), (dt.date(2008, 2, 2), True)],
)
def test_age_is_taken_at_as_of_not_assessed_on(birth: dt.date, under_18: bool) -> None:
    result = eligibility("us-label", make_case(patient=Patient(birth)))
    assert result["hard_stops"] == (["age_under_18"] if under_18 else [])
    assert result["status"] == ("not_eligible" if under_18 else "eligible")


def test_without_injections_as_of_is_assessed_on() -> None:
    case = make_case(injections=(), patient=Patient(dt.date(2008, 6, 30)))
    result = eligibility("us-label", case)
    assert result["as_of"] == "2026-06-30"
    assert result["hard_stops"] == []


@pytest.mark.parametrize("policy", list(POLICIES))
def test_hard_stops_make_any_policy_not_eligible(policy: str) -> None:
    case = make_case(
        allergies=("botulinum_toxin",),
        conditions=("injection_site_infection", "pregnancy"),
        patient=Patient(dt.date(2010, 1, 1)),
    )
    result = eligibility(policy, case)
    assert result["status"] == "not_eligible"
    assert result["hard_stops"] == [
        "age_under_18",
        "injection_site_infection",
        "toxin_hypersensitivity",
    ]
    assert result["flags"] == ["pregnancy"]


def test_every_other_condition_is_a_flag() -> None:
    conditions = ("myasthenia_gravis", "als", "breastfeeding")
    result = eligibility("us-label", make_case(conditions=conditions))
    assert result["flags"] == ["als", "breastfeeding", "myasthenia_gravis"]
    assert result["status"] == "needs_review"


@pytest.mark.parametrize(
    ("medication", "flagged"),
    [
        (Medication("aminoglycoside"), True),
        (Medication("aminoglycoside", start=AS_OF), True),
        (Medication("aminoglycoside", start=days_after(AS_OF, 1)), False),
        (Medication("aminoglycoside", stop=AS_OF), True),
        (Medication("aminoglycoside", stop=days_after(AS_OF, -1)), False),
        (Medication("aminoglycoside", start=dt.date(2025, 1, 1), stop=dt.date(2026, 12, 1)), True),
        (Medication("neuromuscular_blocker"), True),
        (Medication("anticholinergic"), True),
        (Medication("muscle_relaxant"), True),
        (Medication("other"), False),
    ],
)
def test_it_flags_interacting_medication_current_at_as_of(
    medication: Medication, flagged: bool
) -> None:
    result = eligibility("us-label", make_case(medications=(medication,)))
    expected = [f"interacting_medication:{medication.drug_class}"] if flagged else []
    assert result["flags"] == expected


@pytest.mark.parametrize(
    ("days_before", "flagged"), [(0, False), (1, True), (90, True), (91, False), (-1, False)]
)
def test_it_flags_toxin_exposure_in_the_90_days_before_as_of(
    days_before: int, flagged: bool
) -> None:
    exposure = ToxinExposure(days_after(AS_OF, -days_before), 100, "cervical_dystonia")
    result = eligibility("us-label", make_case(toxin_exposures=(exposure,)))
    assert result["flags"] == (["recent_toxin_exposure"] if flagged else [])


@pytest.mark.parametrize(
    ("policy", "flagged"),
    [("us-label", True), ("us-payer", True), ("ehf-2018", True), ("nice-ta260", False)],
)
def test_medication_overuse_is_a_flag_except_under_nice(policy: str, flagged: bool) -> None:
    result = eligibility(policy, overuse=OVERUSE)
    assert ("medication_overuse" in result["flags"]) is flagged  # type: ignore[operator]
    assert result["status"] == ("needs_review" if flagged else "not_eligible")


@pytest.mark.parametrize(
    ("overuse", "met", "status"),
    [
        (NO_OVERUSE, True, "eligible"),
        (OVERUSE, False, "not_eligible"),
        (UNKNOWN_OVERUSE, None, "needs_review"),
    ],
)
def test_nice_needs_overuse_managed(
    overuse: MedicationOveruse, met: bool | None, status: str
) -> None:
    result = eligibility("nice-ta260", overuse=overuse)
    assert result["criteria"][2]["met"] is met  # type: ignore[index]
    assert result["status"] == status


@pytest.mark.parametrize(
    ("cm", "status"),
    [
        (CM_MET, "eligible"),
        (ChronicMigraine(None, "?"), "needs_review"),
        (ChronicMigraine(False, "no"), "not_eligible"),
    ],
)
def test_status_follows_the_chronic_migraine_criterion(cm: ChronicMigraine, status: str) -> None:
    assert eligibility("us-label", cm=cm)["status"] == status


def test_a_false_criterion_wins_over_an_unknown_one_and_flags() -> None:
    case = make_case(preventives=(), conditions=("pregnancy",))
    assert eligibility("us-payer", case, cm=ChronicMigraine(None, "?"))["status"] == "not_eligible"


# --- continuation --------------------------------------------------------------------------

ASSESSED = dt.date(2026, 12, 31)


def cycle(number: int, reduction: float | None, in_progress: bool = False) -> Cycle:
    injection = days_after(AS_OF, 84 * (number - 1))
    return Cycle(
        number=number,
        injection_date=injection,
        interval_days=None if number == 1 else 84,
        in_progress=in_progress,
        window=window_ending({}, days_after(injection, 83)),
        headache_day_change=None,
        headache_day_reduction_pct=None if reduction is None else Fraction(str(reduction)),
        responder_30=None,
        responder_50=None,
        wearing_off=None,
    )


def low_months(
    headache: tuple[int, int, int], recorded: tuple[int, int, int] = (28, 28, 28)
) -> dict[dt.date, DiaryDay]:
    """Headache days in [a-83, a-56], [a-55, a-28], [a-27, a] (oldest first)."""
    return merge(
        *(
            block(
                days_after(ASSESSED, -83 + 28 * i), recorded=recorded[i], migraine_days=headache[i]
            )
            for i in range(3)
        )
    )


HIGH = low_months((20, 20, 20))


def continuation(
    policy: str, cycles: list[Cycle], days: dict[dt.date, DiaryDay] | None = None
) -> tuple[str, list[str]]:
    result = assess_continuation(POLICIES[policy], cycles, HIGH if days is None else days, ASSESSED)
    data = result.to_dict()
    assert data["policy"] == policy
    assert data["detail"]
    return data["recommendation"], data["reasons"]


def test_the_three_low_months_are_the_windows_ending_on_assessed_on() -> None:
    windows = recent_windows({}, ASSESSED, 3)
    assert [(w.start, w.end) for w in windows] == [
        (days_after(ASSESSED, -27), ASSESSED),
        (days_after(ASSESSED, -55), days_after(ASSESSED, -28)),
        (days_after(ASSESSED, -83), days_after(ASSESSED, -56)),
    ]


@pytest.mark.parametrize(
    ("cycles", "days", "expected"),
    [
        ([], None, ("too_early", [])),
        ([cycle(1, 10)], None, ("too_early", [])),
        ([cycle(1, 50), cycle(2, 29.9)], None, ("stop", ["inadequate_response"])),
        ([cycle(1, 50), cycle(2, 30)], None, ("continue", [])),
        ([cycle(1, 0), cycle(2, 40), cycle(3, 20)], None, ("stop", ["inadequate_response"])),
        ([cycle(1, 0), cycle(2, 20), cycle(3, 40)], None, ("continue", [])),
        ([cycle(1, 0), cycle(2, 40), cycle(3, 10, in_progress=True)], None, ("continue", [])),
        ([cycle(1, 0), cycle(2, 40), cycle(3, None)], None, ("continue", [])),
        ([cycle(1, 0), cycle(2, None)], None, ("too_early", [])),
        (
            [cycle(1, 50), cycle(2, 60)],
            low_months((14, 14, 14)),
            ("stop", ["converted_to_episodic"]),
        ),
        ([cycle(1, 50), cycle(2, 60)], low_months((14, 15, 14)), ("continue", [])),
        ([cycle(1, 50), cycle(2, 60)], low_months((14, 14, 14), (28, 19, 28)), ("continue", [])),
        ([cycle(1, 50), cycle(2, 10)], low_months((5, 5, 5)), ("stop", ["inadequate_response"])),
        ([], low_months((5, 5, 5)), ("stop", ["converted_to_episodic"])),
        ([cycle(1, 50)], low_months((10, 11, 10), (20, 20, 20)), ("too_early", [])),  # 15.4 per 28
    ],
)
def test_nice_ta260_continuation(
    cycles: list[Cycle], days: dict[dt.date, DiaryDay] | None, expected: tuple[str, list[str]]
) -> None:
    assert continuation("nice-ta260", cycles, days) == expected


@pytest.mark.parametrize(
    ("cycles", "days", "expected"),
    [
        ([], None, ("too_early", [])),
        ([cycle(1, 0)], None, ("too_early", [])),
        ([cycle(1, 0), cycle(2, 29.9)], None, ("review", ["one_more_cycle_allowed"])),
        ([cycle(1, 0), cycle(2, 30)], None, ("continue", [])),
        ([cycle(1, 0), cycle(2, 10), cycle(3, 29.9)], None, ("stop", ["inadequate_response"])),
        ([cycle(1, 0), cycle(2, 10), cycle(3, 30)], None, ("continue", [])),
        (
            [cycle(1, 0), cycle(2, 10), cycle(3, 50, in_progress=True)],
            None,
            ("review", ["one_more_cycle_allowed"]),
        ),
        ([cycle(1, 0), cycle(2, 40), cycle(3, 10), cycle(4, 35)], None, ("continue", [])),
        ([cycle(1, 0), cycle(2, 60)], low_months((9, 9, 9)), ("pause", ["low_frequency_3_months"])),
        ([cycle(1, 0), cycle(2, 60)], low_months((9, 10, 9)), ("continue", [])),
        ([cycle(1, 0), cycle(2, 60)], low_months((14, 14, 14)), ("continue", [])),
        (
            [cycle(1, 0), cycle(2, 10)],
            low_months((9, 9, 9)),
            ("review", ["one_more_cycle_allowed"]),
        ),
    ],
)
def test_ehf_2018_continuation(
    cycles: list[Cycle], days: dict[dt.date, DiaryDay] | None, expected: tuple[str, list[str]]
) -> None:
    assert continuation("ehf-2018", cycles, days) == expected


def test_ehf_pause_advises_reassessment() -> None:
    result = assess_continuation(
        POLICIES["ehf-2018"], [cycle(1, 0), cycle(2, 60)], low_months((9, 9, 9)), ASSESSED
    )
    assert "reassess 4-5 months after stopping" in result.detail


@pytest.mark.parametrize(
    ("cycles", "expected"),
    [
        ([], ("too_early", [])),
        ([cycle(1, 80)], ("too_early", [])),
        ([cycle(1, 0), cycle(2, 49.9)], ("review", ["renewal_threshold_not_met"])),
        ([cycle(1, 0), cycle(2, 50)], ("continue", [])),
        ([cycle(1, 0), cycle(2, 60), cycle(3, 20)], ("review", ["renewal_threshold_not_met"])),
    ],
)
def test_us_payer_continuation(cycles: list[Cycle], expected: tuple[str, list[str]]) -> None:
    assert continuation("us-payer", cycles, low_months((2, 2, 2))) == expected


@pytest.mark.parametrize(
    ("cycles", "expected"),
    [
        ([], ("too_early", [])),
        ([cycle(1, None, in_progress=True)], ("too_early", [])),
        ([cycle(1, None)], ("continue", ["no_stopping_rule_in_label"])),
        ([cycle(1, 0), cycle(2, -50)], ("continue", ["no_stopping_rule_in_label"])),
    ],
)
def test_us_label_continuation(cycles: list[Cycle], expected: tuple[str, list[str]]) -> None:
    assert continuation("us-label", cycles, low_months((2, 2, 2))) == expected


def test_the_continuation_detail_reads_like_the_spec() -> None:
    result = assess_continuation(
        POLICIES["nice-ta260"], [cycle(1, 0), cycle(2, 21.4)], HIGH, ASSESSED
    )
    assert result.to_dict() == {
        "policy": "nice-ta260",
        "recommendation": "stop",
        "reasons": ["inadequate_response"],
        "detail": "cycle 2: 21.4% fewer headache days than baseline; 30% required",
    }
    worse = assess_continuation(
        POLICIES["nice-ta260"], [cycle(1, 0), cycle(2, -12.5)], HIGH, ASSESSED
    )
    assert worse.detail == "cycle 2: 12.5% more headache days than baseline; 30% required"


# --- policies as data ----------------------------------------------------------------------


def test_every_built_in_policy_round_trips_through_a_dict() -> None:
    for policy in POLICIES.values():
        assert Policy.from_dict(policy.to_dict()) == policy


def test_a_clinic_can_define_its_own_policy() -> None:
    policy = Policy.from_dict(
        {
            "name": "clinic-strict",
            "title": "Our clinic",
            "source": "clinic protocol v3",
            "failed_preventives_required": 4,
            "continuation": {"responder_threshold_pct": 40, "low_frequency_below": 8},
        }
    )
    assert policy.failed_preventives_required == 4
    assert policy.continuation.responder_threshold_pct == 40
    assert policy.earliest_interval_days == 77
    result = assess_continuation(policy, [cycle(1, 0), cycle(2, 35)], HIGH, ASSESSED)
    assert (result.recommendation, result.reasons) == ("stop", ("inadequate_response",))
    eligibility_result = assess_eligibility(make_case(), policy, CM_MET, NO_OVERUSE)
    assert eligibility_result.status == "not_eligible"


def test_a_bad_policy_definition_names_every_problem() -> None:
    with pytest.raises(PolicyError) as caught:
        Policy.from_dict(
            {
                "name": "x",
                "title": "",
                "source": "s",
                "failed_preventive_required": 2,
                "overuse_managed_required": "yes",
                "earliest_interval_days": -1,
                "continuation": {
                    "responder_threshold_pct": True,
                    "nonresponse_recommendation": "halt",
                },
            }
        )
    assert caught.value.problems == (
        "failed_preventive_required: unknown policy key",
        "title: required, a string",
        "overuse_managed_required: must be bool, got 'yes'",
        "earliest_interval_days: must be 0 or more, got -1",
        "continuation.responder_threshold_pct: must be int or float or null, got True",
        "continuation.nonresponse_recommendation: must be one of continue, stop, review, pause, "
        "too_early; got 'halt'",
    )


def test_an_unknown_policy_name_lists_the_known_ones() -> None:
    with pytest.raises(KeyError, match="us-label, us-payer, nice-ta260, ehf-2018"):
        get_policy("nice")
