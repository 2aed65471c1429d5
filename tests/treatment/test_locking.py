"""A completed session is locked: edits are refused, corrections are addenda."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, transaction

from cephalog.treatment import actions
from cephalog.treatment.models import Session, SessionAddendum, SessionSite
from tests.personas import Cast
from tests.treatment.helpers import NOW, full_session, preempt, vial


@pytest.fixture
def done(cast: Cast) -> Session:
    return full_session(cast.patient, cast.physician)


def test_it_refuses_to_change_the_sites_of_a_completed_session(cast: Cast, done: Session) -> None:
    with pytest.raises(actions.SessionError, match="locked"):
        actions.record_sites(session=done, by=cast.physician, sites=preempt(["temporalis-L-5"]))
    assert SessionSite.objects.filter(session=done).count() == 31


def test_it_refuses_a_vial_or_a_second_signature(cast: Cast, done: Session) -> None:
    with pytest.raises(actions.SessionError, match="locked"):
        vial(done, cast.physician)
    with pytest.raises(actions.SessionError, match="locked"):
        actions.complete_session(session=done, by=cast.physician, now=NOW)
    with pytest.raises(actions.SessionError, match="locked"):
        actions.remove_vial(vial=done.vials.get(), by=cast.physician)
    with pytest.raises(actions.SessionError, match="locked"):
        actions.cancel_session(session=done, by=cast.physician, reason="oops")


def test_it_adds_addenda_to_a_completed_session(cast: Cast, done: Session) -> None:
    actions.add_addendum(session=done, by=cast.nurse, text="Lot number was C1234AC, not AB.")
    actions.add_addendum(session=done, by=cast.physician, text="Agreed.")
    assert list(SessionAddendum.objects.values_list("author__username", flat=True)) == [
        "nurse-joy",
        "dr-house",
    ]
    done.refresh_from_db()
    assert done.total_units == 155


def test_it_refuses_an_addendum_on_an_open_session(cast: Cast) -> None:
    from tests.treatment.helpers import start

    session = start(cast.patient, cast.physician)
    with pytest.raises(actions.SessionError, match="still open"):
        actions.add_addendum(session=session, by=cast.physician, text="note")


def test_it_refuses_a_blank_addendum(cast: Cast, done: Session) -> None:
    with pytest.raises(Exception, match="text"):
        actions.add_addendum(session=done, by=cast.physician, text="   ")


def test_the_database_refuses_a_locked_session_without_a_signature(
    cast: Cast, done: Session
) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        Session.objects.filter(pk=done.pk).update(signed_by=None)


def test_the_database_refuses_a_skipped_site_without_a_reason(cast: Cast, done: Session) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        SessionSite.objects.filter(session=done).update(status="skipped", units=0)


def test_the_database_refuses_the_same_site_twice(cast: Cast, done: Session) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        SessionSite.objects.create(
            session=done, code="procerus-M-1", muscle="procerus", side="M", status="done", units=5
        )


def test_the_session_ends_after_it_starts(cast: Cast, done: Session) -> None:
    assert done.started_at is not None
    with pytest.raises(IntegrityError), transaction.atomic():
        Session.objects.filter(pk=done.pk).update(ended_at=done.started_at - dt.timedelta(hours=1))
