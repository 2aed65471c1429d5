"""The audit trail: who read or wrote which patient's data, when and from where.

Rows are only inserted (cephalog.audit.actions.record). They form hash
chains: each row's hash, an HMAC under a key kept outside the database
(cephalog.audit.keys), covers its fields and the previous row's hash in its
chain, so an edited, removed or reordered row is detected by `cephalog audit
verify`; the chains' heads are written outside the database (cephalog.audit.anchor)
so removing the last rows, or all of them, is detected too. On PostgreSQL concurrent writers append to different chains (a few, see
docs/adr/0006-audit-chains.md); SQLite writes one chain. The database refuses
UPDATE and DELETE of audit rows through triggers (migrations 0002 and 0004),
and the model refuses both in Python.
"""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.db import models

from cephalog.audit import keys


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


class AppendOnlyError(RuntimeError):
    pass


class AuditEvent(models.Model):
    at = models.DateTimeField(db_index=True)
    # No database constraint: a removed user must not force an UPDATE of audit rows;
    # the username is kept in the row itself.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    username = models.CharField(max_length=150, blank=True)
    clinic_id = models.BigIntegerField(null=True, db_index=True)
    patient_id = models.UUIDField(null=True, db_index=True)
    action = models.CharField(max_length=20, choices=AuditAction.choices)
    category = models.CharField(max_length=40, help_text="Data category, e.g. diary, session.")
    object_ref = models.CharField(max_length=100, blank=True)
    source_ip = models.GenericIPAddressField(null=True)
    detail = models.JSONField(default=dict, blank=True)
    #: The hash chain the row belongs to: `prev_hash` is the hash of the row before it in
    #: this chain (by id). Rows of chain 0 hash as they did before there were chains.
    chain = models.PositiveSmallIntegerField(default=0)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)
    #: The audit key the hash is an HMAC under (cephalog.audit.keys); "" for rows written
    #: before keys existed (plain SHA-256).
    key_id = models.CharField(max_length=32, blank=True, default=keys.current_key_id)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["chain", "id"], name="audit_chain_id")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.username} {self.action} {self.category}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise AppendOnlyError("audit rows are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise AppendOnlyError("audit rows are append-only")

    def canonical(self) -> str:
        fields: dict[str, Any] = {
            "at": self.at.isoformat(timespec="microseconds"),
            "user_id": self.user_id,
            "username": self.username,
            "clinic_id": self.clinic_id,
            "patient_id": str(self.patient_id) if self.patient_id else None,
            "action": self.action,
            "category": self.category,
            "object_ref": self.object_ref,
            "source_ip": self.source_ip,
            "detail": self.detail,
            "prev_hash": self.prev_hash,
        }
        if self.chain:
            fields["chain"] = self.chain
        if self.key_id:
            fields["key_id"] = self.key_id
        return json.dumps(fields, sort_keys=True, separators=(",", ":"), default=str)

    def compute_hash(self) -> str:
        """The row's hash (keys.chain_hash); "" when its key is not configured here."""
        if not self.key_id:
            return keys.chain_hash(self.canonical(), None)
        key = keys.key(self.key_id)
        return keys.chain_hash(self.canonical(), key) if key is not None else ""
