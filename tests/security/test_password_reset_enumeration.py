"""The "Forgot your password?" page tells nobody whether an address has an account, not even by its
timing, and its link goes to the site's own address.

The page answered alike for any address, but sent the email within the request only when
the address had an account: with a real mail server, hundreds of milliseconds more, enough
to tell from outside whether someone is a patient of a headache clinic. The link was built
from the request's Host header, where every other link uses SITE_URL. The request now
enqueues the same task whatever the address, and the worker makes the link and sends it.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.tasks import default_task_backend
from django.test import Client
from django.urls import reverse

from tests.personas import Cast

pytestmark = pytest.mark.django_db

HELD = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}


def _ask(email: str, host: str = "testserver") -> int:
    response = Client().post(reverse("password_reset"), {"email": email}, HTTP_HOST=host)
    return response.status_code


def test_a_known_and_an_unknown_address_do_the_same_work_in_the_request(
    cast: Cast, settings
) -> None:  # type: ignore[no-untyped-def]
    settings.TASKS = HELD
    default_task_backend.clear()
    assert _ask(cast.patient_user.email) == 302
    assert _ask("nobody-here@example.org") == 302
    assert mail.outbox == []  # nothing sent while the person waits for the page
    queued = list(default_task_backend.results)
    assert len(queued) == 2
    assert {r.task.name for r in queued} == {queued[0].task.name}
    assert all(cast.patient_user.email not in repr((r.args, r.kwargs)) for r in queued)

    for result in queued:
        result.task.call(*result.args, **result.kwargs)
    assert [m.to for m in mail.outbox] == [[cast.patient_user.email]]


def test_the_link_is_on_the_sites_address_whatever_the_host_asked(cast: Cast, settings) -> None:  # type: ignore[no-untyped-def]
    settings.SITE_URL = "https://headache.example.org"
    settings.ALLOWED_HOSTS = ["testserver", "other.example.net"]
    assert _ask(cast.patient_user.email, host="other.example.net") == 302
    (message,) = mail.outbox
    assert "https://headache.example.org/accounts/reset/" in message.body
    assert "other.example.net" not in message.body


def test_the_link_still_sets_a_new_password(cast: Cast) -> None:
    assert _ask(cast.patient_user.email) == 302
    (link,) = re.findall(r"https?://\S+/accounts/reset/\S+", mail.outbox[0].body)
    client = Client()
    form = client.get(urlsplit(link).path, follow=True)
    assert form.status_code == 200
    path = form.redirect_chain[-1][0]
    done = client.post(
        path,
        {"new_password1": "a fresh long passphrase", "new_password2": "a fresh long passphrase"},
    )
    assert done.status_code == 302
    cast.patient_user.refresh_from_db()
    assert cast.patient_user.check_password("a fresh long passphrase")
