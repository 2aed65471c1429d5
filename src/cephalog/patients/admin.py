from __future__ import annotations

from django.contrib import admin

from cephalog.accounts.admin_site import ClinicScopedAdmin, site
from cephalog.patients.models import Condition, Medication, Patient, Preventive


class PreventiveInline(admin.TabularInline):  # type: ignore[type-arg]
    model = Preventive
    extra = 0


class MedicationInline(admin.TabularInline):  # type: ignore[type-arg]
    model = Medication
    extra = 0


class ConditionInline(admin.TabularInline):  # type: ignore[type-arg]
    model = Condition
    extra = 0


class PatientAdmin(ClinicScopedAdmin):
    list_display = ["family_name", "given_name", "mrn", "clinic"]
    search_fields = ["family_name", "given_name", "mrn"]
    exclude = ["user"]
    inlines = [PreventiveInline, MedicationInline, ConditionInline]


site.register(Patient, PatientAdmin)
