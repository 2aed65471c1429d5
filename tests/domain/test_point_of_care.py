"""The checks before every session (cephalog.domain.point_of_care; issues 14.3-14.5, 14.7).

Sources: BOTOX US label §4 (contraindications), §5 (units not interchangeable), §7 (drug
interactions: aminoglycosides, other botulinum toxins); clinical-reference §2.2, §2.6, §2.8;
spec/assessment.md sections 6 and 11.4-11.5.
"""

from __future__ import annotations

import datetime as dt

import pytest

from cephalog.domain.case import Case, Injection, Medication, Patient, ToxinExposure
from cephalog.domain.dosing import RuleStatus
from cephalog.domain.intervals import IntervalRule
from cephalog.domain.point_of_care import (
    Answers,
    EarlyInjection,
    EarlyReason,
    Exposure,
    cap_exposures,
    check_cap,
    check_interval,
    hard_stops,
    session_flags,
)
from cephalog.domain.policies import get_policy

LAST = dt.date(2026, 3, 2)  # the previous session
ON = dt.date(2026, 5, 25)  # this session: 84 days later
NO = Answers(infection_at_sites=False, red_flags_since_last=False, pregnant=False)


def case(**fields: object) -> Case:
    base: dict[str, object] = {
        "patient": Patient(birth_date=dt.date(1980, 1, 1)),
        "assessed_on": ON,
        "diary": (),
        "injections": (Injection(date=LAST, units=155, sites=31),),
    }
    base.update(fields)
    return Case(**base)  # type: ignore[arg-type]


def codes(findings: tuple[object, ...]) -> list[str]:
    return [f.code for f in findings]  # type: ignore[attr-defined]


# --- flags on the session date ---------------------------------------------------------------


def test_an_aminoglycoside_started_after_the_last_session_is_a_flag() -> None:
    gentamicin = Medication("aminoglycoside", "gentamicin", start=LAST + dt.timedelta(days=20))
    (flag,) = session_flags(
        case(medications=(gentamicin,)), ON, get_policy("nice-ta260"), NO, last_session=LAST
    )
    assert flag.code == "interacting_medication:aminoglycoside"
    assert "gentamicin since 22 Mar 2026 (started after the last session)" in flag.detail
    assert "strengthen" in flag.detail
    assert "§7" in flag.source


def test_flags_are_evaluated_on_the_session_date_not_the_first_injection() -> None:
    # Stopped before the session: no flag; started after it: no flag either (not current).
    stopped = Medication("muscle_relaxant", "baclofen", start=LAST, stop=ON - dt.timedelta(days=1))
    future = Medication("anticholinergic", "oxybutynin", start=ON + dt.timedelta(days=1))
    current = Medication("neuromuscular_blocker", "rocuronium", start=ON)
    found = session_flags(
        case(medications=(stopped, future, current)), ON, get_policy("us-label"), NO
    )
    assert codes(found) == ["interacting_medication:neuromuscular_blocker"]


def test_a_300_u_abobotulinumtoxina_exposure_30_days_earlier_is_a_flag_not_a_refusal() -> None:
    when = ON - dt.timedelta(days=30)
    dysport = Exposure(when, 300, "abobotulinumtoxinA", "cervical dystonia")
    (flag,) = session_flags(
        case(toxin_exposures=(ToxinExposure(when, 300, "cervical dystonia"),)),
        ON,
        get_policy("us-label"),
        NO,
        exposures=[dysport],
    )
    assert flag.code == "recent_toxin_exposure"
    assert "300 U of abobotulinumtoxinA (Dysport) for cervical dystonia on 25 Apr 2026" in (
        flag.detail
    )
    assert "not interchangeable" in flag.detail
    cap = check_cap([dysport], ON, 195)
    assert cap.status is RuleStatus.OK, cap.message
    assert "At most 195 U" in cap.message


def test_the_cap_adds_onabotulinumtoxina_units_only() -> None:
    when = ON - dt.timedelta(days=30)
    exposures = [
        Exposure(when, 300, "abobotulinumtoxinA"),
        Exposure(when, 100, "rimabotulinumtoxinB"),
        Exposure(when, 200, ""),  # no product named: onabotulinumtoxinA (spec 11.5)
        Exposure(LAST, 155, "onabotulinumtoxinA", session=True),
    ]
    assert cap_exposures(exposures) == [(when, 200), (LAST, 155)]
    # 200 U + the last session's 155 U (84 days back) + 45 U today = 400 U: at the cap.
    assert check_cap(exposures, ON, 45).status is RuleStatus.OK
    refused = check_cap([*exposures, Exposure(when, 10, "BOTOX")], ON, 45)
    assert refused.status is RuleStatus.REFUSED
    assert "410 U of onabotulinumtoxinA" in refused.message


def test_any_product_within_90_days_raises_the_flag_and_older_ones_do_not() -> None:
    def flags_for(days_before: int) -> list[str]:
        when = ON - dt.timedelta(days=days_before)
        return codes(
            session_flags(
                case(toxin_exposures=(ToxinExposure(when, 50, "blepharospasm"),)),
                ON,
                get_policy("us-label"),
                NO,
                exposures=[Exposure(when, 50, "incobotulinumtoxinA", "blepharospasm")],
            )
        )

    assert flags_for(90) == ["recent_toxin_exposure"]
    assert flags_for(91) == []
    assert flags_for(0) == []  # the same day is not "before" the session (spec section 6)


