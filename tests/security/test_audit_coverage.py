"""Audit coverage (issue 9, part 2): every endpoint that reads or writes patient data writes
an audit row during the request, naming the patient.

The endpoints are taken from tests/security/matrix.py, so a new patient-data URL is
covered as soon as it has its matrix entry: every pattern of the patient-data access
classes (the patient's own pages, staff pages of one patient, the API, FHIR), and the
clinic-wide pages the matrix marks as audited. Each is requested once per method by an
allowed persona on Ada's record (relation `own`): a GET must answer 200 and write a row
naming her; a write (valid body) must succeed and write a row of a write action naming
her. An endpoint that needs no row says why in the matrix (`Entry.why`).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.cache import cache

from cephalog.audit.models import AuditEvent
from tests.security.matrix import (
    KNOWN_UNAUDITED,
    OWN,
    PATTERNS,
    READS,
    SELF,
    SUCCESS,
    World,
    audited,
    client,
    coverage_line,
    exempt,
    persona_for,
    relation_of,
    url_for,
    world,  # noqa: F401 (the module-scoped fixture)
)

pytestmark = pytest.mark.django_db


def test_every_patient_data_endpoint_without_an_audit_row_says_why() -> None:
    missing = [key for key, _, why in exempt() if not why]
    assert not missing, f"patient-data patterns with neither `audit` nor `why`: {missing}"


def test_the_coverage_figure() -> None:
    """Printed with -s (and written in docs/authorisation.md)."""
    assert set(KNOWN_UNAUDITED) <= set(audited()), "KNOWN_UNAUDITED names unaudited endpoints"
    print("\n" + coverage_line())


def _params() -> list[Any]:
    params = []
    for key, method in audited():
        marks = ()
        if (key, method) in KNOWN_UNAUDITED:
            marks = (pytest.mark.xfail(strict=True, reason=KNOWN_UNAUDITED[key, method]),)
        params.append(pytest.param(key, method, id=f"{key}|{method}", marks=marks))
    return params


@pytest.mark.parametrize(("key", "method"), _params())
def test_it_writes_an_audit_row(world: World, key: str, method: str) -> None:  # noqa: F811
    cache.clear()
    entry = PATTERNS[key]
    relation = relation_of(entry)
    persona = persona_for(entry, method)
    patient = world.patient(OWN if relation == SELF else relation)
    if persona == "other_patient_user":
        patient = world.cast.other_patient
    url = url_for(key, entry, world, relation)
    last = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0

    c = client(world, persona)
    if method == "get":
        response = c.get(url)
    else:
        data = entry.body(world, relation) if entry.body else {}
        if entry.json:
            response = getattr(c, method)(url, json.dumps(data), content_type="application/json")
        elif method == "post":
            response = c.post(url, data)
        else:
            response = getattr(c, method)(url)
    if getattr(response, "streaming", False):
        b"".join(response.streaming_content)  # read to the end, which closes it

    where = f"{method.upper()} {url} as {persona}: {response.status_code}"
    if method in entry.read_methods:
        assert response.status_code == 200, where
    else:
        assert response.status_code in SUCCESS, f"the write did not succeed: {where}"
    rows = list(AuditEvent.objects.filter(id__gt=last).values("action", "category", "patient_id"))
    assert rows, f"no audit row: {where}"
    if method not in entry.read_methods:
        assert any(r["action"] not in READS for r in rows), f"no write in {rows}: {where}"
    if entry.audit == "patient":
        assert any(r["patient_id"] == patient.pk for r in rows), (
            f"no row names the patient {patient.pk} in {rows}: {where}"
        )
