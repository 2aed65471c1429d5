"""The session pages read in a fixed number of queries, however much is recorded."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cephalog.treatment import actions
from cephalog.treatment.models import InjectorTraining
from tests.personas import Cast, client_for
from tests.treatment.helpers import FTP_8, NOW, full_session, start, vial


def count(client: Any, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_the_completed_session_page_does_not_grow_with_addenda_or_training(
    cast: Cast, django_assert_num_queries: Any
) -> None:
    session = full_session(cast.patient, cast.physician, ftp=FTP_8)
    url = reverse("session-detail", args=[cast.patient.pk, session.pk])
    client = client_for(cast, "physician")
    before = count(client, url)
    for i in range(5):
        actions.add_addendum(session=session, by=cast.nurse, text=f"note {i}")
        InjectorTraining.objects.create(
            clinic=cast.clinic,
            user=cast.physician,
            course=f"course {i}",
            completed_on=dt.date(2020, 1, 1),
        )
    assert count(client, url) == before
    with django_assert_num_queries(before):
        client.get(url)
    assert before <= 24  # incl. session, auth, audit hash chain and 2 role checks


def test_the_open_session_page_does_not_grow_with_vials_or_sites(cast: Cast) -> None:
    session = start(cast.patient, cast.physician)
    url = reverse("session-detail", args=[cast.patient.pk, session.pk])
    client = client_for(cast, "physician")
    before = count(client, url)
    vial(session, cast.physician, lot="A")
    vial(session, cast.physician, lot="B", size_units=100, diluent_ml=2)
    from tests.treatment.helpers import preempt

    actions.record_sites(session=session, by=cast.physician, sites=preempt(FTP_8))
    assert count(client, url) == before
    assert before <= 24  # incl. session, auth, audit hash chain and 2 role checks


def test_the_session_list_does_not_grow_with_sessions(cast: Cast) -> None:
    url = reverse("session-list", args=[cast.patient.pk])
    client = client_for(cast, "physician")
    full_session(cast.patient, cast.physician, now=NOW - dt.timedelta(days=200))
    before = count(client, url)
    full_session(cast.patient, cast.physician, now=NOW - dt.timedelta(days=100))
    assert count(client, url) == before


def test_the_care_team_page_does_not_grow_with_staff(cast: Cast) -> None:
    from cephalog.accounts import actions as accounts

    client = client_for(cast, "patient_user")
    before = count(client, reverse("care-team"))
    for i in range(3):
        accounts.create_staff(
            clinic=cast.clinic,
            username=f"doc{i}",
            email=f"d{i}@x.org",
            role="physician",
            password=None,
        )
    assert count(client, reverse("care-team")) == before
