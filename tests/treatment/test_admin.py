"""Clinic admins configure protocol templates, training records and aftercare in the admin."""

from __future__ import annotations

import json

from django.urls import reverse

from cephalog.treatment.models import ProtocolTemplate
from tests.personas import Cast, client_for


def test_a_clinic_admin_adds_a_protocol_template_within_the_rules(cast: Cast) -> None:
    client = client_for(cast, "clinic_admin")
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


def test_the_admin_lists_only_the_admins_clinic(cast: Cast) -> None:
    ProtocolTemplate.objects.create(
        clinic=cast.other_clinic,
        name="york",
        title="York protocol",
        definition={"ftp_caps": {}, "max_units": 155, "max_sites": 31},
    )
    client = client_for(cast, "clinic_admin")
    for model in ("protocoltemplate", "injectortraining", "aftercaretext"):
        response = client.get(reverse(f"admin:treatment_{model}_changelist"))
        assert response.status_code == 200, model
        assert "York protocol" not in response.content.decode()
    assert (
        client_for(cast, "nurse")
        .get(reverse("admin:treatment_protocoltemplate_changelist"))
        .status_code
        == 302
    )
