"""Vials: expired lots, wrong concentration and stale reconstitution are refused (§1.4)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from cephalog.treatment import actions
from cephalog.treatment.models import Vial
from tests.personas import Cast
from tests.treatment.helpers import NOW, preempt, start, vial


def test_it_refuses_an_expired_lot(cast: Cast) -> None:
    session = start(cast.patient, cast.physician)
    with pytest.raises(actions.SessionError, match=r"Lot X9 expired on 9 Mar 2026"):
        vial(session, cast.physician, lot="X9", expiry=dt.date(2026, 3, 9))
    assert not Vial.objects.exists()


def test_it_accepts_a_lot_on_its_expiry_date(cast: Cast) -> None:
    session = start(cast.patient, cast.physician)
    assert vial(session, cast.physician, expiry=NOW.date()).pk


def test_it_refuses_4_5_ml_of_diluent_in_a_200_unit_vial(cast: Cast) -> None:
    session = start(cast.patient, cast.physician)
    with pytest.raises(actions.SessionError, match=r"5 U per 0.1 mL needs 4 mL"):
        vial(session, cast.physician, diluent_ml=Decimal("4.5"))


def test_it_refuses_a_vial_reconstituted_24_hours_and_a_minute_before(cast: Cast) -> None:
    session = start(cast.patient, cast.physician)
    late = NOW - dt.timedelta(hours=24, minutes=1)
    with pytest.raises(actions.SessionError, match="must be used within 24 h"):
        vial(session, cast.physician, reconstituted_at=late)
    assert vial(session, cast.physician, reconstituted_at=NOW - dt.timedelta(hours=24)).pk


def test_it_refuses_a_reconstitution_time_in_the_future(cast: Cast) -> None:
    session = start(cast.patient, cast.physician)
    with pytest.raises(
        actions.SessionError,
        match="The reconstitution time 10 Mar 2026 10:00 is later than the time of use",
    ):
        vial(session, cast.physician, reconstituted_at=NOW + dt.timedelta(hours=1))


def test_it_refuses_another_product(cast: Cast) -> None:
    session = start(cast.patient, cast.physician)
    with pytest.raises(actions.SessionError, match="not interchangeable"):
        vial(session, cast.physician, product="abobotulinumtoxinA")


def test_it_rechecks_the_24_hours_at_the_last_injection(cast: Cast) -> None:
    session = start(cast.patient, cast.physician)
    vial(session, cast.physician, reconstituted_at=NOW - dt.timedelta(hours=23, minutes=50))
    with pytest.raises(actions.SessionError, match="within 24 h"):
        actions.complete_session(
            session=session,
            by=cast.physician,
            sites=preempt(),
            ended_at=NOW + dt.timedelta(minutes=15),
            now=NOW + dt.timedelta(minutes=20),
        )


def test_it_removes_a_vial_recorded_by_mistake_while_open(cast: Cast) -> None:
    session = start(cast.patient, cast.physician)
    v = vial(session, cast.nurse)
    actions.remove_vial(vial=v, by=cast.nurse)
    assert not Vial.objects.exists()
