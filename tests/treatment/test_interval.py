"""The retreatment interval (dosing.check_interval): 84 due, under 77 needs an antibody reason,
under the clinic minimum refused."""

from __future__ import annotations

import datetime as dt

import pytest

from cephalog.treatment import actions
from cephalog.treatment.models import Session
from tests.personas import Cast
from tests.treatment.helpers import NOW, full_session, start


@pytest.fixture
def earlier(cast: Cast) -> Session:
    return full_session(cast.patient, cast.physician, now=NOW - dt.timedelta(days=76))


def test_it_refuses_76_days_without_a_reason(cast: Cast, earlier: Session) -> None:
    with pytest.raises(actions.SessionError) as error:
        start(cast.patient, cast.physician)
    assert "76 days since the last session" in str(error.value)
    assert "antibod" in str(error.value)
    assert Session.objects.filter(patient=cast.patient).count() == 1


def test_it_refuses_76_days_with_a_reason_that_ignores_the_antibody_risk(
    cast: Cast, earlier: Session
) -> None:
    with pytest.raises(actions.SessionError):
        start(cast.patient, cast.physician, override_reason="Patient going abroad")


def test_it_accepts_76_days_with_an_antibody_risk_reason(cast: Cast, earlier: Session) -> None:
    reason = "Travelling for 3 months; antibody risk discussed and accepted"
    session = start(cast.patient, cast.physician, override_reason=reason)
    assert session.override_reason == reason
    interval = next(r for r in session.rule_results if r["rule"] == "retreatment_interval")
    assert interval["status"] == "overridden"
    assert "BOTOX US label" in interval["source"]


def test_it_warns_but_allows_80_days(cast: Cast) -> None:
    full_session(cast.patient, cast.physician, now=NOW - dt.timedelta(days=80))
    session = start(cast.patient, cast.physician)
    interval = next(r for r in session.rule_results if r["rule"] == "retreatment_interval")
    assert interval["status"] == "warning"


def test_it_refuses_below_the_clinic_minimum_even_with_a_reason(cast: Cast) -> None:
    cast.clinic.minimum_interval_days = 70
    cast.clinic.save()
    full_session(cast.patient, cast.physician, now=NOW - dt.timedelta(days=69))
    with pytest.raises(actions.SessionError, match="clinic minimum is 70 days"):
        start(cast.patient, cast.physician, override_reason="antibody risk accepted")


def test_it_counts_from_completed_sessions_only(cast: Cast) -> None:
    abandoned = start(cast.patient, cast.physician, now=NOW - dt.timedelta(days=30))
    actions.cancel_session(session=abandoned, by=cast.physician, reason="Patient unwell")
    assert start(cast.patient, cast.physician).status == "in_progress"


def test_it_refuses_a_second_session_the_same_day(cast: Cast) -> None:
    start(cast.patient, cast.physician)
    with pytest.raises(actions.SessionError, match="already has a session today"):
        start(cast.patient, cast.physician, now=NOW + dt.timedelta(hours=2))
