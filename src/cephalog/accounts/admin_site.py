"""The Django admin, for superusers (operators) only.

Clinic admins use cephalog's own pages (Staff, Clinic settings, Policies).
The clinic scoping below stays as a second line of defence.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Model, QuerySet
from django.http import HttpRequest

from cephalog.accounts.access import staff_clinic_ids
from cephalog.accounts.models import Role
from cephalog.audit.actions import record


def admin_clinic_ids(request: HttpRequest) -> list[int]:
    return staff_clinic_ids(request.user, (Role.CLINIC_ADMIN,))


class ClinicAdminSite(admin.AdminSite):
    site_header = "cephalog administration"
    site_title = "cephalog admin"
    index_title = "Your clinic"

    def has_permission(self, request: HttpRequest) -> bool:
        # Operators only (issue 17.5): clinic admins manage staff, settings and policies
        # on cephalog's own pages, which go through the audited actions. This also
        # removes the admin's patient search, which put names in URLs.
        user = request.user
        return bool(user.is_active and user.is_authenticated and user.is_superuser)


class ClinicScopedAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Rows are filtered to the admin's clinics through `clinic_path`."""

    clinic_path = "clinic"

    def _allowed(self, request: HttpRequest) -> bool:
        return bool(request.user.is_superuser or admin_clinic_ids(request))

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._allowed(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._allowed(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._allowed(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self._allowed(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.is_superuser)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        qs = super().get_queryset(request)
        if request.user.is_superuser:
            return qs
        return qs.filter(**{f"{self.clinic_path}__in": admin_clinic_ids(request)})

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "clinic" and not request.user.is_superuser:
            from cephalog.accounts.models import Clinic

            kwargs["queryset"] = Clinic.objects.filter(pk__in=admin_clinic_ids(request))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> Any:
        record(action="read", category=f"admin:{self.model._meta.model_name}")
        return super().changelist_view(request, extra_context)

    def _audit_object_read(self, request: HttpRequest, object_id: str, view: str) -> None:
        from django.contrib.admin.utils import unquote

        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            return
        model = self.model._meta.model_name
        patient = obj if model == "patient" else getattr(obj, "patient", None)
        record(
            action="read",
            category=f"admin:{model}",
            patient=patient,
            clinic_id=getattr(obj, "clinic_id", None) or getattr(patient, "clinic_id", None),
            object_ref=f"{model}:{obj.pk}",
            detail={"view": view},
        )

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None
    ) -> Any:
        if request.method == "GET":
            self._audit_object_read(request, object_id, "change")
        return super().change_view(request, object_id, form_url, extra_context)

    def history_view(self, request: HttpRequest, object_id: str, extra_context: Any = None) -> Any:
        self._audit_object_read(request, object_id, "history")
        return super().history_view(request, object_id, extra_context)

    def save_model(self, request: HttpRequest, obj: Model, form: Any, change: bool) -> None:
        from django.db import transaction

        with transaction.atomic():
            obj.full_clean()
            obj.save()
            record(
                action="update" if change else "create",
                category=f"admin:{self.model._meta.model_name}",
                patient=obj if self.model._meta.model_name == "patient" else None,
                clinic_id=getattr(obj, "clinic_id", None),
                object_ref=f"{self.model._meta.model_name}:{obj.pk}",
            )


site = ClinicAdminSite(name="admin")
