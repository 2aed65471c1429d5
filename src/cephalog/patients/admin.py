"""The patient on the clinic-scoped admin site. Its consultation record (preventives,
medicines, conditions) is shown inline by `cephalog.eligibility.admin`, which owns it."""

from __future__ import annotations

from cephalog.accounts.admin_site import ClinicScopedAdmin, site
from cephalog.patients.models import Patient


class PatientAdmin(ClinicScopedAdmin):
    list_display = ["family_name", "given_name", "mrn", "clinic"]
    search_fields = ["family_name", "given_name", "mrn"]
    exclude = ["user"]


site.register(Patient, PatientAdmin)
