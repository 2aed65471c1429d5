"""Clinic admins see (and may deactivate) the questionnaire wording their clinic loaded.

Decisions, bridging treatments and responses are not editable here: they
change only through cephalog.outcomes.actions, which audit every write.
"""

from __future__ import annotations

from django.http import HttpRequest

from cephalog.accounts.admin_site import ClinicScopedAdmin, site
from cephalog.outcomes.models import ContentPack, ItemLabel


class ContentPackAdmin(ClinicScopedAdmin):
    list_display = ["instrument", "version", "language", "clinic", "active", "loaded_at"]
    fields = ["clinic", "instrument", "version", "language", "licence_note", "active"]
    readonly_fields = ["clinic", "instrument", "version", "language", "licence_note"]

    def has_add_permission(self, request: HttpRequest) -> bool:  # loaded by the upload page
        return False


site.register(ContentPack, ContentPackAdmin)


class ItemLabelAdmin(ClinicScopedAdmin):
    """Plain labels patients see beside the questionnaire items (issue 16.5)."""

    list_display = ["item_key", "label", "clinic"]
    list_filter = ["item_key"]
    fields = ["clinic", "item_key", "label"]


site.register(ItemLabel, ItemLabelAdmin)
