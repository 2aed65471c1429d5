"""Uploads and request bodies: path traversal in file names, huge and malformed CSV and JSON.
Each is answered with a clear 4xx or a clear message, and nothing is stored."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from cephalog.diary.models import Attack, DiaryEntry, DiaryEntryRevision
from tests.personas import Cast, client_for

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 20, 12, 0, tzinfo=dt.UTC)
GOOD = b"date,headache_hours,peak_intensity\n2026-03-18,2,mild\n"


@pytest.fixture(autouse=True)
def frozen() -> object:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def import_as(client: Client, cast: Cast, name: str, content: bytes, kind: str = "cephalog"):  # type: ignore[no-untyped-def]
    return client.post(
        reverse("clinic-diary-io-import", args=[cast.patient.pk]),
        {"kind": kind, "file": SimpleUploadedFile(name, content, "text/csv")},
    )


def nothing_stored(cast: Cast) -> bool:
    return not (
        DiaryEntry.objects.filter(patient=cast.patient).exists()
        or Attack.objects.filter(patient=cast.patient).exists()
    )


@pytest.mark.parametrize(
    "name",
    [
        "../../../../tmp/cephalog-pwned.csv",
        "..\\..\\..\\windows\\system32\\pwned.csv",
        "/etc/cron.d/pwned.csv",
        "%2e%2e%2f%2e%2e%2fpwned.csv",
        "....//....//pwned.csv",
        "pwned.csv\x00.exe",
    ],
)
def test_path_traversal_in_an_upload_name_goes_nowhere(
    cast: Cast, name: str, tmp_path: Path, settings
) -> None:  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = str(tmp_path)
    response = import_as(client_for(cast, "nurse"), cast, name, GOOD)
    assert response.status_code in (200, 400)
    assert not Path("/tmp/cephalog-pwned.csv").exists()
    assert not Path("/etc/cron.d/pwned.csv").exists()
    assert list(tmp_path.iterdir()) == []  # uploads are read, never saved as files
    for revision_reason in DiaryEntryRevision.objects.values_list("reason", flat=True):
        assert "/" not in revision_reason
        assert "\\" not in revision_reason or "windows" not in revision_reason.lower()


def test_a_csv_over_5_mb_is_refused_clearly_and_stores_nothing(cast: Cast) -> None:
    big = GOOD + b"2026-03-17,1,mild\n" * (5 * 1024 * 1024 // 18 + 10)
    response = import_as(client_for(cast, "nurse"), cast, "big.csv", big)
    assert "larger than 5 MB" in response.content.decode()
    assert nothing_stored(cast)


def test_a_request_over_the_upload_limit_is_413_before_it_is_read(cast: Cast, settings) -> None:  # type: ignore[no-untyped-def]
    settings.MAX_UPLOAD_REQUEST_BYTES = 1_000_000
    response = import_as(client_for(cast, "nurse"), cast, "huge.csv", GOOD * 80_000)
    assert response.status_code == 413
    assert "at most 1 MB" in response.content.decode()
    assert nothing_stored(cast)


@pytest.mark.parametrize(
    "content",
    [
        b"\x00\x01\x02binary\xff\xfe",
        b"\xff\xfe\xfd not utf-8",
        b"date,headache_hours\n" + b'"unterminated,quote\n' * 100,
        b"date,headache_hours,peak_intensity\n" + b"2026-03-18," + b"9" * 100_000 + b",mild\n",
        b"date," * 10_000 + b"\n",
        b"=cmd|' /C calc'!A0,1,mild\n",
        b"",
        b"\n\n\n",
        b"date,headache_hours\n2026-03-18,NaN\n2026-03-17,inf\n2026-03-16,-0\n",
        b"date,headache_hours\n9999-99-99,2\n0000-01-01,1\n",
        # Found by Hypothesis: a row shorter than the header was a KeyError (500).
        b"Id,Started,Lasted,Pain Level\n1,2026-03-18 08:00\n",
        b"date,headache_hours,peak_intensity\n2026-03-18\n",
    ],
)
@pytest.mark.parametrize("kind", ["cephalog", "migraine_buddy"])
def test_malformed_csv_gets_clear_problems_and_stores_nothing(
    cast: Cast, content: bytes, kind: str
) -> None:
    response = import_as(client_for(cast, "nurse"), cast, "bad.csv", content, kind)
    assert response.status_code == 200
    assert "Traceback" not in response.content.decode()
    assert nothing_stored(cast)


def api_put(cast: Cast, body: bytes, content_type: str = "application/json"):  # type: ignore[no-untyped-def]
    return client_for(cast, "patient_user").put(
        "/api/me/diary/2026-03-19", body, content_type=content_type
    )


@pytest.mark.parametrize(
    "body",
    [
        b"{",
        b"not json",
        b"[]",
        b"null",
        b'"a string"',
        b"\xff\xfe",
        b'{"headache_hours": 1e400}',
        b'{"headache_hours": NaN}',
        b'{"headache_hours": 2, "peak_intensity": "mild", "acute_medications": '
        + b"[" * 5000
        + b"]" * 5000
        + b"}",
        b'{"headache_hours": 2, "peak_intensity": "' + b"x" * 100_000 + b'"}',
        b'{"headache_hours": 2, "peak_intensity": "mild", "acute_medications": '
        + json.dumps([{"class": "triptan", "name": "x" * 101}]).encode()
        + b"}",
        b'{"headache_hours": 2, "peak_intensity": "mild", "acute_medications": '
        + json.dumps([{"class": "triptan"}] * 1000).encode()
        + b"}",
    ],
)
def test_malformed_json_is_4xx_and_stores_nothing(cast: Cast, body: bytes) -> None:
    response = api_put(cast, body)
    assert 400 <= response.status_code < 500, (body[:60], response.status_code)
    assert response["Content-Type"].startswith("application/json")
    assert nothing_stored(cast)


def test_a_json_body_over_the_limit_is_413_json(cast: Cast, settings) -> None:  # type: ignore[no-untyped-def]
    body = json.dumps({"headache_hours": 2, "padding": "x" * 3_000_000}).encode()
    response = api_put(cast, body)
    assert response.status_code == 413
    assert "at most 2.62144 MB" in response.json()["detail"]
    assert nothing_stored(cast)


def test_a_form_with_thousands_of_fields_is_refused(cast: Cast) -> None:
    data = {f"med-{i}-name": "x" for i in range(5000)}
    data.update(
        {
            "headache_hours": "1",
            "peak_intensity": "mild",
            "med-TOTAL_FORMS": "5000",
            "med-INITIAL_FORMS": "0",
        }
    )
    client = client_for(cast, "patient_user")
    client.raise_request_exception = False
    response = client.post("/me/diary/2026-03-19/", data)
    assert response.status_code == 400
    assert nothing_stored(cast)
