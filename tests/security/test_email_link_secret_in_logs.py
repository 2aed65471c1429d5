"""The link that confirms a patient's new email address is a secret, kept out of the logs as
the calendar and set-password addresses are (issue 18.6).

`/me/email/confirm/<secret>/` was written as is to Django's request log (a 404 for an old
link, the development server's log of every request) and to gunicorn's access log.
"""

from __future__ import annotations

import pytest
from django.test import Client

from cephalog.ops.logs import mask
from tests.personas import Cast, client_for
from tests.security.logs import masked_request_log

pytestmark = pytest.mark.django_db

SECRET = "Qm5-very-secret-email-link-token"


def test_the_email_confirmation_secret_is_masked_in_django_logs(cast: Cast) -> None:
    with masked_request_log() as records:
        client: Client = client_for(cast, "patient_user")
        assert client.get(f"/me/email/confirm/{SECRET}/").status_code == 404
    assert records, "the 404 was not logged"
    assert all(SECRET not in line for line in records), records
    assert any("/me/email/confirm/[secret]/" in line for line in records), records


def test_the_access_log_line_is_masked_too() -> None:
    line = f'127.0.0.1 - - "GET /me/email/confirm/{SECRET}/ HTTP/1.1" 200'
    assert SECRET not in mask(line)
    assert mask("/me/email/confirm/abc/?x=1") == "/me/email/confirm/[secret]/?x=1"


def test_the_account_page_link_is_masked_too(cast: Cast) -> None:
    """The link a patient asks for on her account page (/accounts/email/<id>/<token>/)."""
    with masked_request_log() as records:
        assert Client().get(f"/accounts/email/MQ/{SECRET}/").status_code == 404
    assert records, "the 404 was not logged"
    assert all(SECRET not in line for line in records), records
    assert mask(f"/accounts/email/MQ/{SECRET}/") == "/accounts/email/[secret]/"
