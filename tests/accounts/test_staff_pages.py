"""Clinic admins manage their colleagues without the Django admin (issues 17.5, 18.5)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from cephalog.accounts import actions
from cephalog.accounts.models import Membership, Role, RoleChange, User
from cephalog.audit.models import AuditEvent
from cephalog.treatment.models import InjectorTraining
from tests.personas import PASSWORD, Cast, assert_refused, client_for

NOT_ADMINS = ["anonymous", "patient_user", "nurse", "physician", "other_physician"]


def _role(user: User, cast: Cast) -> str:
    return Membership.objects.get(user=user, clinic=cast.clinic).role


def test_only_clinic_admins_reach_the_staff_pages(cast: Cast) -> None:
    for url in (
        reverse("staff-list"),
        reverse("staff-invite"),
        reverse("staff-member", args=[cast.nurse.pk]),
        reverse("clinic-settings"),
    ):
        assert_refused(cast, url, NOT_ADMINS)
        assert client_for(cast, "clinic_admin").get(url).status_code == 200
    # Another clinic's people are not found from this clinic's pages.
    other = reverse("staff-member", args=[cast.other_physician.pk])
    assert client_for(cast, "clinic_admin").get(other).status_code == 404
    page = client_for(cast, "clinic_admin").get(reverse("staff-list")).content.decode()
    assert "nurse-joy" in page
    assert "dr-other" not in page


def test_a_clinic_admin_invites_a_colleague_by_email(
    cast: Cast, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    client = client_for(cast, "clinic_admin")
    form = {"first_name": "Riley", "last_name": "Stone", "email": "Riley@Example.org"}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("staff-invite"), {**form, "role": "nurse"})
    assert response.status_code == 302
    riley = User.objects.get(email="riley@example.org")
    assert riley.username == "riley"
    assert not riley.has_usable_password()
    assert _role(riley, cast) == Role.NURSE
    assert mail.outbox[-1].to == ["riley@example.org"]
    link = re.search(r"https?://\S+/accounts/invite/\S+/", mail.outbox[-1].body)
    assert link is not None
    row = AuditEvent.objects.filter(category="role", object_ref=f"user:{riley.pk}").get()
    assert row.action == "privilege"
    assert row.detail["after"] == "nurse"
    assert row.username == cast.clinic_admin.username
    # An address that has a login already is refused in place.
    again = client.post(
        reverse("staff-invite"), {**form, "email": "dr-house@example.org", "role": "nurse"}
    )
    assert "A login with this email address exists already." in again.content.decode()


def test_a_role_change_is_audited_and_told_and_nobody_changes_their_own(
    cast: Cast, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    client = client_for(cast, "clinic_admin")
    own = client.post(reverse("staff-role", args=[cast.clinic_admin.pk]), {"role": "physician"})
    assert own.status_code == 302
    assert _role(cast.clinic_admin, cast) == Role.CLINIC_ADMIN
    with pytest.raises(Exception, match="own role"):
        actions.request_role_change(
            clinic=cast.clinic, by=cast.clinic_admin, user=cast.clinic_admin, role="nurse"
        )
    # A nurse cannot raise anyone, themselves included (the action refuses too).
    assert_refused(
        cast,
        reverse("staff-role", args=[cast.nurse.pk]),
        ["nurse", "physician"],
        method="post",
        data={"role": "clinic_admin"},
    )
    with pytest.raises(Exception, match="clinic admin"):
        actions.request_role_change(
            clinic=cast.clinic, by=cast.nurse, user=cast.nurse, role="clinic_admin"
        )
    # The only clinic admin: the change applies at once.
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("staff-role", args=[cast.nurse.pk]), {"role": "physician"})
    assert _role(cast.nurse, cast) == Role.PHYSICIAN
    row = AuditEvent.objects.filter(category="role", object_ref=f"user:{cast.nurse.pk}").latest(
        "id"
    )
    assert row is not None
    assert (row.detail["before"], row.detail["after"], row.detail["status"]) == (
        "nurse",
        "physician",
        "applied",
    )
    told = {address for m in mail.outbox for address in m.to}
    assert {"nurse-joy@example.org", "admin-ann@example.org"} <= told
    assert "Nurse → Physician (injector)" in mail.outbox[-1].body


def test_with_two_clinic_admins_the_second_confirms(
    cast: Cast, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    second = actions.create_staff(
        clinic=cast.clinic, username="admin-bo", email="bo@example.org", role="clinic_admin",
        password=PASSWORD,
    )  # fmt: skip
    ann = client_for(cast, "clinic_admin")
    ann.post(reverse("staff-role", args=[cast.nurse.pk]), {"role": "clinic_admin"})
    change = RoleChange.objects.get(user=cast.nurse)
    assert change.status == "pending"
    assert _role(cast.nurse, cast) == Role.NURSE
    # Neither the admin who asked nor the colleague concerned can confirm it.
    ann.post(reverse("staff-role-decide", args=[change.pk]), {"decision": "confirm"})
    assert _role(cast.nurse, cast) == Role.NURSE
    assert (
        client_for(cast, "nurse")
        .post(reverse("staff-role-decide", args=[change.pk]), {"decision": "confirm"})
        .status_code
        == 404
    )
    from tests.personas import login_client

    bo = login_client(Client(), second)
    page = bo.get(reverse("staff-member", args=[cast.nurse.pk])).content.decode()
    assert "Confirm the change" in page
    with django_capture_on_commit_callbacks(execute=True):
        bo.post(reverse("staff-role-decide", args=[change.pk]), {"decision": "confirm"})
    assert _role(cast.nurse, cast) == Role.CLINIC_ADMIN
    change.refresh_from_db()
    assert change.status == "applied"
    assert change.decided_by == second
    statuses = list(
        AuditEvent.objects.filter(category="role", object_ref=f"user:{cast.nurse.pk}")
        .order_by("id")
        .values_list("detail__status", flat=True)
    )
    assert statuses == [None, "pending", "applied"]  # set up, asked, confirmed


def test_a_clinic_admin_records_injector_training(cast: Cast) -> None:
    client = client_for(cast, "clinic_admin")
    url = reverse("staff-training", args=[cast.physician.pk])
    future = (dt.date.today() + dt.timedelta(days=3)).isoformat()
    client.post(url, {"course": "PREEMPT injection workshop", "completed_on": future})
    assert not InjectorTraining.objects.exists()
    client.post(
        url,
        {"course": "PREEMPT injection workshop", "provider": "BASH", "completed_on": "2025-10-01"},
    )
    training = InjectorTraining.objects.get()
    assert (training.user, training.clinic) == (cast.physician, cast.clinic)
    page = client.get(reverse("staff-member", args=[cast.physician.pk])).content.decode()
    assert "PREEMPT injection workshop, BASH (1 Oct 2025)" in page
    assert AuditEvent.objects.filter(category="injector_training").count() == 1
    assert_refused(cast, url, ["nurse", "physician"], method="post", data={"course": "x"})


def test_a_disabled_account_cannot_sign_in_and_its_sessions_end(cast: Cast) -> None:
    nurse = client_for(cast, "nurse")
    assert nurse.get(reverse("patient-list")).status_code == 200
    admin = client_for(cast, "clinic_admin")
    admin.post(reverse("staff-active", args=[cast.nurse.pk]), {"active": "0"})
    cast.nurse.refresh_from_db()
    assert not cast.nurse.is_active
    after = nurse.get(reverse("patient-list"))
    assert after.status_code == 302
    assert "/accounts/login/" in after["Location"]
    assert not Client().login(username="nurse-joy", password=PASSWORD)
    row = AuditEvent.objects.filter(category="account", object_ref=f"user:{cast.nurse.pk}").get()
    assert row.detail == {"before": "active", "after": "disabled"}
    # Not oneself; and a colleague who also works elsewhere is not locked out from here.
    admin.post(reverse("staff-active", args=[cast.clinic_admin.pk]), {"active": "0"})
    cast.clinic_admin.refresh_from_db()
    assert cast.clinic_admin.is_active
    Membership.objects.create(user=cast.physician, clinic=cast.other_clinic, role="physician")
    admin.post(reverse("staff-active", args=[cast.physician.pk]), {"active": "0"})
    cast.physician.refresh_from_db()
    assert cast.physician.is_active


def test_clinic_settings_choose_the_country_and_are_audited(cast: Cast) -> None:
    client = client_for(cast, "clinic_admin")
    page = client.get(reverse("clinic-settings")).content.decode()
    assert "A4" in page
    assert "MHRA Yellow Card" in page
    data = {
        "name": cast.clinic.name,
        "country": "US",
        "address": "1 Main St\nBoston MA",
        "phone": "617 000 0000",
        "safety_email": "safety@example.org",
        "time_zone": "America/New_York",
        "backfill_days": 7,
        "minimum_interval_days": 70,
    }
    assert client.post(reverse("clinic-settings"), data).status_code == 302
    cast.clinic.refresh_from_db()
    assert cast.clinic.country == "US"
    assert cast.clinic.paperwork.paper == "letter"
    row = AuditEvent.objects.filter(category="clinic", action="update").get()
    assert row.detail["before"]["country"] == "GB"
    assert row.detail["after"]["country"] == "US"
    assert "US Letter" in client.get(reverse("clinic-settings")).content.decode()
    bad = client.post(reverse("clinic-settings"), {**data, "country": "FR"})
    assert bad.status_code == 200
    assert "valid choice" in bad.content.decode()


def test_an_admin_of_two_clinics_acts_on_the_clinic_they_are_working_in(
    cast: Cast, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    """Issue: the staff pages acted on the admin's first clinic only."""
    actions.grant_role(user=cast.clinic_admin, clinic=cast.other_clinic, role=Role.CLINIC_ADMIN)
    client = client_for(cast, "clinic_admin")
    listing = client.get(reverse("staff-list")).content.decode()
    york_member = f"{reverse('staff-member', args=[cast.other_physician.pk])}?clinic=york"
    assert york_member in listing
    assert f"{reverse('staff-invite')}?clinic=york" in listing
    # A York colleague, from York's page: found, and the training is recorded at York.
    page = client.get(york_member).content.decode()
    assert "At York Neurology" in page
    response = client.post(
        reverse("staff-training", args=[cast.other_physician.pk]) + "?clinic=york",
        {"course": "PREEMPT workshop", "completed_on": "2025-01-01"},
    )
    assert response["Location"] == york_member
    assert InjectorTraining.objects.get(user=cast.other_physician).clinic == cast.other_clinic
    # Invited to York, not to Leeds.
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("staff-invite") + "?clinic=york",
            {"first_name": "Yan", "last_name": "Ork", "email": "yan@example.org", "role": "nurse"},
        )
    yan = User.objects.get(email="yan@example.org")
    assert list(Membership.objects.filter(user=yan).values_list("clinic__slug", flat=True)) == [
        "york"
    ]
    # The clinic settings of York.
    settings = client.get(reverse("clinic-settings") + "?clinic=york").content.decode()
    assert "Clinic settings: York Neurology" in settings
    # A Leeds colleague is not found from York's pages, nor a clinic they do not administer.
    assert (
        client.get(reverse("staff-member", args=[cast.nurse.pk]) + "?clinic=york").status_code
        == 404
    )
    assert client.get(reverse("staff-list") + "?clinic=nowhere").status_code == 200
    assert client.get(reverse("clinic-settings") + "?clinic=nowhere").status_code == 404


