"""Sign-offs and decisions on the clinic-scoped admin site, read-only; the patient's page
with its consultation record inline. (Clinic policies: `cephalog.accounts.admin`.)"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from cephalog.accounts.admin_site import ClinicScopedAdmin, site
from cephalog.eligibility.models import (
    Condition,
    FlagSignOff,
    Medication,
    Preventive,
    StartDecision,
)
from cephalog.patients.admin import PatientAdmin
from cephalog.patients.models import Patient


class PreventiveInline(admin.TabularInline):  # type: ignore[type-arg]
    model = Preventive
    extra = 0


class MedicationInline(admin.TabularInline):  # type: ignore[type-arg]
    model = Medication
    extra = 0


class ConditionInline(admin.TabularInline):  # type: ignore[type-arg]
    model = Condition
    extra = 0


class PatientRecordAdmin(PatientAdmin):
    """The patients app's page for a patient, with the consultation record this app owns."""

    inlines = [PreventiveInline, MedicationInline, ConditionInline]


class ReadOnlyPatientRecordAdmin(ClinicScopedAdmin):
    """Records made by physicians on the screening page; the admin only lists them."""

    clinic_path = "patient__clinic"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class FlagSignOffAdmin(ReadOnlyPatientRecordAdmin):
    list_display = ["patient", "policy", "flag", "signed_by", "signed_at"]
    list_filter = ["policy"]


class StartDecisionAdmin(ReadOnlyPatientRecordAdmin):
    list_display = ["patient", "policy", "status", "decided_by", "decided_at"]
    list_filter = ["policy", "status"]


site.unregister(Patient)  # registered by cephalog.patients.admin (imported above)
site.register(Patient, PatientRecordAdmin)
site.register(FlagSignOff, FlagSignOffAdmin)
site.register(StartDecision, StartDecisionAdmin)
