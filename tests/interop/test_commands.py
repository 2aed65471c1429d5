"""`cephalog export-fhir` and `cephalog import-fhir`."""

from __future__ import annotations

import json
import zipfile
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from cephalog.accounts.models import Clinic, User
from cephalog.audit.models import AuditEvent
from cephalog.diary.models import DiaryEntry
from cephalog.interop import fhir
from cephalog.patients.actions import create_patient
from cephalog.patients.models import Patient
from tests.interop.conftest import Rich
from tests.personas import Cast


def _export(*args: str) -> str:
    out = StringIO()
    call_command("export-fhir", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_it_writes_the_bundle_to_stdout_and_audits_it(rich: Rich) -> None:
    bundle = json.loads(_export("--mrn", "MRN-1001"))
    assert bundle["resourceType"] == "Bundle"
    assert fhir.validation_problems(bundle) == []
    event = AuditEvent.objects.filter(category="fhir", patient_id=rich.patient.pk).get()
    assert (event.action, event.detail["via"]) == ("export", "command")


def test_it_writes_to_a_file_with_out(rich: Rich, tmp_path: Path) -> None:
    out = tmp_path / "ada.json"
    assert _export("--mrn", "MRN-1001", "--clinic", "leeds", "--out", str(out)) == ""
    assert json.loads(out.read_text())["entry"][0]["resource"]["id"] == str(rich.patient.pk)


def test_it_refuses_an_unknown_mrn_with_a_clear_message(cast: Cast) -> None:
    with pytest.raises(CommandError, match="No patient with the MRN 'NOPE-1'"):
        _export("--mrn", "NOPE-1")
    with pytest.raises(CommandError, match="No clinic with the slug 'nowhere'"):
        _export("--mrn", "MRN-1001", "--clinic", "nowhere")


def test_it_refuses_an_mrn_used_in_two_clinics_without_clinic(cast: Cast) -> None:
    create_patient(
        clinic=cast.other_clinic,
        mrn="MRN-1001",
        given_name="Other",
        family_name="Person",
        birth_date=cast.patient.birth_date,
    )
    with pytest.raises(CommandError, match=r"used in several clinics \(leeds, york\).*--clinic"):
        _export("--mrn", "MRN-1001")
    assert json.loads(_export("--mrn", "MRN-1001", "--clinic", "york"))["entry"]


def test_it_exits_non_zero_from_the_command_line(
    cast: Cast, capsys: pytest.CaptureFixture[str]
) -> None:
    from cephalog.cli import main

    with pytest.raises(SystemExit) as exit_info:
        main(["export-fhir", "--mrn", "NOPE-1"])
    assert exit_info.value.code != 0
    assert "No patient with the MRN 'NOPE-1'" in capsys.readouterr().err


def test_it_writes_a_clinic_as_ndjson_with_all(rich: Rich, tmp_path: Path) -> None:
    out = tmp_path / "leeds.zip"
    call_command("export-fhir", "--all", "--clinic", "leeds", "--out", str(out), stderr=StringIO())
    with zipfile.ZipFile(out) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        assert {o["url"] for o in manifest["output"]} <= set(archive.namelist())
        patients = archive.read("Patient.ndjson").decode().splitlines()
    assert len(patients) == 2  # Ada and Brook


def test_it_imports_a_file_and_refuses_a_taken_mrn(
    rich: Rich, new_clinic: tuple[Clinic, User], tmp_path: Path
) -> None:
    clinic, admin = new_clinic
    path = tmp_path / "ada.json"
    path.write_text(_export("--mrn", "MRN-1001"))
    out = StringIO()
    call_command("import-fhir", str(path), "--clinic", "bristol", stdout=out)
    assert "Imported Ada Quill as MRN MRN-1001 into Bristol Migraine Service" in out.getvalue()
    imported = Patient.objects.get(clinic=clinic, mrn="MRN-1001")
    assert (
        DiaryEntry.objects.filter(patient=imported).count()
        == DiaryEntry.objects.filter(patient=rich.patient).count()
    )
    event = AuditEvent.objects.filter(category="fhir", action="import").get()
    assert (event.username, event.patient_id) == ("bristol-admin", imported.pk)

    err = StringIO()
    with pytest.raises(CommandError, match="Nothing was imported"):
        call_command("import-fhir", str(path), "--clinic", "bristol", stderr=err)
    assert "MRN MRN-1001 is already used in Bristol Migraine Service" in err.getvalue()
    call_command("import-fhir", str(path), "--clinic", "bristol", "--mrn", "B-2", stdout=StringIO())
    assert Patient.objects.filter(clinic=clinic, mrn="B-2").exists()


def test_it_needs_a_member_of_staff_to_import(rich: Rich, tmp_path: Path, cast: Cast) -> None:
    path = tmp_path / "ada.json"
    path.write_text(_export("--mrn", "MRN-1001"))
    with pytest.raises(CommandError, match="ada is not a member of staff of York Neurology"):
        call_command("import-fhir", str(path), "--clinic", "york", "--by", "ada")
    with pytest.raises(CommandError, match="--by USERNAME"):
        call_command("import-fhir", str(path), "--clinic", "york")  # York has no clinic admin
