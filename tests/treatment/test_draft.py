"""Issue 17.4: each tick is saved on the server as it is made (the open session is the draft);
"Complete and sign" and "Cancel session" ask for confirmation; a new injector needs a
supervising physician; refusals show beside their control in plain words."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from cephalog.domain import dosing
from cephalog.treatment import actions
from cephalog.treatment.models import InjectorTraining, Session, SessionStatus
from tests.personas import Cast, client_for
from tests.treatment.helpers import full_session, start, supervisor_for, vial


@pytest.fixture
def open_session(cast: Cast) -> Session:
    session = start(cast.patient, cast.physician, now=timezone.now())
    vial(session, cast.physician, now=timezone.now())
    return session


def test_each_tick_is_saved_as_it_is_made_and_read_back(cast: Cast, open_session: Session) -> None:
    url = reverse("session-record", args=[cast.patient.pk, open_session.pk])
    nurse = client_for(cast, "nurse")
    response = nurse.post(
        url, {"action": "autosave", "site-procerus-M-1": "1"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert "Saved at" in response.content.decode()
    assert "1 site, 5 U" in response.content.decode()
    assert list(open_session.sites.values_list("code", "status")) == [("procerus-M-1", "done")]
    nurse.post(url, {"action": "autosave", "site-procerus-M-1": "1", "site-frontalis-L-1": "1"})
    # Leaving and coming back: the page shows the saved ticks.
    page = nurse.get(reverse("session-detail", args=[cast.patient.pk, open_session.pk]))
    body = page.content.decode()
    assert 'name="site-frontalis-L-1" value="1" checked' in body
    assert 'name="site-procerus-M-1" value="1" checked' in body
    assert 'hx-vals=\'{"action": "autosave"}\'' in body


def test_a_refused_tick_is_said_in_plain_words_and_not_stored(
    cast: Cast, open_session: Session
) -> None:
    url = reverse("session-record", args=[cast.patient.pk, open_session.pk])
    data = {"action": "autosave", "site-frontalis-L-3": "1"}  # no follow-the-pain in frontalis
    response = client_for(cast, "physician").post(url, data)
    body = response.content.decode()
    assert response.status_code == 200
    assert "Not saved:" in body
    assert "sites[" not in body
    assert open_session.sites.count() == 0


def test_cancel_asks_for_confirmation(cast: Cast, open_session: Session) -> None:
    url = reverse("session-cancel", args=[cast.patient.pk, open_session.pk])
    client = client_for(cast, "physician")
    response = client.post(url, {"reason": "Patient felt faint."})
    assert response.status_code == 400
    assert "Tick to confirm you want to cancel this session." in response.content.decode()
    open_session.refresh_from_db()
    assert open_session.status == SessionStatus.IN_PROGRESS
    response = client.post(url, {"reason": "Patient felt faint.", "confirm": "on"})
    assert response.status_code == 302
    open_session.refresh_from_db()
    assert open_session.status == SessionStatus.CANCELLED


def test_a_new_injector_needs_a_supervising_physician(cast: Cast) -> None:
    # The nurse has neither training nor sessions; the physician has no training.
    for supervisor in (None, cast.nurse):
        with pytest.raises(actions.SessionError) as error:
            start(cast.patient, cast.physician, injector=cast.nurse, supervisor=supervisor)
        assert set(error.value.by_field) == {"supervisor"}
    with pytest.raises(actions.SessionError, match="another physician"):
        start(cast.patient, cast.physician, injector=cast.physician, supervisor=cast.physician)
    session = start(cast.patient, cast.physician, injector=cast.nurse, supervisor=cast.physician)
    assert session.supervisor == cast.physician
    supervision = next(r for r in session.rule_results if r["rule"] == "supervision")
    assert "no recorded training and no previous sessions" in supervision["message"]


def test_a_trained_injector_with_sessions_needs_no_supervisor(cast: Cast) -> None:
    import datetime as dt

    from tests.treatment.helpers import NOW

    InjectorTraining.objects.create(
        clinic=cast.clinic, user=cast.physician, course="PREEMPT course", completed_on=NOW.date()
    )
    full_session(cast.patient, cast.physician, now=NOW - dt.timedelta(days=90))
    session = start(cast.patient, cast.physician, supervisor=None)
    assert session.supervisor is None
    assert not any(r["rule"] == "supervision" for r in session.rule_results)
    assert supervisor_for(cast.patient, cast.physician) != cast.physician


def test_the_session_page_shows_a_new_injector_as_such(cast: Cast, open_session: Session) -> None:
    body = (
        client_for(cast, "nurse")
        .get(reverse("session-detail", args=[cast.patient.pk, open_session.pk]))
        .content.decode()
    )
    assert "New injector:" in body
    assert "no recorded training and no previous sessions" in body
    assert "Supervised by" in body


def test_plain_words_for_domain_problems() -> None:
    assert actions.plain("vials[0].expiry: lot X expired on 2026-01-05, before 2026-01-06") == (
        "expiry",
        "Lot X expired on 5 Jan 2026, before 6 Jan 2026",
    )
    assert actions.plain("sites[3].skip_reason: frontalis-L-1 is skipped: give the reason") == (
        "sites",
        "Left frontalis 1 is skipped: give the reason",
    )
    assert actions.plain("total: 200 U given")[0] == "sites"
    assert dosing.get_site("procerus-M-1") is not None
