"""The audit trail: who read or wrote which patient's data, when and from where.

Rows are only ever inserted (see cephalog.audit.actions.record); issue 9 adds
the hash chain and database-level append-only enforcement.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class AuditAction(models.TextChoices):
    READ = "read", "Read"
    CREATE = "create", "Create"
    UPDATE = "update", "Update"
    DELETE = "delete", "Delete"
    EXPORT = "export", "Export"
    IMPORT = "import", "Import"
    LOGIN = "login", "Login"
    LOGIN_FAILED = "login_failed", "Login failed"
    LOGOUT = "logout", "Logout"
    PRIVILEGE = "privilege", "Privilege change"


class AuditEvent(models.Model):
    at = models.DateTimeField(auto_now_add=True, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    username = models.CharField(max_length=150, blank=True)
    clinic_id = models.BigIntegerField(null=True, db_index=True)
    patient_id = models.UUIDField(null=True, db_index=True)
    action = models.CharField(max_length=20, choices=AuditAction.choices)
    category = models.CharField(max_length=40, help_text="Data category, e.g. diary, session.")
    object_ref = models.CharField(max_length=100, blank=True)
    source_ip = models.GenericIPAddressField(null=True)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.username} {self.action} {self.category}"
