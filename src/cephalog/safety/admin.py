from __future__ import annotations

from cephalog.accounts.admin_site import ClinicScopedAdmin, site
from cephalog.safety.models import OutboundEmail, SafetySettings


class SafetySettingsAdmin(ClinicScopedAdmin):
    list_display = [
        "clinic",
        "escalation_minutes",
        "max_escalations",
        "emergency_number",
        "urgent_phone",
        "out_of_hours_number",
        "physicians_only_acknowledge",
    ]


class OutboundEmailAdmin(ClinicScopedAdmin):
    """Read-only: the outbox is written by the safety actions and the sweep only."""

    list_display = ["created_at", "kind", "status", "attempts", "next_attempt_at", "last_error"]
    list_filter = ["status", "kind"]
    readonly_fields = [
        "clinic",
        "alert",
        "kind",
        "to",
        "subject",
        "body",
        "status",
        "attempts",
        "last_error",
        "created_at",
        "next_attempt_at",
        "last_attempt_at",
        "sent_at",
    ]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


site.register(SafetySettings, SafetySettingsAdmin)
site.register(OutboundEmail, OutboundEmailAdmin)
