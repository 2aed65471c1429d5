"""SQL-ish strings in search, sort and filter parameters: answered normally (or refused with
4xx), never a server error, never more rows than the person may see."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.personas import Cast, client_for

pytestmark = pytest.mark.django_db

PAYLOADS = [
    "' OR '1'='1",
    "'; DROP TABLE patients_patient; --",
    '" OR ""="',
    "1; SELECT pg_sleep(5)--",
    "Quill' UNION SELECT username, password FROM accounts_user--",
    "%' AND 1=0 UNION SELECT NULL--",
    "\\'; --",
    "Quill\x00",
    "-at; DELETE FROM audit_auditevent",
    "username) --",
    "at desc, (SELECT 1)",
    "𝕢𝕦𝕚𝕝𝕝" * 30,
]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_the_patient_search_treats_sql_as_text(cast: Cast, payload: str) -> None:
    response = client_for(cast, "nurse").post(reverse("patient-list"), {"q": payload})
    assert response.status_code in (200, 400)
    body = response.content.decode()
    # No other clinic's patient, and no row matched by an injected condition.
    assert "Vantablack" not in body
    if response.status_code == 200:
        assert "Quill" not in body.split("<tbody", 1)[-1] or "Quill" in payload


@pytest.mark.parametrize("payload", PAYLOADS)
def test_the_audit_report_sort_and_filters_treat_sql_as_text(cast: Cast, payload: str) -> None:
    client = client_for(cast, "clinic_admin")
    for params in (
        {"sort": payload},
        {"user": payload},
        {"category": payload},
        {"patient": payload},
        {"source_ip": payload},
        {"since": payload},
        {"page": payload},
        {"sort": payload, "format": "csv"},
    ):
        response = client.get(reverse("audit-report"), params)
        assert response.status_code in (200, 400), (params, response.status_code)
        if params.get("format") == "csv" and response.streaming:
            b"".join(response.streaming_content)  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "query", [{"end": "0001-01-01"}, {"start": "0001-01-01", "end": "9999-12-31"}]
)
def test_the_diary_api_refuses_ranges_at_the_ends_of_the_calendar(
    cast: Cast, query: dict[str, str]
) -> None:
    # Found by make fuzz: end=0001-01-01 without a start overflowed the date (500).
    for persona, url in (
        ("patient_user", "/api/me/diary"),
        ("nurse", f"/api/patients/{cast.patient.pk}/diary"),
    ):
        assert client_for(cast, persona).get(url, query).status_code == 422


@pytest.mark.parametrize("payload", PAYLOADS)
def test_the_diary_api_range_and_month_parameters_refuse_sql(cast: Cast, payload: str) -> None:
    api = client_for(cast, "patient_user")
    response = api.get("/api/me/diary", {"start": payload, "end": payload})
    assert response.status_code == 422
    assert response["Content-Type"].startswith("application/json")
    staff = client_for(cast, "nurse").get(
        reverse("clinic-diary", args=[cast.patient.pk]), {"month": payload}
    )
    assert staff.status_code in (200, 400, 404)
    calendar = api.get(reverse("diary-calendar"), {"month": payload})
    assert calendar.status_code in (200, 400, 404)
