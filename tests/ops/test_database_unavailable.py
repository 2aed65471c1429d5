"""While the database cannot be reached, every page and endpoint answers 503 with a plain
message and Retry-After, reveals nothing, and works again as soon as it is back."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from unittest import mock

import pytest
from django.db import InterfaceError, OperationalError, connection
from django.test import Client
from django.urls import reverse

from tests.personas import Cast, client_for

pytestmark = pytest.mark.django_db

SECRET = "connection to server at 10.1.2.3, port 5432 failed: password for cephalog_app"


@contextmanager
def database_down(error: Exception | None = None) -> Iterator[None]:
    with mock.patch.object(
        connection, "ensure_connection", side_effect=error or OperationalError(SECRET)
    ):
        yield


def quiet(client: Client) -> Client:
    client.raise_request_exception = False
    return client


def assert_unavailable(response, *, json: bool) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == 503
    assert int(response["Retry-After"]) > 0
    assert response["Cache-Control"] == "no-store"
    body = response.content.decode()
    assert "10.1.2.3" not in body
    assert "cephalog_app" not in body
    assert "Traceback" not in body
    assert "unsafe-inline" not in response["Content-Security-Policy"]
    if json:
        assert response["Content-Type"] == "application/json"
        assert "try again in a minute" in response.json()["detail"]
    else:
        assert "try again in a minute" in body


def test_a_staff_page_answers_503_and_recovers(cast: Cast) -> None:
    client = quiet(client_for(cast, "nurse"))
    with database_down():
        assert_unavailable(client.get(reverse("patient-list")), json=False)
    assert client.get(reverse("patient-list")).status_code == 200


def test_the_api_answers_503_json(cast: Cast) -> None:
    client = quiet(client_for(cast, "patient_user"))
    with database_down():
        assert_unavailable(client.get("/api/me/diary"), json=True)
        assert_unavailable(
            client.put("/api/me/diary/2026-01-01", "{}", content_type="application/json"),
            json=True,
        )
    assert client.get("/api/me/diary").status_code == 200


def test_a_lost_connection_and_the_health_check_answer_503(cast: Cast) -> None:
    client = quiet(Client())
    with database_down(InterfaceError("connection already closed")):
        assert_unavailable(client.get(reverse("healthz")), json=False)
    assert client.get(reverse("healthz")).status_code == 200


def test_an_error_while_saving_the_session_answers_503(cast: Cast) -> None:
    client = quiet(client_for(cast, "nurse"))
    from django.contrib.sessions.backends.db import SessionStore

    from cephalog.ops.signals import REFRESHED_AT

    session = client.session
    session[REFRESHED_AT] = 0  # due for the save that moves the idle timeout on
    session.save()
    with mock.patch.object(SessionStore, "save", side_effect=OperationalError(SECRET)):
        response = client.get(reverse("patient-list"))
    assert_unavailable(response, json=False)


def test_other_errors_stay_500(cast: Cast) -> None:
    client = quiet(client_for(cast, "nurse"))
    with mock.patch("cephalog.patients.views.queries.patient_rows", side_effect=ValueError("x")):
        response = client.get(reverse("patient-list"))
    assert response.status_code == 500
    assert "Something went wrong" in response.content.decode()
