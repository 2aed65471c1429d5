"""Who may do what, enforced by the actions themselves (views, API and commands alike).

Physicians and nurses of the patient's clinic record; only a physician signs;
clinic admins read; the injector is a physician or nurse of the clinic.
"""

from __future__ import annotations

import datetime as dt

import pytest

from cephalog.treatment import actions
from cephalog.treatment.models import Session
from tests.personas import Cast
from tests.treatment.helpers import NOW, preempt, start, vial


@pytest.mark.parametrize("who", ["clinic_admin", "other_physician", "patient_user"])
def test_only_the_clinics_physicians_and_nurses_start_a_session(cast: Cast, who: str) -> None:
    user = getattr(cast, who)
    with pytest.raises(actions.SessionError, match="(?i)only a physician or nurse"):
        start(cast.patient, user, injector=cast.physician)
    assert not Session.objects.exists()


def test_the_injector_is_a_physician_or_nurse_of_the_clinic(cast: Cast) -> None:
    for injector in (cast.clinic_admin, cast.other_physician):
        with pytest.raises(actions.SessionError, match="Choose a physician or nurse"):
            start(cast.patient, cast.physician, injector=injector)
    assert start(cast.patient, cast.physician, injector=cast.nurse).injector == cast.nurse


def test_a_nurse_records_sites_and_vials_but_cannot_sign(cast: Cast) -> None:
    session = start(cast.patient, cast.nurse, injector=cast.physician)
    vial(session, cast.nurse)
    actions.record_sites(session=session, by=cast.nurse, sites=preempt())
    with pytest.raises(actions.SessionError, match="Only a physician of .* may complete"):
        actions.complete_session(session=session, by=cast.nurse, now=NOW)
    done = actions.complete_session(
        session=session, by=cast.physician, now=NOW + dt.timedelta(minutes=10)
    )
    assert done.signed_by == cast.physician
    assert done.injector == cast.physician


def test_another_clinics_physician_cannot_touch_the_session(cast: Cast) -> None:
    session = start(cast.patient, cast.physician)
    with pytest.raises(actions.SessionError):
        vial(session, cast.other_physician)
    with pytest.raises(actions.SessionError):
        actions.record_sites(session=session, by=cast.other_physician, sites=preempt())
    with pytest.raises(actions.SessionError):
        actions.cancel_session(session=session, by=cast.other_physician, reason="x")


def test_a_clinic_admin_cannot_add_an_addendum(cast: Cast) -> None:
    from tests.treatment.helpers import full_session

    session = full_session(cast.patient, cast.physician)
    with pytest.raises(actions.SessionError, match="Only a physician or nurse"):
        actions.add_addendum(session=session, by=cast.clinic_admin, text="x")
