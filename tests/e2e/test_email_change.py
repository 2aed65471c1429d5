"""A patient changes her email address on a 360 px phone: the page shows the address
waiting for its link, the link's page confirms it, and a second use says so."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core import mail

from cephalog.accounts.models import User
from tests.e2e.conftest import fits_narrow, sign_in
from tests.personas import Cast

pytestmark = pytest.mark.django_db(transaction=True)

NEW = "ada.new@example.org"


def test_the_pending_address_and_its_link_at_360px(
    phone: Any, live_server: Any, cast: Cast
) -> None:
    base = live_server.url
    page = sign_in(phone(), base, "ada")
    page.goto(base + "/me/security/")
    page.get_by_label("New email address").fill(NEW)
    with page.expect_navigation():
        page.get_by_role("button", name="Send a link to this address").click()
    status = page.get_by_role("status").filter(has_text="Waiting for you to confirm")
    assert NEW in status.inner_text()
    assert "ada@example.org" in status.inner_text()
    assert page.get_by_role("button", name="Send the email again").is_visible()
    assert page.get_by_role("button", name="Cancel the change").is_visible()
    fits_narrow(page, "email-change-pending-360")
    assert User.objects.get(pk=cast.patient_user.pk).email == "ada@example.org"

    (sent,) = [m for m in mail.outbox if m.to == [NEW]]
    found = re.search(r"https?://[^/\s]+(/accounts/email/\S+/)", sent.body)
    assert found
    link = phone()  # another browser, not signed in (the phone's mail app)
    link.goto(base + found.group(1))
    fits_narrow(link, "email-change-confirm-360")
    with link.expect_navigation():
        link.get_by_role("button", name="Confirm").click()
    assert "/accounts/login/" in link.url
    assert f"Log in with {NEW} from now on" in link.content()
    fits_narrow(link, "email-change-confirmed-360")
    assert User.objects.get(pk=cast.patient_user.pk).email == NEW

    link.goto(base + found.group(1))
    assert "already been used" in link.content()
    fits_narrow(link, "email-change-used-360")
