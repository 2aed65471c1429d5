"""A session cannot start past a hard stop, and starts without a reason once a physician decided to start
(issue 4: 'a session cannot be started for a patient who is not eligible ... without an explicit override
reason'; hard stops block whatever reason is given)."""

import pytest

from cephalog.eligibility import actions as eligibility_actions
from cephalog.eligibility.models import Allergy
from cephalog.treatment import actions
from tests.personas import Cast
from tests.treatment.helpers import NOW, start


def test_it_refuses_a_session_past_a_hard_stop_even_with_a_reason(cast: Cast) -> None:
    Allergy.objects.create(patient=cast.patient, code="botulinum_toxin")
    with pytest.raises(actions.SessionError) as error:
        start(
            cast.patient, cast.physician, precheck_reason="patient insists, antibody risk discussed"
        )
    assert any("Hard stop" in p and "toxin" in p for p in error.value.problems)


def test_it_needs_a_reason_without_a_decision_to_start(cast: Cast) -> None:
    with pytest.raises(actions.SessionError) as error:
        start(cast.patient, cast.physician, precheck_reason="")
    assert any("No decision to start covers" in p for p in error.value.by_field["precheck_reason"])


def test_it_starts_without_a_reason_once_a_physician_decided_to_start(cast: Cast) -> None:
    on = NOW.date()
    eligibility_actions.decide_to_start(
        patient=cast.patient,
        policy_name=cast.clinic.default_policy,
        by=cast.physician,
        on=on,
        override_reason="Paper diary reviewed in clinic: chronic migraine for two years.",
    )
    session = start(cast.patient, cast.physician, precheck_reason="")
    eligibility = next(r for r in session.rule_results if r["rule"] == "eligibility")
    assert eligibility["status"] == "ok"
    assert "recorded decision to start covers" in eligibility["message"]


def test_the_eligibility_check_names_the_policy_as_staff_read_it(cast: Cast) -> None:
    """The check's source says "policy NICE TA260", not the stored key "nice-ta260"."""
    assert cast.clinic.default_policy == "nice-ta260"
    session = start(cast.patient, cast.physician, precheck_reason="Referral letter reviewed.")
    eligibility = next(r for r in session.rule_results if r["rule"] == "eligibility")
    assert eligibility["source"] == "assessment spec section 6, policy NICE TA260"


def test_the_reason_asked_for_and_the_reason_given_follow_a_full_stop(cast: Cast) -> None:
    """Staff walk, 7 Dec 2026: "... no decision to start recorded under NICE TA260 Give a
    reason to go ahead" and "... under NICE TA260 Going ahead with the reason: ..."."""
    with pytest.raises(actions.SessionError) as error:
        start(cast.patient, cast.physician, precheck_reason="")
    (asked,) = error.value.by_field["precheck_reason"]
    assert asked.endswith(". Give a reason to go ahead, or record a decision to start."), asked
    assert ".." not in asked
    session = start(cast.patient, cast.physician, precheck_reason="Paper diary reviewed.")
    given = next(r for r in session.rule_results if r["rule"] == "eligibility")["message"]
    assert ". Going ahead with the reason: Paper diary reviewed." in given, given
