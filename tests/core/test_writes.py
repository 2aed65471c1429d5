"""Validate, save and audit in one step (issue 20.1), against the real database."""

from __future__ import annotations

import pytest

from cephalog.audit.models import AuditEvent
from cephalog.core.errors import AppError
from cephalog.core.writes import save_audited
from tests.personas import Cast

pytestmark = pytest.mark.django_db


def test_it_saves_and_audits_together(cast: Cast) -> None:
    patient = cast.patient
    patient.phone = "+44 113 496 0000"
    before = AuditEvent.objects.count()
    save_audited(
        patient,
        action="update",
        category="contact_details",
        patient=patient,
        user=cast.nurse,
        detail={"fields": ["phone"]},
    )
    patient.refresh_from_db()
    assert patient.phone == "+44 113 496 0000"
    row = AuditEvent.objects.order_by("-id").first()
    assert AuditEvent.objects.count() == before + 1
    assert row is not None
    assert row.category == "contact_details"
    assert row.detail == {"fields": ["phone"]}
    assert row.object_ref == f"patients.patient:{patient.pk}"


def test_it_refuses_bad_input_by_field_and_stores_nothing(cast: Cast) -> None:
    patient = cast.patient
    mrn = patient.mrn
    patient.mrn = ""
    before = AuditEvent.objects.count()
    with pytest.raises(AppError) as refused:
        save_audited(patient, action="update", category="patient", patient=patient, user=cast.nurse)
    assert "mrn" in refused.value.by_field
    patient.refresh_from_db()
    assert patient.mrn == mrn
    assert AuditEvent.objects.count() == before
