"""The session pages: who may see and do what, and what they show."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from cephalog.domain import dosing
from cephalog.treatment.models import BillingLine, Session
from tests.personas import ALL_PERSONAS, STAFF, Cast, assert_allowed, assert_refused, client_for
from tests.treatment.helpers import ELIGIBLE, FTP_8, full_session, start, supervisor_for, vial

NOT_STAFF = [p for p in ALL_PERSONAS if p not in STAFF]
SECRETS = ["Quill", "MRN-1001"]


def start_data(cast: Cast, **extra: Any) -> dict[str, Any]:
    return {
        "protocol": "preempt-155",
        "injector": cast.physician.pk,
        "supervisor": supervisor_for(cast.patient, cast.physician).pk,
        "infection_at_sites": "no",
        "red_flags_since_last": "no",
        "pregnant": "no",
        "new_since_last": "no",
        "precheck_reason": ELIGIBLE,
        **extra,
    }


def sites_data(ftp: tuple[str, ...] = (), action: str = "save") -> dict[str, str]:
    data = {f"site-{s.code}": "1" for s in dosing.FIXED_SITES}
    data.update({f"site-{code}": "1" for code in ftp})
    data.update({"action": action, "ended_at": "", "topical_anaesthetic": "none"})
    return data


@pytest.fixture
def open_session(cast: Cast) -> Session:
    session = start(cast.patient, cast.physician, now=timezone.now())
    vial(session, cast.physician, now=timezone.now())
    return session


def test_it_shows_the_session_list_to_staff_only(cast: Cast) -> None:
    url = reverse("session-list", args=[cast.patient.pk])
    assert_allowed(cast, url, STAFF, contains="Injection sessions")
    assert_refused(cast, url, NOT_STAFF, secrets=SECRETS)


def test_it_shows_the_start_form_to_physicians_and_nurses_not_admins(cast: Cast) -> None:
    url = reverse("session-list", args=[cast.patient.pk])
    assert "Start session" in client_for(cast, "nurse").get(url).content.decode()
    assert "Start session" not in client_for(cast, "clinic_admin").get(url).content.decode()


def test_a_nurse_starts_a_session_and_admins_and_outsiders_cannot(cast: Cast) -> None:
    url = reverse("session-start", args=[cast.patient.pk])
    assert_refused(
        cast,
        url,
        [*NOT_STAFF, "clinic_admin"],
        method="post",
        data=start_data(cast),
        secrets=SECRETS,
    )
    assert not Session.objects.exists()
    response = client_for(cast, "nurse").post(url, start_data(cast))
    assert response.status_code == 302
    session = Session.objects.get()
    assert session.injector == cast.physician
    assert response["Location"] == reverse("session-detail", args=[cast.patient.pk, session.pk])


def test_it_shows_why_a_session_cannot_start(cast: Cast) -> None:
    url = reverse("session-start", args=[cast.patient.pk])
    response = client_for(cast, "physician").post(url, start_data(cast, infection_at_sites="yes"))
    assert response.status_code == 400
    body = response.content.decode()
    assert "Infection at the injection sites today: do not inject." in body
    assert not Session.objects.exists()


def test_it_demands_a_reason_under_77_days(cast: Cast) -> None:
    full_session(cast.patient, cast.physician, now=timezone.now() - dt.timedelta(days=76))
    url = reverse("session-start", args=[cast.patient.pk])
    client = client_for(cast, "physician")
    response = client.post(url, start_data(cast))
    assert response.status_code == 400
    body = response.content.decode()
    assert "confirm the antibody risk was considered" in body
    assert "retreatment_interval" not in body
    assert 'name="early_reason"' in body  # the structured reason, shown only when early
    # A reason in words alone is not enough.
    response = client.post(url, start_data(cast, early_note="Antibody risk discussed"))
    assert response.status_code == 400
    response = client.post(
        url,
        start_data(
            cast,
            early_reason="wearing_off",
            antibody_risk_acknowledged="on",
            early_note="Headaches back from week 9 in the last two cycles.",
        ),
    )
    assert response.status_code == 302


def test_it_refuses_the_session_page_outside_the_clinic_and_to_patients(
    cast: Cast, open_session: Session
) -> None:
    url = reverse("session-detail", args=[cast.patient.pk, open_session.pk])
    assert_allowed(cast, url, STAFF, contains="Injection sites")
    assert_refused(cast, url, NOT_STAFF, secrets=SECRETS)
    # The session is only found through its own patient.
    wrong = reverse("session-detail", args=[cast.other_patient.pk, open_session.pk])
    assert client_for(cast, "physician").get(wrong).status_code == 404


def test_a_nurse_records_sites_but_only_a_physician_signs(
    cast: Cast, open_session: Session
) -> None:
    url = reverse("session-record", args=[cast.patient.pk, open_session.pk])
    nurse = client_for(cast, "nurse")
    assert nurse.post(url, sites_data(FTP_8)).status_code == 302
    assert open_session.sites.count() == 39
    response = nurse.post(url, sites_data(FTP_8, action="complete"))
    assert response.status_code == 400
    assert "Only a physician" in response.content.decode()
    assert_refused(
        cast, url, [*NOT_STAFF, "clinic_admin"], method="post", data=sites_data(action="complete")
    )
    physician = client_for(cast, "physician")
    # "Complete and sign" asks for confirmation; the sites are kept meanwhile.
    response = physician.post(url, sites_data(FTP_8, action="complete"))
    assert response.status_code == 400
    assert "Tick to confirm: signing locks the session for good." in response.content.decode()
    open_session.refresh_from_db()
    assert not open_session.locked
    assert open_session.sites.count() == 39
    response = physician.post(url, {**sites_data(FTP_8, action="complete"), "confirm_sign": "on"})
    assert response.status_code == 302
    open_session.refresh_from_db()
    assert (open_session.total_units, open_session.sites_injected) == (195, 39)
    assert open_session.locked
    assert list(BillingLine.objects.values_list("code", "modifier", "units")) == [
        ("64615", "", 1),
        ("J0585", "", 195),
        ("J0585", "JW", 5),
    ]


def test_it_keeps_the_ticks_when_a_ninth_follow_the_pain_site_is_refused(
    cast: Cast, open_session: Session
) -> None:
    url = reverse("session-record", args=[cast.patient.pk, open_session.pk])
    response = client_for(cast, "physician").post(url, sites_data((*FTP_8, "trapezius-R-4")))
    assert response.status_code == 400
    body = response.content.decode()
    assert "at most 4 allowed" in body
    assert 'name="site-trapezius-R-4" value="1" checked' in body
    assert open_session.sites.count() == 0


def test_it_refuses_follow_the_pain_in_the_forehead_over_http(
    cast: Cast, open_session: Session
) -> None:
    url = reverse("session-record", args=[cast.patient.pk, open_session.pk])
    response = client_for(cast, "physician").post(url, sites_data(("frontalis-L-3",)))
    assert response.status_code == 400
    assert "only in temporalis, occipitalis and trapezius" in response.content.decode()


def test_it_refuses_an_expired_lot_on_the_page(cast: Cast, open_session: Session) -> None:
    url = reverse("session-vial-add", args=[cast.patient.pk, open_session.pk])
    now = timezone.localtime()
    response = client_for(cast, "nurse").post(
        url,
        {
            "product": "onabotulinumtoxinA",
            "lot": "OLD1",
            "expiry": (now.date() - dt.timedelta(days=1)).isoformat(),
            "size_units": "200",
            "diluent_ml": "4",
            "reconstituted_at": now.strftime("%Y-%m-%dT%H:%M"),
        },
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "Lot OLD1 expired on" in body
    assert "vial.expiry" not in body
    # Beside the expiry date field, not only at the top of the page.
    assert body.rindex("Lot OLD1 expired on") > body.index('name="lot"')
    assert body.index("Lot OLD1 expired on") < body.index('name="lot"')  # and said at the top
    assert open_session.vials.count() == 1


def test_it_shows_a_completed_session_read_only_with_billing(cast: Cast) -> None:
    session = full_session(cast.patient, cast.physician, ftp=FTP_8)
    url = reverse("session-detail", args=[cast.patient.pk, session.pk])
    body = client_for(cast, "clinic_admin").get(url).content.decode()
    assert "195 U" in body
    assert "39 sites" in body
    assert "JW" in body
    assert "Complete and sign" not in body
    assert 'name="site-' not in body
    assert "Add addendum" not in body  # admins read only
    assert "Add addendum" in client_for(cast, "nurse").get(url).content.decode()


def test_it_adds_an_addendum_over_http(cast: Cast) -> None:
    session = full_session(cast.patient, cast.physician)
    url = reverse("session-addendum", args=[cast.patient.pk, session.pk])
    assert_refused(cast, url, [*NOT_STAFF, "clinic_admin"], method="post", data={"text": "x"})
    response = client_for(cast, "nurse").post(url, {"text": "Bruising at trapezius-L-2 noted."})
    assert response.status_code == 302
    assert session.addenda.get().text == "Bruising at trapezius-L-2 noted."


def test_it_works_without_javascript_as_plain_checkboxes(cast: Cast, open_session: Session) -> None:
    body = (
        client_for(cast, "physician")
        .get(reverse("session-detail", args=[cast.patient.pk, open_session.pk]))
        .content.decode()
    )
    for site in dosing.FIXED_SITES:
        assert f'<input type="checkbox" id="site-{site.code}" name="site-{site.code}"' in body
    assert 'class="site-map interactive" data-js-only hidden' in body
    assert "<script>" not in body  # CSP: no inline scripts


def test_it_does_not_leak_other_clinics_sessions(cast: Cast) -> None:
    Client()  # keep the import used for clarity of intent
    other = reverse("session-list", args=[cast.other_clinic_patient.pk])
    assert client_for(cast, "physician").get(other).status_code == 404


def test_it_offers_to_continue_todays_open_session_instead_of_a_new_one(
    cast: Cast, open_session: Session
) -> None:
    body = (
        client_for(cast, "physician")
        .get(reverse("session-list", args=[cast.patient.pk]))
        .content.decode()
    )
    assert "Continue today's session" in body
    assert reverse("session-detail", args=[cast.patient.pk, open_session.pk]) in body
    assert "Start session" not in body


def test_a_refused_start_is_listed_above_the_questions_with_links(cast: Cast) -> None:
    """Staff walk, 7 Dec 2026: a refused "Start session" reopened the list at its top and
    said why only beside the reason box at the bottom. The box above the questions lists it,
    linked, and every form of the page posts to that box."""
    url = reverse("session-start", args=[cast.patient.pk])
    response = client_for(cast, "physician").post(url, start_data(cast, precheck_reason=""))
    assert response.status_code == 400
    body = response.content.decode()
    box = body[body.index('id="problems"') : body.index("</div>", body.index('id="problems"'))]
    assert "The session was not started" in box
    assert '<a href="#id_precheck_reason">' in box
    assert "Give a reason to go ahead" in box
    assert f'action="{url}#problems"' in body


def test_a_refused_sign_off_is_listed_at_the_top_of_the_session(
    cast: Cast, open_session: Session
) -> None:
    url = reverse("session-record", args=[cast.patient.pk, open_session.pk])
    response = client_for(cast, "physician").post(url, sites_data(action="complete"))
    assert response.status_code == 400
    body = response.content.decode()
    box = body.index('id="problems"')
    assert box < body.index("<dl")  # above the facts: where the page opens
    assert '<a href="#id_confirm_sign">' in body[box : body.index("</div>", box)]
    assert f'action="{url}#problems"' in body


def test_after_todays_session_the_list_says_it_is_done_not_before_todays_session(
    cast: Cast,
) -> None:
    """Staff walk, 7 Dec 2026: with today's session signed, the list still offered "Before
    today's session" with the safety questions and a "Start session" the interval rule
    refuses, under "Last session" three months back while the table above showed today's."""
    given = full_session(cast.patient, cast.physician, now=timezone.now())
    body = (
        client_for(cast, "nurse")
        .get(reverse("session-list", args=[cast.patient.pk]))
        .content.decode()
    )
    assert "Today's session is done" in body
    assert reverse("session-detail", args=[cast.patient.pk, given.pk]) in body
    today = timezone.localdate()
    assert f"earliest day {(today + dt.timedelta(days=77)):%-d %b %Y}" in body
    assert f"12-week date {(today + dt.timedelta(days=84)):%-d %b %Y}" in body
    assert "Before today's session" not in body
    assert "Start session" not in body


def test_the_list_says_when_the_clinic_refuses_and_when_a_reason_is_needed(cast: Cast) -> None:
    """The line above the questions gave the earliest day (77 days) while the check below
    refused the session under the clinic's 70-day minimum without its date."""
    last = timezone.localdate() - dt.timedelta(days=45)
    full_session(cast.patient, cast.physician, now=timezone.now() - dt.timedelta(days=45))
    body = (
        client_for(cast, "physician")
        .get(reverse("session-list", args=[cast.patient.pk]))
        .content.decode()
    )
    minimum = last + dt.timedelta(days=cast.clinic.minimum_interval_days)
    assert (
        f"refused before {minimum:%-d %b %Y} (this clinic's minimum), then only with a reason"
        f" until the earliest day {(last + dt.timedelta(days=77)):%-d %b %Y}" in body
    )
