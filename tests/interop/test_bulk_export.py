"""A clinic's bulk export (/clinic/export/): NDJSON per resource type, zipped, with progress."""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from cephalog.audit.models import AuditEvent
from cephalog.interop import bulk
from cephalog.interop.models import STALE_AFTER, BulkExport, ExportStatus
from tests.interop.conftest import Rich
from tests.personas import Cast, assert_refused, client_for


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path) -> Any:
    with override_settings(DATA_DIR=tmp_path):
        yield tmp_path


def _start(cast: Cast, django_capture_on_commit_callbacks: Any) -> BulkExport:
    client = client_for(cast, "clinic_admin")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("clinic-export"), {"clinic": "leeds"})
    assert response.status_code == 302
    return BulkExport.objects.filter(clinic=cast.clinic).latest("id")


def test_it_exports_every_patient_as_ndjson_per_resource_type(
    rich: Rich, cast: Cast, django_capture_on_commit_callbacks: Any
) -> None:
    export = _start(cast, django_capture_on_commit_callbacks)
    assert (export.status, export.done, export.total) == (ExportStatus.DONE, 2, 2)

    response = client_for(cast, "clinic_admin").get(
        reverse("clinic-export-download", args=[export.pk])
    )
    assert response.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))  # type: ignore[attr-defined]
    manifest = json.loads(archive.read("manifest.json"))
    files = {o["type"]: o for o in manifest["output"]}
    assert {
        "Patient",
        "Observation",
        "Procedure",
        "MedicationAdministration",
        "Practitioner",
    } <= set(files)
    resources: dict[str, list[dict[str, Any]]] = {}
    for kind, output in files.items():
        lines = archive.read(output["url"]).decode().splitlines()
        assert len(lines) == output["count"] == export.counts[kind]
        resources[kind] = [json.loads(line) for line in lines]
    assert sorted(p["identifier"][0]["value"] for p in resources["Patient"]) == [
        "MRN-1001",
        "MRN-1002",
    ]
    # One Practitioner however many sessions name them; references are Type/id.
    assert len(resources["Practitioner"]) == 1
    ids = {(kind, r["id"]) for kind, rows in resources.items() for r in rows}
    procedure = next(p for p in resources["Procedure"] if "performer" in p)
    kind, rid = procedure["subject"]["reference"].split("/")
    assert (kind, rid) in ids
    kind, rid = procedure["performer"][0]["actor"]["reference"].split("/")
    assert (kind, rid) in ids
    # Each patient's export is audited, and so are the request and the download.
    assert AuditEvent.objects.filter(category="fhir", detail__via="bulk").count() == 2
    assert AuditEvent.objects.filter(category="fhir_bulk").count() == 2


def test_it_shows_progress_and_polls_until_done(cast: Cast) -> None:
    export = BulkExport.objects.create(clinic=cast.clinic, requested_by=cast.clinic_admin, total=4)
    client = client_for(cast, "clinic_admin")
    page = client.get(reverse("clinic-export"))
    assert page.status_code == 200
    assert "An export is running" in page.content.decode()
    row = client.get(reverse("clinic-export-status", args=[export.pk])).content.decode()
    assert 'hx-trigger="load delay:1s"' in row
    assert "0 of 4 patients" in row

    bulk.run_bulk_export(export.pk)
    row = client.get(reverse("clinic-export-status", args=[export.pk])).content.decode()
    assert "hx-trigger" not in row
    assert "Download ZIP" in row
    assert bulk.run_bulk_export(export.pk).startswith("not claimed")


def test_it_keeps_only_the_latest_file(
    cast: Cast, django_capture_on_commit_callbacks: Any, data_dir: Path
) -> None:
    first = _start(cast, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        second = bulk.start_bulk_export(clinic=cast.clinic, by=cast.clinic_admin)
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.file_name == ""
    assert [p.name for p in (data_dir / "exports").glob("*.zip")] == [second.file_name]


def test_it_is_for_clinic_admins_only(cast: Cast) -> None:
    export = BulkExport.objects.create(clinic=cast.clinic, total=0)
    for url in (
        reverse("clinic-export"),
        reverse("clinic-export-status", args=[export.pk]),
        reverse("clinic-export-download", args=[export.pk]),
    ):
        assert_refused(
            cast, url, ["anonymous", "patient_user", "nurse", "physician", "other_physician"]
        )
    response = client_for(cast, "nurse").post(reverse("clinic-export"), {"clinic": "leeds"})
    assert response.status_code == 404
    assert BulkExport.objects.count() == 1


def test_it_stops_waiting_for_an_export_whose_worker_died(
    cast: Cast, django_capture_on_commit_callbacks: Any
) -> None:
    stale = BulkExport.objects.create(clinic=cast.clinic, total=2)
    BulkExport.objects.filter(pk=stale.pk).update(
        created_at=timezone.now() - STALE_AFTER - dt.timedelta(minutes=1)
    )
    row = client_for(cast, "clinic_admin").get(reverse("clinic-export-status", args=[stale.pk]))
    assert "hx-trigger" not in row.content.decode()
    fresh = _start(cast, django_capture_on_commit_callbacks)  # not blocked by the stale one
    assert fresh.pk != stale.pk
    stale.refresh_from_db()
    assert stale.status == ExportStatus.FAILED


def test_a_failed_export_says_why_and_is_not_run_again(
    cast: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    export = BulkExport.objects.create(clinic=cast.clinic, requested_by=cast.clinic_admin, total=2)

    def disk_full(*args: Any, **kwargs: Any) -> dict[str, int]:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(bulk, "write_clinic_ndjson", disk_full)
    assert bulk.run_bulk_export(export.pk) == "failed"
    export.refresh_from_db()
    assert export.status == ExportStatus.FAILED
    assert export.error == "[Errno 28] No space left on device"
    assert export.started_at is not None
    assert export.finished_at is not None
    assert export.file_name == ""
    monkeypatch.undo()
    assert bulk.run_bulk_export(export.pk).startswith("not claimed")  # a failure is final
    export.refresh_from_db()
    assert export.status == ExportStatus.FAILED
