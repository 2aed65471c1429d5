"""Clinic policies on the clinic-scoped admin site; sign-offs and decisions read-only.

ClinicScopedAdmin saves through `full_clean()`, so a bad policy definition is
refused with the domain's message here too (ClinicPolicy.clean).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from cephalog.accounts.admin_site import ClinicScopedAdmin, site
from cephalog.eligibility.models import ClinicPolicy, FlagSignOff, StartDecision


class ClinicPolicyAdmin(ClinicScopedAdmin):
    list_display = ["name", "title", "clinic", "updated_at"]
    search_fields = ["name", "title"]
    fields = ["clinic", "name", "title", "definition"]


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


site.register(ClinicPolicy, ClinicPolicyAdmin)
site.register(FlagSignOff, FlagSignOffAdmin)
site.register(StartDecision, StartDecisionAdmin)
