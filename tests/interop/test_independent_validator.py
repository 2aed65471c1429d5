"""Exports checked by a validator cephalog's code does not use (issue 15.3): the official
HL7 FHIR R4 JSON schema and R4's invariants (mad-1, bdl-*, obs-6/7, ele-1, ...)
evaluated by HL7's fhirpath.js, run with the machine's Node (tests/fhir_validator).
`make test` installs it; the fixture below installs it too when it is missing."""

from __future__ import annotations

import copy
import datetime as dt
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from cephalog.accounts.models import Clinic, User
from cephalog.demo.load import load_demo
from cephalog.interop import fhir
from cephalog.patients.models import Patient
from tests.interop.conftest import Rich

VALIDATOR = Path(__file__).resolve().parents[1] / "fhir_validator"
FIXTURES = Path(__file__).parent / "fixtures"

type Validate = Any


@pytest.fixture(scope="session")
def validate(tmp_path_factory: pytest.TempPathFactory) -> Validate:
    node = shutil.which("node")
    assert node, "Node.js is needed for the FHIR validator (the machine's Node 20)"
    if not (VALIDATOR / "node_modules" / "fhirpath").is_dir():
        subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund", "--prefix", str(VALIDATOR)],
            check=True,
            capture_output=True,
            timeout=600,
        )
    folder = tmp_path_factory.mktemp("fhir-validator")

    def run(bundles: list[dict[str, Any]]) -> dict[str, list[str]]:
        path = folder / "bundles.json"
        path.write_text(json.dumps(bundles))
        done = subprocess.run(
            [node, str(VALIDATOR / "validate.js"), str(path)],
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode in (0, 1), done.stderr
        report: dict[str, list[str]] = json.loads(done.stdout)
        return {key.rsplit("#", 1)[-1]: problems for key, problems in report.items()}

    return run


def test_the_validator_finds_a_missing_dose_and_a_field_r4_does_not_have(
    validate: Validate,
) -> None:
    administration = {
        "resourceType": "MedicationAdministration",
        "status": "not-done",
        "medicationCodeableConcept": {"text": "onabotulinumtoxinA"},
        "subject": {"reference": "urn:uuid:5d3c0e5e-0000-4000-8000-000000000001"},
        "effectiveDateTime": "2026-03-10",
        "dosage": {"site": {"text": "frontalis"}},
    }
    bundle = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"fullUrl": "urn:uuid:1", "resource": administration}],
    }
    broken = copy.deepcopy(bundle)
    broken["entry"][0]["resource"]["dose"] = 5
    both = copy.deepcopy(bundle)
    both["entry"][0]["resource"]["dosage"]["dose"] = {"value": 0, "unit": "U"}
    both["entry"][0]["resource"]["meta"] = {}
    both["entry"][0]["resource"]["extension"] = [
        {"url": "https://example.org/x", "valueString": "a", "extension": [{"url": "b"}]}
    ]
    report = validate([bundle, broken, both])
    assert report["0"] == [
        "entry[0] MedicationAdministration mad-1: SHALL have at least one of dosage.dose "
        "or dosage.rate[x]"
    ]
    assert report["2"] == [
        "entry[0] MedicationAdministration ele-1: All FHIR elements must have a @value or children",
        "entry[0] MedicationAdministration ext-1: Must have either extensions or value[x], "
        "not both",
    ]
    assert (
        "entry[0] MedicationAdministration schema: . should NOT have additional properties (dose)"
        in report["1"]
    )


def test_a_session_with_a_skipped_site_exports_valid_r4(rich: Rich, validate: Validate) -> None:
    bundle = fhir.patient_bundle(rich.patient)
    skipped = [
        e["resource"]
        for e in bundle["entry"]
        if e["resource"]["resourceType"] == "MedicationAdministration"
        and e["resource"]["status"] == "not-done"
    ]
    assert len(skipped) == 1
    assert skipped[0]["dosage"]["dose"]["value"] == 0  # mad-1: a dose, of 0 units
    assert validate([bundle]) == {"0": []}


def test_every_demo_patient_exports_valid_r4(
    new_clinic: tuple[Clinic, User], validate: Validate
) -> None:
    load_demo(n_patients=12, seed=8, today=dt.date(2026, 6, 30))
    clinic, _ = new_clinic
    patients = list(Patient.objects.exclude(clinic=clinic).order_by("mrn"))
    assert len(patients) == 15
    report = validate([fhir.patient_bundle(p) for p in patients])
    failing = {patients[int(k)].mrn: v for k, v in report.items() if v}
    assert failing == {}


def test_the_test_bundles_of_other_systems_are_valid_r4(validate: Validate) -> None:
    bundles = [
        json.loads((FIXTURES / name).read_text())
        for name in ("synthea_patient_bundle.json", "ips_minimal_layout.json")
    ]
    assert validate(bundles) == {"0": [], "1": []}
