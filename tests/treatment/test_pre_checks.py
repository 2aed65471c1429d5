"""Point-of-care checks before the first injection."""

from __future__ import annotations

import pytest

from cephalog.treatment import actions
from cephalog.treatment.models import Session
from tests.personas import Cast
from tests.treatment.helpers import start


def test_it_refuses_infection_at_the_sites_whatever_the_reason(cast: Cast) -> None:
    with pytest.raises(actions.SessionError, match="Infection at the injection sites"):
        start(cast.patient, cast.physician, infection_at_sites=True, precheck_reason="urgent")
    assert not Session.objects.exists()


@pytest.mark.parametrize("answer", ["pregnant", "red_flags_since_last"])
def test_it_needs_a_reason_for_pregnancy_or_new_red_flags(cast: Cast, answer: str) -> None:
    with pytest.raises(actions.SessionError, match="Document a reason"):
        start(cast.patient, cast.physician, precheck_reason="", **{answer: True})
    session = start(
        cast.patient, cast.physician, precheck_reason="Discussed with the patient", **{answer: True}
    )
    assert session.prechecks[answer] is True
    assert session.prechecks["reason"] == "Discussed with the patient"


def test_it_needs_a_reason_while_no_decision_to_start_covers_the_screening(cast: Cast) -> None:
    with pytest.raises(
        actions.SessionError, match="No decision to start covers the current screening"
    ):
        start(cast.patient, cast.physician, precheck_reason="")


def test_it_records_every_check_with_its_source(cast: Cast) -> None:
    session = start(cast.patient, cast.physician)
    rules = {r["rule"]: r for r in session.rule_results}
    assert set(rules) == {
        "eligibility",
        "continuation",
        "infection_at_sites",
        "red_flags",
        "pregnancy",
        "retreatment_interval",
        "cumulative_dose",
    }
    assert all(r["source"] for r in rules.values())
    assert rules["eligibility"]["status"] == "overridden"


def test_it_lists_every_problem_at_once(cast: Cast) -> None:
    with pytest.raises(actions.SessionError) as error:
        start(
            cast.patient, cast.physician, infection_at_sites=True, pregnant=True, precheck_reason=""
        )
    assert len(error.value.problems) == 3  # eligibility, infection, pregnancy
