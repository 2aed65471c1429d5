"""Content packs: a clinic's licensed wording, validated against the domain's item keys.
Tests use invented packs only (docs/content-packs.md)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from cephalog.audit.models import AuditEvent
from cephalog.outcomes import actions
from cephalog.outcomes.content_packs import ContentPackError, parse_pack
from cephalog.outcomes.models import ContentPack
from tests.personas import Cast, client_for

FIXTURES = Path(__file__).parent / "fixtures"
DOC = Path(__file__).resolve().parents[2] / "docs" / "content-packs.md"


def pack(name: str = "invented-hit6-pack.json") -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / name).read_text())
    return data


def problems(data: Any) -> list[str]:
    with pytest.raises(ContentPackError) as error:
        parse_pack(json.dumps(data))
    return list(error.value.problems)


def test_the_invented_packs_are_valid() -> None:
    hit6 = parse_pack((FIXTURES / "invented-hit6-pack.json").read_bytes())
    assert hit6.instrument == "hit6"
    assert set(hit6.items) == {f"hit6_{i}" for i in range(1, 7)}
    assert set(hit6.options) == {"6", "8", "10", "11", "13"}
    midas = parse_pack((FIXTURES / "invented-midas-pack.json").read_bytes())
    assert set(midas.items) >= {f"midas_{i}" for i in range(1, 6)}


def test_the_documented_example_is_the_test_pack() -> None:
    text = DOC.read_text()
    example = text.split("```json\n", 1)[1].split("```", 1)[0]
    assert json.loads(example) == pack()


def test_it_names_every_problem_by_its_path() -> None:
    data = pack()
    data["items"]["hit6_7"] = "Invented extra"
    del data["items"]["hit6_3"]
    data["items"]["hit6_1"] = "  "
    del data["options"]["13"]
    data["licence_note"] = ""
    data["colour"] = "blue"
    found = problems(data)
    assert (
        "items.hit6_7: unknown item key; expected one of hit6_1, hit6_2, hit6_3, hit6_4, "
        "hit6_5, hit6_6" in found
    )
    assert "items.hit6_3: missing" in found
    assert "items.hit6_1: must be a non-empty string" in found
    assert "options.13: missing" in found
    assert "licence_note: required, a non-empty string" in found
    assert "colour: unknown key" in found


def test_it_refuses_bad_files() -> None:
    assert problems({**pack(), "format": "x"})[0].startswith("format: must be")
    assert problems({**pack(), "instrument": "msq"})[0].startswith("instrument:")
    midas = pack("invented-midas-pack.json")
    assert "options: midas items are numbers of days; no options allowed" in problems(
        {**midas, "options": {"6": "x"}}
    )
    with pytest.raises(ContentPackError, match="malformed JSON"):
        parse_pack(b"{not json")
    with pytest.raises(ContentPackError, match="must be an object"):
        parse_pack(b"[]")
    with pytest.raises(ContentPackError, match="too large"):
        parse_pack(b" " * 100_001)


def test_a_clinic_admin_loads_a_pack_once_per_version(cast: Cast) -> None:
    raw = (FIXTURES / "invented-hit6-pack.json").read_bytes()
    row = actions.load_content_pack(clinic=cast.clinic, by=cast.clinic_admin, raw=raw)
    assert row.wording["items"]["hit6_1"].startswith("Invented question one")
    assert AuditEvent.objects.filter(category="content_pack", action="import").exists()
    with pytest.raises(ValidationError, match="already loaded"):
        actions.load_content_pack(clinic=cast.clinic, by=cast.clinic_admin, raw=raw)
    with pytest.raises(PermissionDenied):
        actions.load_content_pack(clinic=cast.clinic, by=cast.physician, raw=raw)


def test_the_upload_page(cast: Cast) -> None:
    client = client_for(cast, "clinic_admin")
    assert client.get("/clinic/content-packs/").status_code == 200
    bad = pack()
    del bad["items"]["hit6_2"]
    response = client.post(
        "/clinic/content-packs/",
        {"file": SimpleUploadedFile("p.json", json.dumps(bad).encode(), "application/json")},
    )
    assert response.status_code == 400
    assert "items.hit6_2: missing" in response.content.decode()
    assert not ContentPack.objects.exists()
    response = client.post(
        "/clinic/content-packs/",
        {
            "file": SimpleUploadedFile(
                "p.json", (FIXTURES / "invented-midas-pack.json").read_bytes()
            )
        },
    )
    assert response.status_code == 302
    assert ContentPack.objects.get().instrument == "midas"
