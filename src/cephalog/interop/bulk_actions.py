"""Every write of the FHIR bulk export's job row (`BulkExport`): requesting an export
(clinic admins, audited), and the job's steps in `cephalog.interop.bulk.run_bulk_export`:
claimed, failed and finished through `JOB` (`cephalog.core.jobs`: one worker wins, run
once, a failure is final), `progress`, and `forget_files` (older files are removed:
exports are copies of patient data at rest).
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from cephalog.accounts.access import require_role
from cephalog.accounts.models import Clinic, Role
from cephalog.audit.actions import record
from cephalog.core.jobs import NO_RETRY, Job
from cephalog.interop.models import STALE_AFTER, BulkExport, ExportStatus
from cephalog.patients.models import Patient

#: Running one export: pending -> running (`started_at`) -> done, or failed for good (an
#: admin asks again). A worker that died leaves it running: STALE_AFTER, in
#: `start_bulk_export`, ends it.
JOB = Job(BulkExport, ("started_at",), retry=NO_RETRY, attempts=None, error="error")


@transaction.atomic
def start_bulk_export(*, clinic: Clinic, by: Any) -> BulkExport:
    """Request a bulk export (clinic admins only); the worker runs it after commit.

    An export of the clinic that is still waiting or running is returned
    instead of starting a second one.
    """
    require_role(by, clinic, (Role.CLINIC_ADMIN,), "export all patients")
    Clinic.objects.select_for_update().filter(pk=clinic.pk).first()
    # A worker that died leaves its row running: after STALE_AFTER it no longer blocks.
    unfinished = BulkExport.objects.filter(
        clinic=clinic, status__in=[ExportStatus.PENDING, ExportStatus.RUNNING]
    )
    unfinished.filter(created_at__lt=timezone.now() - STALE_AFTER).update(
        status=ExportStatus.FAILED, error="Did not finish (no worker running?)"
    )
    running = unfinished.first()
    if running is not None:
        return running
    export = BulkExport(
        clinic=clinic, requested_by=by, total=Patient.objects.filter(clinic=clinic).count()
    )
    export.full_clean()
    export.save()
    record_bulk(export, by, {"patients": export.total, "requested": True})
    from cephalog.interop.tasks import run_bulk_export_task

    transaction.on_commit(lambda: run_bulk_export_task.enqueue(export.pk))
    return export


def record_bulk(export: BulkExport, by: Any, detail: dict[str, Any]) -> None:
    """The clinic's `export` audit row of a bulk export (requested, downloaded)."""
    record(
        action="export",
        category="fhir_bulk",
        clinic_id=export.clinic_id,
        user=by,
        object_ref=f"bulk-export:{export.pk}",
        detail=detail,
    )


def progress(export_id: int, done: int, total: int) -> None:
    BulkExport.objects.filter(pk=export_id).update(done=done, total=total)


def forget_files(exports: QuerySet[BulkExport]) -> None:
    """The files of `exports` were removed: their rows no longer name one."""
    exports.update(file_name="")
