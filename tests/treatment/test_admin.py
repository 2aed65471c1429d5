"""Operators (superusers) configure protocol templates and aftercare in the Django admin;
clinic admins no longer reach it (issue 17.5: training is recorded on the Staff page)."""

from __future__ import annotations

import json

from django.test import Client
from django.urls import reverse

from cephalog.accounts.models import User
from cephalog.treatment.models import ProtocolTemplate
from tests.personas import Cast, client_for, login_client


def _operator() -> Client:
    root = User.objects.create_superuser(
        username="root", email="root@example.org", password="x" * 20
    )
    return login_client(Client(), root)


def test_an_operator_adds_a_protocol_template_within_the_rules(cast: Cast) -> None:
    client = _operator()
    url = reverse("admin:treatment_protocoltemplate_add")
    assert client.get(url).status_code == 200
    data = {
        "clinic": cast.clinic.pk,
        "name": "wide",
        "title": "Too wide",
        "definition": json.dumps({"ftp_caps": {"frontalis": 2}, "max_units": 195, "max_sites": 39}),
        "active": "on",
    }
    response = client.post(url, data)
    assert response.status_code == 200
    assert "only in temporalis, occipitalis and trapezius" in response.content.decode()
    data["definition"] = json.dumps(
        {"ftp_caps": {"trapezius": 4}, "max_units": 175, "max_sites": 35}
    )
    assert client.post(url, data).status_code == 302
    assert ProtocolTemplate.objects.get().clinic == cast.clinic


def test_clinic_staff_are_kept_out_of_the_admin(cast: Cast) -> None:
    ProtocolTemplate.objects.create(
        clinic=cast.other_clinic,
        name="york",
        title="York protocol",
        definition={"ftp_caps": {}, "max_units": 155, "max_sites": 31},
    )
    for persona in ("clinic_admin", "nurse"):
        for model in ("protocoltemplate", "injectortraining", "aftercaretext"):
            response = client_for(cast, persona).get(reverse(f"admin:treatment_{model}_changelist"))
            assert response.status_code == 302, (persona, model)
            assert "York protocol" not in response.content.decode()
