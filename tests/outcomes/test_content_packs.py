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


def _upload(client: Any, data: Any, query: str = "") -> Any:
    raw = data if isinstance(data, bytes) else json.dumps(data).encode()
    return client.post(
        "/clinic/content-packs/" + query,
        {"file": SimpleUploadedFile("p.json", raw, "application/json")},
    )


def test_a_new_version_replaces_the_wording_shown_and_a_pack_can_be_stopped(cast: Cast) -> None:
    from cephalog.outcomes import queries

    client = client_for(cast, "clinic_admin")
    assert _upload(client, pack()).status_code == 302
    first = ContentPack.objects.get()
    second = pack()
    second["version"] = "invented-2026-06"
    response = _upload(client, second)
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "It replaces invented-2026-01 on the forms from now on." in page
    assert "No: a newer version is shown" in page
    newer = queries.active_pack(cast.clinic.pk, "hit6")
    assert newer is not None
    assert newer.version == "invented-2026-06"
    # The same version again: refused in words that say how to replace it.
    body = _upload(client, second).content.decode()
    assert "is already loaded; to replace it, give the new file another version" in body
    # Stop using the newer one: the earlier wording shows again; and back.
    url = f"/clinic/content-packs/{newer.pk}/active/"
    assert client.post(url, {"active": "0"}).status_code == 302
    assert queries.active_pack(cast.clinic.pk, "hit6") == first
    row = AuditEvent.objects.get(category="content_pack", action="update")
    assert row.detail == {"instrument": "hit6", "version": "invented-2026-06", "active": False}
    client.post(url, {"active": "1"})
    assert queries.active_pack(cast.clinic.pk, "hit6") == newer
    # Not a clinic admin, or another clinic's admin: refused.
    with pytest.raises(PermissionDenied):
        actions.set_content_pack_active(pack=newer, by=cast.physician, active=False)
    assert client_for(cast, "physician").post(url, {"active": "0"}).status_code == 404


def test_a_file_that_is_not_json_is_refused_in_words(cast: Cast) -> None:
    client = client_for(cast, "clinic_admin")
    body = _upload(client, b"not json at all").content.decode()
    assert "The file is not valid JSON" in body
    assert "Nothing was stored." in body
    assert "$:" not in body
    assert not ContentPack.objects.exists()


def test_an_admin_of_two_clinics_loads_into_the_clinic_chosen(cast: Cast) -> None:
    from cephalog.accounts import actions as account_actions
    from cephalog.accounts.models import Role

    account_actions.grant_role(
        user=cast.clinic_admin, clinic=cast.other_clinic, role=Role.CLINIC_ADMIN
    )
    client = client_for(cast, "clinic_admin")
    response = _upload(client, pack(), "?clinic=york")
    assert response["Location"].endswith("?clinic=york")
    assert ContentPack.objects.get().clinic == cast.other_clinic
    assert "None loaded." in client.get("/clinic/content-packs/?clinic=leeds").content.decode()
