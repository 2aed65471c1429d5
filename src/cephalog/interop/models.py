"""A clinic's bulk export: one row per request, with its progress and the file it wrote.

All writes go through cephalog.interop.bulk (start, claim, progress, finish).
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils import timezone

from cephalog.accounts.models import Clinic

#: An export still waiting or running after this long is taken to have died (its worker
#: stopped): it no longer blocks a new export, and its page row stops polling.
STALE_AFTER = dt.timedelta(hours=1)


class ExportStatus(models.TextChoices):
    PENDING = "pending", "Waiting for the worker"
    RUNNING = "running", "Running"
    DONE = "done", "Ready"
    FAILED = "failed", "Failed"


class BulkExport(models.Model):
    """NDJSON per resource type for every patient of a clinic, zipped (docs/fhir.md, "Bulk").

    `done` and `total` count patients; the page polls them. `file_name` is
    relative to the export directory (settings.DATA_DIR / "exports").
    """

    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="bulk_exports")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(
        max_length=10, choices=ExportStatus.choices, default=ExportStatus.PENDING
    )
    done = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    counts = models.JSONField(default=dict, blank=True, help_text="Resources written, by type.")
    file_name = models.CharField(max_length=200, blank=True)
    size_bytes = models.PositiveBigIntegerField(default=0)
    error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=ExportStatus.values), name="bulk_export_status_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(done__lte=models.F("total")), name="bulk_export_done_le_total"
            ),
        ]

    def __str__(self) -> str:
        return f"bulk export {self.pk} of {self.clinic} ({self.status})"

    @property
    def in_progress(self) -> bool:
        """Waiting or running, and not stale."""
        return self.status in (ExportStatus.PENDING, ExportStatus.RUNNING) and (
            timezone.now() - self.created_at < STALE_AFTER
        )

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.total) if self.total else 0

    @property
    def seconds(self) -> float | None:
        if self.started_at and self.finished_at:
            return (self.finished_at - self.started_at).total_seconds()
        return None
