"""At most 400 U of botulinum toxin across indications in any 90 days (dosing.check_cumulative_dose)."""

from __future__ import annotations

import datetime as dt

import pytest

from cephalog.eligibility.models import ToxinExposure
from cephalog.treatment import actions
from cephalog.treatment.models import Session
from tests.personas import Cast
from tests.treatment.helpers import FTP_8, NOW, preempt, start, vial


def exposure(cast: Cast, days_before: int, units: int) -> None:
    ToxinExposure.objects.create(
        patient=cast.patient,
        date=NOW.date() - dt.timedelta(days=days_before),
        units=units,
        indication="cervical dystonia",
        product="BOTOX",
    )


def test_it_refuses_to_start_when_the_fixed_dose_would_pass_400_units(cast: Cast) -> None:
    exposure(cast, 30, 250)
    with pytest.raises(actions.SessionError, match="at most 400 U in 90 days"):
        start(cast.patient, cast.physician)
    assert not Session.objects.exists()


def test_it_refuses_to_complete_when_follow_the_pain_passes_400_units(cast: Cast) -> None:
    exposure(cast, 30, 240)  # 240 + 155 = 395 at the start: allowed
    session = start(cast.patient, cast.physician)
    vial(session, cast.physician)
    with pytest.raises(actions.SessionError) as error:
        actions.complete_session(
            session=session, by=cast.physician, sites=preempt(FTP_8[:2]), now=NOW
        )
    assert "405 U" in str(error.value)
    assert "onabotulinumtoxinA" in str(error.value)
    assert error.value.by_field["sites"]  # shown beside the sites
    session.refresh_from_db()
    assert not session.locked


def test_it_allows_exactly_400_units(cast: Cast) -> None:
    exposure(cast, 30, 245)
    session = start(cast.patient, cast.physician)
    assert any(r["rule"] == "cumulative_dose" and r["status"] == "ok" for r in session.rule_results)


def test_it_ignores_doses_more_than_89_days_away(cast: Cast) -> None:
    exposure(cast, 90, 300)
    assert start(cast.patient, cast.physician).pk
