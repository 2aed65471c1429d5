"""A clinic's bulk export: every patient as NDJSON per resource type, zipped.

The layout follows FHIR Bulk Data: one `<Type>.ndjson` file per resource
type, one resource per line, references written `Type/id`, and a
`manifest.json` listing the files and their counts. Practitioner and
Organization resources are written once however many patients name them.

`start_bulk_export` (clinic admins) writes the request row and enqueues the
task on commit; `run_bulk_export` claims the row (`cephalog.core.jobs`: one
conditional update, so two workers never run one export), writes the file,
and reports progress on the row after each patient. Only each clinic's
latest file is kept.
"""

from __future__ import annotations

import json
import logging
import tempfile
import time
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils import timezone

from cephalog.accounts.models import Clinic, Role
from cephalog.interop import bulk_actions, fhir
from cephalog.interop.actions import record_fhir_export
from cephalog.interop.models import BulkExport, ExportStatus
from cephalog.ops.db_router import replica_reads
from cephalog.patients.models import Patient

logger = logging.getLogger(__name__)

#: Requesting an export is an action (bulk_actions, with every write of the job's row;
#: running it is that module's JOB, `cephalog.core.jobs`).
start_bulk_export = bulk_actions.start_bulk_export

type Progress = Callable[[int, int], None]
#: Resources written once per export, not once per patient.
SHARED_TYPES = frozenset({"Practitioner", "Organization"})


def export_dir() -> Path:
    path = Path(settings.DATA_DIR) / "exports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def write_clinic_ndjson(
    clinic: Clinic, out: Path, *, by: Any, progress: Progress | None = None
) -> dict[str, int]:
    """Write the clinic's zip to `out` (atomically); returns resources written by type.

    Each patient's export is audited (`export`, category `fhir`, via `bulk`).
    """
    patients = Patient.objects.filter(clinic=clinic).select_related("clinic").order_by("mrn")
    total = patients.count()
    counts: dict[str, int] = {}
    seen_shared: set[str] = set()
    started = timezone.now()
    with tempfile.TemporaryDirectory(dir=out.parent) as tmp:
        handles: dict[str, Any] = {}
        try:
            for done, patient in enumerate(patients.iterator(chunk_size=200), start=1):
                resources = fhir.patient_resources(patient)
                types = {r["id"]: r["resourceType"] for r in resources}
                for resource in resources:
                    kind = resource["resourceType"]
                    if kind in SHARED_TYPES:
                        if resource["id"] in seen_shared:
                            continue
                        seen_shared.add(resource["id"])
                    if kind not in handles:
                        handles[kind] = open(  # noqa: SIM115 (closed in finally)
                            Path(tmp) / f"{kind}.ndjson", "w", encoding="utf-8"
                        )
                    line = json.dumps(
                        fhir.relative_references(resource, types),
                        ensure_ascii=False,
                        separators=(",", ":"),
                    )
                    handles[kind].write(line + "\n")
                    counts[kind] = counts.get(kind, 0) + 1
                record_fhir_export(
                    patient=patient, by=by, detail={"via": "bulk", "resources": len(resources)}
                )
                if progress is not None:
                    progress(done, total)
        finally:
            for handle in handles.values():
                handle.close()
        manifest = {
            "transactionTime": started.isoformat(),
            "request": f"cephalog bulk export of clinic {clinic.slug}",
            "requiresAccessToken": True,
            "output": [
                {"type": kind, "url": f"{kind}.ndjson", "count": counts[kind]}
                for kind in sorted(counts)
            ],
            "error": [],
        }
        partial = Path(tmp) / "export.zip"
        with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("manifest.json", json.dumps(manifest, indent=2))
            for kind in sorted(counts):
                archive.write(Path(tmp) / f"{kind}.ndjson", f"{kind}.ndjson")
        partial.replace(out)
    if progress is not None and total == 0:
        progress(0, 0)
    return counts


def admin_clinics(user: Any) -> list[Clinic]:
    """The clinics this user may bulk-export: those where they are clinic admin."""
    if not getattr(user, "is_authenticated", False):
        return []
    return list(
        Clinic.objects.filter(memberships__user=user, memberships__role=Role.CLINIC_ADMIN).order_by(
            "name"
        )
    )


def run_bulk_export(export_id: int) -> str:
    """Claim and run one export; returns what happened (for the task result)."""
    started = timezone.now()
    if not bulk_actions.JOB.claim(export_id, started):
        return "not claimed: already running, done or removed"
    export = BulkExport.objects.select_related("clinic", "requested_by").get(pk=export_id)
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    name = f"{export.clinic.slug}-{stamp}-{export.pk}.zip"
    last = [0.0]

    def progress(done: int, total: int) -> None:
        now = time.monotonic()
        if done == total or now - last[0] >= 0.5:  # at most two row updates a second
            last[0] = now
            bulk_actions.progress(export_id, done, total)

    try:
        with replica_reads():  # a streaming replica, when configured (cephalog.ops.db_router)
            counts = write_clinic_ndjson(
                export.clinic, export_dir() / name, by=export.requested_by, progress=progress
            )
    except Exception as error:
        logger.exception("bulk export %s failed", export_id)
        bulk_actions.JOB.fail(export, started, str(error), finished_at=timezone.now())
        return "failed"
    size = (export_dir() / name).stat().st_size
    bulk_actions.JOB.finish(
        export_id,
        started,
        counts=counts,
        file_name=name,
        size_bytes=size,
        finished_at=timezone.now(),
    )
    _remove_older_files(export)
    return f"done: {sum(counts.values())} resources"


def _remove_older_files(export: BulkExport) -> None:
    """Keep only the clinic's latest file: exports are copies of patient data at rest."""
    older = BulkExport.objects.filter(clinic=export.clinic, pk__lt=export.pk).exclude(file_name="")
    for row in older:
        (export_dir() / row.file_name).unlink(missing_ok=True)
    bulk_actions.forget_files(older)


def export_path(export: BulkExport) -> Path | None:
    if export.status != ExportStatus.DONE or not export.file_name:
        return None
    path = export_dir() / export.file_name
    return path if path.is_file() else None


def record_download(*, export: BulkExport, by: Any) -> None:
    bulk_actions.record_bulk(export, by, {"downloaded": True, "size": export.size_bytes})
