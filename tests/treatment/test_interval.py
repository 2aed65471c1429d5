"""The retreatment interval (point_of_care.check_interval): 84 due, before the earliest day (77)
only with a structured reason (issue 14.5), under the clinic minimum refused."""

from __future__ import annotations

import datetime as dt

import pytest

from cephalog.domain.point_of_care import EarlyInjection, EarlyReason
from cephalog.treatment import actions
from cephalog.treatment.models import Session
from tests.personas import Cast
from tests.treatment.helpers import NOW, full_session, start


@pytest.fixture
def earlier(cast: Cast) -> Session:
    return full_session(cast.patient, cast.physician, now=NOW - dt.timedelta(days=76))


EARLY = EarlyInjection(EarlyReason.UNAVAILABLE, True, "Abroad for 3 months from next week.")


def test_it_refuses_76_days_without_a_reason(cast: Cast, earlier: Session) -> None:
    with pytest.raises(actions.SessionError) as error:
        start(cast.patient, cast.physician)
    assert "76 days since the last session" in str(error.value)
    assert "antibody risk" in str(error.value)
    assert error.value.by_field["early_reason"]  # beside the early-session controls
    assert "retreatment_interval" not in str(error.value)
    assert Session.objects.filter(patient=cast.patient).count() == 1


@pytest.mark.parametrize(
    "early",
    [
        # Free text mentioning antibodies is no longer enough: the structured parts are needed.
        EarlyInjection(None, True, "Travelling; antibody risk discussed and accepted"),
        EarlyInjection(EarlyReason.UNAVAILABLE, False, "antibodies and immunogenicity discussed"),
        EarlyInjection(EarlyReason.OTHER, True, ""),
    ],
)
def test_it_refuses_76_days_with_an_incomplete_reason(
    cast: Cast, earlier: Session, early: EarlyInjection
) -> None:
    with pytest.raises(actions.SessionError):
        start(cast.patient, cast.physician, early=early)


def test_it_accepts_76_days_with_a_structured_reason(cast: Cast, earlier: Session) -> None:
    session = start(cast.patient, cast.physician, early=EARLY)
    assert session.prechecks["early"] == {
        "reason": "unavailable",
        "antibody_risk_acknowledged": True,
        "note": "Abroad for 3 months from next week.",
    }
    assert "antibody risk considered" in session.override_reason
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
    with pytest.raises(actions.SessionError, match="never treats sooner than 70 days"):
        start(cast.patient, cast.physician, early=EARLY)


def test_it_counts_from_completed_sessions_only(cast: Cast) -> None:
    abandoned = start(cast.patient, cast.physician, now=NOW - dt.timedelta(days=30))
    actions.cancel_session(session=abandoned, by=cast.physician, reason="Patient unwell")
    assert start(cast.patient, cast.physician).status == "in_progress"


def test_it_refuses_a_second_session_the_same_day(cast: Cast) -> None:
    start(cast.patient, cast.physician)
    with pytest.raises(actions.SessionError, match="already has a session today"):
        start(cast.patient, cast.physician, now=NOW + dt.timedelta(hours=2))