def test_a_clinic_admin_sends_an_invitation_again_until_it_is_used(
    cast: Cast, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    """Staff walk, 7 Dec 2026: the invitation's link works once, for three days, and its
    expired page says "ask your clinic for a new invitation"; but inviting the address
    again was refused ("a login exists already") and the colleague's page offered nothing:
    a dead end for both. Their page now sends a new link, until they have a password."""
    client = client_for(cast, "clinic_admin")
    form = {"first_name": "Riley", "last_name": "Stone", "email": "riley@example.org"}
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("staff-invite"), {**form, "role": "nurse"})
    riley = User.objects.get(email="riley@example.org")
    again = client.post(reverse("staff-invite"), {**form, "role": "nurse"}).content.decode()
    assert "open their page under Staff to send the invitation again" in again
    page = reverse("staff-member", args=[riley.pk])
    assert "Send the invitation again" in client.get(page).content.decode()
    assert_refused(
        cast,
        reverse("staff-invite-again", args=[riley.pk]),
        NOT_ADMINS,
        method="post",
    )
    sent = len(mail.outbox)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("staff-invite-again", args=[riley.pk]), follow=True)
    assert "Invitation sent again to riley@example.org." in response.content.decode()
    assert len(mail.outbox) == sent + 1
    assert mail.outbox[-1].to == ["riley@example.org"]
    assert re.search(r"https?://\S+/accounts/invite/\S+/", mail.outbox[-1].body)
    row = AuditEvent.objects.filter(category="account", object_ref=f"user:{riley.pk}").get()
    assert row.detail == {"invitation": "sent again"}
    # Once a password is chosen, there is no invitation to send: a reset instead.
    riley.set_password(PASSWORD)
    riley.save()
    assert "Send the invitation again" not in client.get(page).content.decode()
    refused = client.post(reverse("staff-invite-again", args=[riley.pk]), follow=True)
    assert "They have chosen a password already" in refused.content.decode()
    assert len(mail.outbox) == sent + 1


def test_clinic_settings_say_each_thing_once_with_its_unit(cast: Cast) -> None:
    """Staff walk, 7 Dec 2026: "Country (chooses paper size, letters and adverse-event
    form)" above "Chooses the paper size, the letters and the adverse-event report form.";
    "Minimum interval days" without saying what happens between it and the earliest day."""
    page = client_for(cast, "clinic_admin").get(reverse("clinic-settings")).content.decode()
    assert "Country (chooses" not in page
    assert page.count("Chooses the paper size, the letters and the adverse-event") == 1
    assert "Minimum days between sessions" in page
    assert "A session sooner than this after the last one is refused." in page
