from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from cephalog.accounts.admin_site import ClinicScopedAdmin, admin_clinic_ids, site
from cephalog.accounts.models import Clinic, ClinicPolicy, Membership


class ClinicAdmin(ClinicScopedAdmin):
    list_display = ["name", "slug", "default_policy", "backfill_days"]
    # The default policy is chosen on /clinic/policies/, which checks it names a policy.
    readonly_fields = ["default_policy"]
    fields = [
        "name",
        "phone",
        "safety_email",
        "time_zone",
        "default_policy",
        "backfill_days",
        "minimum_interval_days",
    ]

    def get_queryset(self, request: HttpRequest) -> Any:
        qs = super(ClinicScopedAdmin, self).get_queryset(request)
        return qs if request.user.is_superuser else qs.filter(pk__in=admin_clinic_ids(request))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.is_superuser)


class MembershipAdmin(ClinicScopedAdmin):
    list_display = ["user", "clinic", "role"]
    list_filter = ["role"]
    raw_id_fields = ["user"]


class ClinicPolicyAdmin(ClinicScopedAdmin):
    """ClinicScopedAdmin saves through `full_clean()`, so a bad policy definition is refused
    with the domain's message here too (ClinicPolicy.clean)."""

    list_display = ["name", "title", "clinic", "updated_at"]
    search_fields = ["name", "title"]
    fields = ["clinic", "name", "title", "definition"]


site.register(Clinic, ClinicAdmin)
site.register(Membership, MembershipAdmin)
site.register(ClinicPolicy, ClinicPolicyAdmin)
