"""Clinic admins manage protocol templates, injector training records and aftercare text.

Sessions themselves are not editable here: they change only through
cephalog.treatment.actions (and not at all once signed).
"""

from __future__ import annotations

from cephalog.accounts.admin_site import ClinicScopedAdmin, site
from cephalog.treatment.models import AftercareText, InjectorTraining, ProtocolTemplate


class ProtocolTemplateAdmin(ClinicScopedAdmin):
    list_display = ["title", "name", "clinic", "active"]
    fields = ["clinic", "name", "title", "definition", "active"]


class InjectorTrainingAdmin(ClinicScopedAdmin):
    list_display = ["user", "course", "provider", "completed_on", "clinic"]
    raw_id_fields = ["user"]


class AftercareTextAdmin(ClinicScopedAdmin):
    list_display = ["clinic", "updated_at"]


site.register(ProtocolTemplate, ProtocolTemplateAdmin)
site.register(InjectorTraining, InjectorTrainingAdmin)
site.register(AftercareText, AftercareTextAdmin)
