"""Validate, save and audit in one step (issue 20.1), against the real database."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from cephalog.audit.models import AuditEvent
from cephalog.core.errors import AppError
from cephalog.core.writes import save_audited, save_recorded, update_audited
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


def test_save_recorded_names_the_row_by_its_category_and_keeps_djangos_error(cast: Cast) -> None:
    patient = cast.patient
    patient.phone = "+44 113 496 0001"
    save_recorded(patient, action="update", category="patient", patient=patient, user=cast.nurse)
    row = AuditEvent.objects.order_by("-id").first()
    assert row is not None
    assert row.object_ref == f"patient:{patient.pk}"
    save_recorded(
        patient,
        action="update",
        category="cautions",
        ref=f"clinic:{patient.clinic_id}",
        patient=patient,
        detail=lambda saved: {"saved": saved.pk is not None},
    )
    row = AuditEvent.objects.order_by("-id").first()
    assert row is not None
    assert row.object_ref == f"clinic:{patient.clinic_id}"
    assert row.detail == {"saved": True}
    patient.mrn = ""
    before = AuditEvent.objects.count()
    with pytest.raises(ValidationError) as refused:
        save_recorded(patient, action="update", category="patient", patient=patient)
    assert "mrn" in refused.value.message_dict
    assert AuditEvent.objects.count() == before


def test_update_audited_writes_only_a_change_with_before_and_after(cast: Cast) -> None:
    clinic = cast.clinic
    old = clinic.name
    before = AuditEvent.objects.count()
    assert update_audited(clinic, {"name": old}, category="clinic", clinic_id=clinic.pk) == []
    assert AuditEvent.objects.count() == before
    changed = update_audited(clinic, {"name": "Renamed clinic"}, category="clinic", user=cast.nurse)
    assert changed == ["name"]
    clinic.refresh_from_db()
    assert clinic.name == "Renamed clinic"
    row = AuditEvent.objects.order_by("-id").first()
    assert row is not None
    assert row.object_ref == f"clinic:{clinic.pk}"
    assert row.action == "update"
    assert row.detail == {
        "changed": ["name"],
        "before": {"name": old},
        "after": {"name": "Renamed clinic"},
    }
