"""Every response holding patient data says `Cache-Control: no-store` (issue 18.6): each
patient-data URL pattern of the matrix, and the secret calendar feeds, as an allowed user."""

from __future__ import annotations

import pytest
from django.db import transaction

from tests.security.matrix import (
    PATIENT_DATA,
    PATTERNS,
    TOKEN,
    World,
    allowed,
    client,
    url_for,
    world,  # noqa: F401 (the module-scoped fixture)
)
from tests.security.test_authz_matrix import _body

pytestmark = pytest.mark.django_db

PERSONAS = ("patient_user", "physician", "nurse", "clinic_admin")


def test_patient_data_is_never_stored_by_browsers_or_proxies(world: World) -> None:  # noqa: F811
    tried, missing = 0, []
    for key, entry in PATTERNS.items():
        if entry.access not in PATIENT_DATA and entry.access != TOKEN:
            continue
        relation = entry.relations[0]
        persona = next((p for p in PERSONAS if allowed(entry, p, relation)), None)
        if persona is None:
            continue
        with transaction.atomic():
            response = client(world, persona).get(url_for(key, entry, world, relation))
            _body(response)
            transaction.set_rollback(True)
        if response.status_code >= 400:
            continue
        tried += 1
        if "no-store" not in response.get("Cache-Control", ""):
            missing.append(f"{key}: {response.status_code} {response.get('Cache-Control')!r}")
    assert tried > 40
    assert not missing, "\n".join(missing)


def test_static_files_are_still_cached(world: World) -> None:  # noqa: F811
    from django.test import Client

    response = Client().get("/static/cephalog/site.css")
    assert response.status_code == 200
    b"".join(response.streaming_content)
    response.close()
    assert "no-store" not in response.get("Cache-Control", "")
