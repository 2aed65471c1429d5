"""Stored XSS: markup saved in every free-text field that is rendered back comes back
escaped, and every page's Content-Security-Policy forbids inline script and style."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from cephalog.core.time import patient_today
from cephalog.safety.models import SafetyAlert
from cephalog.treatment.models import Session, SessionStatus
from tests.personas import Cast, client_for

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 20, 12, 0, tzinfo=dt.UTC)
XSS = [
    "<script>alert('x')</script>",
    '"><img src=x onerror=alert(1)>',
    "<svg/onload=alert(1)>",
    "javascript:alert(1)//<a href=x>",
]


def assert_escaped(response, payload: str) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == 200
    body = response.content.decode()
    assert payload not in body, "stored markup rendered unescaped"
    for tag in ("<script>alert", "<img src=x", "<svg/onload"):
        assert tag not in body
    assert_csp(response)


def assert_csp(response) -> None:  # type: ignore[no-untyped-def]
    policy = response["Content-Security-Policy"]
    assert "unsafe-inline" not in policy
    assert "unsafe-eval" not in policy
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";") if d.strip())
    assert directives["script-src"].split()[0] == "'self'"
    assert all(v == "'self'" or v.startswith("'nonce-") for v in directives["script-src"].split())
    assert directives["style-src"] == "'self'"
    assert "object-src 'none'" in policy


@pytest.fixture(autouse=True)
def frozen() -> object:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.mark.parametrize("payload", XSS)
def test_a_medicine_name_is_escaped_on_every_diary_page(cast: Cast, payload: str) -> None:
    api = client_for(cast, "patient_user")
    body = {
        "headache_hours": 4,
        "peak_intensity": "severe",
        "acute_medications": [{"name": payload, "class": "triptan"}],
    }
    saved = api.put("/api/me/diary/2026-03-19", json.dumps(body), content_type="application/json")
    assert saved.status_code == 201
    assert saved.json()["acute_medications"][0]["name"] == payload  # JSON: data, not markup
    assert_escaped(api.get("/me/diary/2026-03-19/"), payload)
    nurse = client_for(cast, "nurse")
    assert_escaped(nurse.get(f"/clinic/patients/{cast.patient.pk}/diary/2026-03-19/"), payload)
    assert_escaped(nurse.get(f"/clinic/patients/{cast.patient.pk}/diary/?month=2026-03"), payload)


@pytest.mark.parametrize("payload", XSS)
def test_a_patient_name_from_the_new_patient_form_is_escaped(cast: Cast, payload: str) -> None:
    nurse = client_for(cast, "nurse")
    page = nurse.get(reverse("patient-new")).content.decode()
    assert "csrfmiddlewaretoken" in page
    response = nurse.post(
        reverse("patient-new"),
        {
            "clinic": cast.clinic.pk,
            "mrn": "MRN-XSS",
            "given_name": payload[:50],
            "family_name": "Evil" + payload[:40],
            "birth_date": "1980-01-01",
            "sex": "female",
            "time_zone": "Europe/London",
            "email": "",
        },
    )
    assert response.status_code in (200, 302)
    if response.status_code == 302:
        assert_escaped(nurse.get(response["Location"]), payload[:50])
    assert_escaped(nurse.get(reverse("patient-list")), payload[:50])
    assert_escaped(nurse.post(reverse("patient-list"), {"q": payload}), payload)


@pytest.mark.parametrize("payload", XSS)
def test_session_notes_and_reactions_are_escaped(cast: Cast, payload: str) -> None:
    session = Session.objects.create(
        patient=cast.patient,
        date=dt.date(2026, 3, 1),
        status=SessionStatus.COMPLETED,
        total_units=155,
        sites_injected=31,
        notes=payload,
        immediate_reactions=payload,
    )
    page = client_for(cast, "physician").get(
        reverse("session-detail", args=[cast.patient.pk, session.pk])
    )
    assert_escaped(page, payload)


@pytest.mark.parametrize("payload", XSS)
def test_a_check_in_note_is_escaped_on_the_alert_page(cast: Cast, payload: str) -> None:
    Session.objects.create(
        patient=cast.patient,
        date=patient_today(cast.patient) - dt.timedelta(days=3),
        status=SessionStatus.COMPLETED,
        total_units=155,
        sites_injected=31,
    )
    today = patient_today(cast.patient)
    data = {
        "sym_dysphagia": "on",
        "onset_dysphagia": today.isoformat(),
        "severity_dysphagia": "severe",
        "status_dysphagia": "present",
        "note": payload,
    }
    client_for(cast, "patient_user").post(reverse("safety-side-effect"), data)
    alert = SafetyAlert.objects.get(patient=cast.patient)
    page = client_for(cast, "nurse").get(reverse("safety-alert", args=[alert.pk]))
    assert payload in str(alert.checkin.answers)
    assert_escaped(page, payload)


def test_an_upload_name_with_markup_is_escaped_where_it_is_shown(cast: Cast) -> None:
    name = "<img src=x onerror=alert(1)>.csv"
    text = b"date,headache_hours,peak_intensity\n2026-03-18,2,mild\n"
    nurse = client_for(cast, "nurse")
    response = nurse.post(
        reverse("clinic-diary-io-import", args=[cast.patient.pk]),
        {"kind": "cephalog", "file": SimpleUploadedFile(name, text, "text/csv")},
    )
    assert response.status_code == 200
    assert_escaped(nurse.get(f"/clinic/patients/{cast.patient.pk}/diary/2026-03-18/"), name)


@pytest.mark.parametrize(
    "url", ["/accounts/login/", "/api/openapi.json", "/api/docs", "/no-such-page/"]
)
def test_every_page_carries_a_strict_policy(url: str, db: None) -> None:
    response = Client().get(url)
    assert_csp(response)
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