def test_the_answers_at_the_check_add_their_own_flags() -> None:
    answers = Answers(
        infection_at_sites=False,
        red_flags_since_last=True,
        pregnant=True,
        new_since_last=True,
        new_since_last_note="started an antibiotic injection last week",
    )
    found = {f.code: f for f in session_flags(case(), ON, get_policy("us-label"), answers)}
    assert set(found) == {"new_since_last", "pregnancy", "red_flags_since_last"}
    assert "started an antibiotic injection last week" in found["new_since_last"].detail
    # A recorded pregnancy and the answer are one flag, not two.
    found = session_flags(case(conditions=("pregnancy",)), ON, get_policy("us-label"), answers)
    assert codes(found).count("pregnancy") == 1


def test_conditions_are_flags_and_infection_or_allergy_are_hard_stops() -> None:
    record = case(conditions=("myasthenia_gravis", "injection_site_infection"))
    assert codes(session_flags(record, ON, get_policy("us-label"), NO)) == ["myasthenia_gravis"]
    assert codes(hard_stops(record, ON, NO, get_policy("us-label"))) == ["injection_site_infection"]
    seen_today = Answers(infection_at_sites=True, red_flags_since_last=False, pregnant=False)
    assert codes(hard_stops(case(), ON, seen_today, get_policy("us-label"))) == [
        "injection_site_infection"
    ]
    allergic = case(allergies=("botulinum_toxin",))
    assert codes(hard_stops(allergic, ON, NO, get_policy("us-label"))) == ["toxin_hypersensitivity"]
    child = case(patient=Patient(birth_date=ON.replace(year=ON.year - 17)))
    assert codes(hard_stops(child, ON, NO, get_policy("us-label"))) == ["age_under_18"]


# --- the interval -------------------------------------------------------------------------------


def after(days: int) -> dt.date:
    return LAST + dt.timedelta(days=days)


FULL = EarlyInjection(EarlyReason.UNAVAILABLE, True, "Surgery booked on the due date.")


@pytest.mark.parametrize(
    ("days", "minimum", "early", "status"),
    [
        (84, 70, None, RuleStatus.OK),
        (120, 70, None, RuleStatus.OK),
        (83, 70, None, RuleStatus.WARNING),
        (77, 70, None, RuleStatus.WARNING),
        (76, 70, None, RuleStatus.NEEDS_OVERRIDE),
        (76, 70, FULL, RuleStatus.OVERRIDDEN),
        (70, 70, FULL, RuleStatus.OVERRIDDEN),
        (69, 70, FULL, RuleStatus.REFUSED),
        # The clinic's minimum is never after the earliest day (domain.intervals).
        (83, 84, None, RuleStatus.WARNING),
        (0, 0, FULL, RuleStatus.REFUSED),
        # Incomplete reasons never pass, whatever words the text contains.
        (76, 70, EarlyInjection(None, True, "antibody risk discussed"), RuleStatus.NEEDS_OVERRIDE),
        (
            76,
            70,
            EarlyInjection(EarlyReason.OTHER, False, "antibodies and immunogenicity discussed"),
            RuleStatus.NEEDS_OVERRIDE,
        ),
        (76, 70, EarlyInjection(EarlyReason.WEARING_OFF, True, "  "), RuleStatus.NEEDS_OVERRIDE),
    ],
)
def test_it_checks_the_interval_with_a_structured_reason(
    days: int, minimum: int, early: EarlyInjection | None, status: RuleStatus
) -> None:
    result = check_interval(LAST, after(days), minimum, early)
    assert result.status is status, result.message
    assert "§2.2" in result.source


def test_interval_messages_are_plain_words() -> None:
    result = check_interval(LAST, after(76), 70)
    assert result.message.startswith("Too early: 76 days since the last session on 2 Mar 2026")
    assert "the earliest day is 18 May 2026 (due date 25 May 2026)" in result.message
    assert "retreatment_interval" not in result.message
    overridden = check_interval(LAST, after(76), 70, FULL)
    assert "The patient cannot come on or after the earliest day" in overridden.message
    assert "antibody risk considered" in overridden.message
    refused = check_interval(LAST, after(60), 70)
    assert "This clinic never treats sooner than 70 days" in refused.message


def test_the_patients_interval_rule_moves_the_days() -> None:
    # A payer policy's earliest day is the due day; a decision may lengthen the interval.
    payer = IntervalRule(earliest_days=84, minimum_days=70)
    assert check_interval(LAST, after(80), 70, interval=payer).status is RuleStatus.NEEDS_OVERRIDE
    longer = IntervalRule(due_days=98, earliest_days=91, minimum_days=70)
    assert check_interval(LAST, after(84), 70, interval=longer).status is RuleStatus.NEEDS_OVERRIDE
    assert check_interval(LAST, after(91), 70, interval=longer).status is RuleStatus.WARNING
    assert check_interval(LAST, after(98), 70, interval=longer).message.endswith("due (14 weeks).")


def test_first_session_and_bad_minimum() -> None:
    assert check_interval(None, ON, 84).status is RuleStatus.OK
    with pytest.raises(ValueError, match="clinic_minimum_days"):
        check_interval(LAST, ON, -1)
