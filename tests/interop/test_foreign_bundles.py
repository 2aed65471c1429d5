"""FHIR R4 bundles from other systems (issue 15.3): a Synthea patient bundle and the HL7
IPS minimal example's layout import their Patient with every other entry listed;
references resolve by the bundle rules; partial dates are read; no input gives a
traceback. The fixtures (fixtures/README.md) were written for these tests."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cephalog.interop.fhir_import import (
    MAX_DEPTH,
    BundleIndex,
    ImportRefused,
    import_bundle,
    parse_json,
)
from cephalog.patients.models import Patient
from tests.personas import Cast

FIXTURES = Path(__file__).parent / "fixtures"


def _bundle(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / name).read_text())
    return data


def test_a_synthea_patient_bundle_imports_its_patient_and_lists_every_other_entry(
    cast: Cast,
) -> None:
    bundle = _bundle("synthea_patient_bundle.json")
    result = import_bundle(bundle, cast.clinic, cast.nurse)
    patient = result.patient
    assert (patient.mrn, patient.given_name, patient.family_name) == (
        "SYN-40417",
        "Maren456",
        "Testperson123",
    )
    assert patient.birth_date == dt.date(1979, 6, 14)
    assert patient.time_zone == cast.clinic.time_zone  # the bundle does not say
    assert result.imported == {"Patient": 1}
    assert result.not_imported == {
        "Claim": 1,
        "Condition": 2,
        "DiagnosticReport": 1,
        "Encounter": 3,
        "ExplanationOfBenefit": 1,
        "Immunization": 1,
        "MedicationRequest": 1,
        "Observation": 2,
        "Procedure": 1,
        "Provenance": 1,
    }
    assert sum(result.imported.values()) + sum(result.not_imported.values()) == len(bundle["entry"])
    assert result.reasons["Encounter"] == {"visits are not stored by cephalog": 3}
    assert result.reasons["Observation"] == {"not a cephalog diary day or attack": 2}
    assert result.reasons["Procedure"] == {"not an onabotulinumtoxinA session (CPT 64615)": 1}


def test_the_ips_minimal_layout_needs_an_mrn_then_imports_its_patient(cast: Cast) -> None:
    bundle = _bundle("ips_minimal_layout.json")
    with pytest.raises(ImportRefused) as refused:
        import_bundle(bundle, cast.clinic, cast.nurse)
    assert refused.value.problems == ["Patient.identifier: no MRN (type MR); give one with --mrn"]
    assert not Patient.objects.filter(family_name="Testfamily").exists()
    result = import_bundle(bundle, cast.clinic, cast.nurse, mrn="IPS-1")
    assert result.patient.mrn == "IPS-1"
    assert result.patient.birth_date == dt.date(1981, 4, 1)  # "1981-04": a partial date
    assert result.adjusted == ["Patient.birthDate: 1981-04 (a partial date) stored as 1981-04-01"]
    assert result.imported == {"Patient": 1}
    assert result.not_imported == {
        "AllergyIntolerance": 1,
        "Composition": 1,
        "Condition": 1,
        "Medication": 1,
        "MedicationStatement": 1,
        "Organization": 1,
        "Practitioner": 1,
    }
    assert result.reasons["MedicationStatement"] == {
        "not marked as a preventive or other medicine in cephalog's terms": 1
    }


def test_import_fhir_json_prints_the_imported_and_not_imported_tables(
    cast: Cast, tmp_path: Path
) -> None:
    path = tmp_path / "ips.json"
    path.write_text((FIXTURES / "ips_minimal_layout.json").read_text())
    out = StringIO()
    call_command(
        "import-fhir",
        str(path),
        "--clinic",
        "leeds",
        "--by",
        "nurse-joy",
        "--mrn",
        "IPS-2",
        "--json",
        stdout=out,
    )
    assert json.loads(out.getvalue()) == {
        "imported": {"Patient": 1},
        "not_imported": {
            "AllergyIntolerance": 1,
            "Composition": 1,
            "Condition": 1,
            "Medication": 1,
            "MedicationStatement": 1,
            "Organization": 1,
            "Practitioner": 1,
        },
    }


def test_import_fhir_without_an_mrn_exits_2_and_says_to_give_one(
    cast: Cast, tmp_path: Path
) -> None:
    path = tmp_path / "ips.json"
    path.write_text((FIXTURES / "ips_minimal_layout.json").read_text())
    err = StringIO()
    with pytest.raises(CommandError) as raised:
        call_command("import-fhir", str(path), "--clinic", "leeds", "--by", "nurse-joy", stderr=err)
    assert raised.value.returncode == 2
    assert "give one with --mrn" in err.getvalue()


# --- References ---------------------------------------------------------------------------


def _index(*entries: tuple[str, dict[str, Any]]) -> BundleIndex:
    return BundleIndex(list(entries))


def test_references_resolve_by_the_bundle_rules() -> None:
    patient = {
        "resourceType": "Patient",
        "id": "123",
        "identifier": [{"system": "http://example.org/mrn", "value": "A-1"}],
    }
    other_server = {"resourceType": "Patient", "id": "123"}
    uuid_patient = {"resourceType": "Patient", "id": "p2"}
    index = _index(
        ("http://example.org/fhir/Patient/123", patient),
        ("http://other.example.com/base/Patient/123", other_server),
        ("urn:uuid:9d8e7f60-0000-4000-8000-000000000001", uuid_patient),
    )
    # Relative: against the base of the referring entry's fullUrl.
    assert index.resolve("Patient/123", "http://example.org/fhir/Observation/1") is patient
    assert (
        index.resolve("Patient/123", "http://other.example.com/base/Observation/9") is other_server
    )
    assert (
        index.resolve("Patient/123/_history/2", "http://example.org/fhir/Observation/1") is patient
    )
    # Absolute and urn:uuid: the fullUrl itself.
    assert index.resolve("http://example.org/fhir/Patient/123", "") is patient
    assert index.resolve("urn:uuid:9d8e7f60-0000-4000-8000-000000000001", "") is uuid_patient
    assert index.resolve("urn:uuid:9d8e7f60-0000-4000-8000-000000000002", "") is None
    # Conditional: the one entry it matches, with or without the system.
    assert index.resolve("Patient?identifier=http://example.org/mrn|A-1", "") is patient
    assert index.resolve("Patient?identifier=A-1", "") is patient
    assert index.resolve("Patient?identifier=http://example.org/mrn|B-2", "") is None
    assert index.resolve("Practitioner?identifier=http://hl7.org/fhir/sid/us-npi|1", "") is None
    # Two entries of one type and id with no base to choose between: unresolved.
    assert index.resolve("Patient/123", "urn:uuid:9d8e7f60-0000-4000-8000-000000000003") is None


def test_a_cephalog_record_pointing_outside_the_bundle_is_refused(cast: Cast) -> None:
    bundle = _bundle("ips_minimal_layout.json")
    bundle["entry"].append(
        {
            "fullUrl": "urn:uuid:0f0f0f0f-0000-4000-8000-000000000009",
            "resource": {
                "resourceType": "Procedure",
                "id": "0f0f0f0f-0000-4000-8000-000000000009",
                "status": "completed",
                "code": {"coding": [{"system": "http://www.ama-assn.org/go/cpt", "code": "64615"}]},
                "subject": {"reference": "urn:uuid:2b90dd2b-0000-4000-a000-000000000002"},
                "performedPeriod": {"start": "2026-01-05T09:00:00+00:00"},
                "usedReference": [{"reference": "Medication?identifier=lot|C1"}],
            },
        }
    )
    with pytest.raises(ImportRefused, match="does not name an entry of the bundle"):
        import_bundle(bundle, cast.clinic, cast.nurse, mrn="IPS-3")
    assert not Patient.objects.filter(mrn="IPS-3").exists()


# --- Partial dates ------------------------------------------------------------------------


def test_partial_dates_are_read_where_fhir_allows_them(cast: Cast) -> None:
    bundle = _bundle("synthea_patient_bundle.json")
    bundle["entry"][0]["resource"]["birthDate"] = "1979"
    result = import_bundle(bundle, cast.clinic, cast.nurse)
    assert result.patient.birth_date == dt.date(1979, 1, 1)
    assert result.adjusted == ["Patient.birthDate: 1979 (a partial date) stored as 1979-01-01"]


# --- Any input -----------------------------------------------------------------------------


def test_deeply_nested_json_is_refused_cleanly(cast: Cast) -> None:
    deep = '{"resourceType": "Bundle", "entry": ' + "[" * 200_000 + "]" * 200_000 + "}"
    with pytest.raises(ImportRefused, match="nested more than"):
        import_bundle(deep, cast.clinic, cast.nurse)
    nested: Any = {}
    for _ in range(MAX_DEPTH + 5):
        nested = {"a": nested}
    with pytest.raises(ImportRefused, match="nested more than"):
        parse_json(json.dumps({"resourceType": "Bundle", "x": nested}))


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(
            st.sampled_from(
                ["resourceType", "entry", "resource", "fullUrl", "reference", "identifier", "x"]
            ),
            children,
            max_size=4,
        )
    ),
    max_leaves=12,
)
_TYPES = st.sampled_from(
    ["Patient", "Observation", "Procedure", "Condition", "Encounter", "Nope", 3, None]
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(
        st.fixed_dictionaries(
            {"fullUrl": st.one_of(st.text(max_size=12), st.integers()), "resource": _JSON}
        ).map(lambda e: e)
        | _JSON,
        max_size=4,
    ),
    _TYPES,
    _JSON,
)
def test_no_input_gives_a_traceback(cast: Cast, entries: list[Any], kind: Any, extra: Any) -> None:
    for entry in entries:
        if isinstance(entry, dict) and isinstance(entry.get("resource"), dict):
            entry["resource"]["resourceType"] = kind
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": entries, "x": extra}
    with contextlib.suppress(ImportRefused):
        import_bundle(json.dumps(bundle), cast.clinic, cast.nurse, mrn="FUZZ")
    Patient.objects.filter(mrn="FUZZ").delete()


# --- The page -------------------------------------------------------------------------------


def test_the_page_imports_a_bundle_and_shows_the_same_table(cast: Cast) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    from tests.personas import client_for

    client = client_for(cast, "nurse")
    assert client.get(reverse("clinic-fhir-import")).status_code == 200
    content = (FIXTURES / "ips_minimal_layout.json").read_bytes()
    refused = client.post(
        reverse("clinic-fhir-import"),
        {"clinic": "leeds", "file": SimpleUploadedFile("ips.json", content, "application/json")},
    ).content.decode()
    assert "Nothing was imported" in refused
    assert "give one with --mrn" in refused
    body = client.post(
        reverse("clinic-fhir-import"),
        {
            "clinic": "leeds",
            "mrn": "IPS-9",
            "file": SimpleUploadedFile("ips.json", content, "application/json"),
        },
    ).content.decode()
    assert "Every entry of the bundle" in body
    assert '<tr><th scope="row">Patient</th><td>1</td><td>0</td>' in body
    assert (
        '<tr><th scope="row">Composition</th><td>0</td><td>1</td><td>the document&#x27;s header'
        in body
    )
    assert "Patient.birthDate: 1981-04 (a partial date) stored as 1981-04-01" in body
    assert Patient.objects.filter(clinic=cast.clinic, mrn="IPS-9").exists()


def test_patients_cannot_reach_the_import_page(cast: Cast) -> None:
    from django.urls import reverse

    from tests.personas import client_for

    assert client_for(cast, "patient_user").get(reverse("clinic-fhir-import")).status_code == 404


def test_diary_notes_survive_an_export_and_an_import(cast: Cast) -> None:
    from cephalog.accounts import actions as account_actions
    from cephalog.diary.actions import save_day
    from cephalog.diary.models import DiaryEntry
    from cephalog.interop.fhir import patient_bundle

    save_day(
        patient=cast.patient,
        data={"date": "2026-03-02", "headache_hours": 3, "peak_intensity": "moderate"},
        by=cast.nurse,
        today=dt.date(2026, 3, 20),
    )
    DiaryEntry.objects.filter(patient=cast.patient).update(notes="Worse after the long drive")
    bundle = patient_bundle(cast.patient)
    day = next(
        e["resource"]
        for e in bundle["entry"]
        if e["resource"]["resourceType"] == "Observation"
        and e["resource"].get("effectiveDateTime") == "2026-03-02"
    )
    assert day["note"] == [{"text": "Worse after the long drive"}]
    other = account_actions.create_clinic(slug="notes", name="Notes Clinic")
    admin = account_actions.create_staff(
        clinic=other,
        username="notes-admin",
        email="n@example.org",
        role="clinic_admin",
        password="a-long-test-password-2026",
    )
    result = import_bundle(bundle, other, admin)
    entry = DiaryEntry.objects.get(patient=result.patient, date=dt.date(2026, 3, 2))
    assert entry.notes == "Worse after the long drive"
