"""What a bundle says about a full record: codes, references, stable ids (docs/fhir.md)."""

from __future__ import annotations

from typing import Any

from cephalog.interop import codes as c
from cephalog.interop import fhir
from tests.interop.conftest import Rich


def _of(bundle: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


def _codes(concept: dict[str, Any]) -> set[tuple[str, str]]:
    return {(x["system"], x["code"]) for x in concept.get("coding", [])}


def test_it_validates_a_full_record_and_every_reference_resolves(
    rich_bundle: dict[str, Any],
) -> None:
    bundle = rich_bundle

    assert fhir.validation_problems(bundle) == []
    assert fhir.unresolved_references(bundle) == []
    assert bundle["type"] == "collection"
    assert {e["fullUrl"] for e in bundle["entry"]} == {
        f"urn:uuid:{e['resource']['id']}" for e in bundle["entry"]
    }


def test_it_codes_the_diagnosis_with_icd10cm_and_snomed_where_known(
    rich_bundle: dict[str, Any],
) -> None:
    bundle = rich_bundle
    [migraine] = [
        r
        for r in _of(bundle, "Condition")
        if (c.CONDITION, "chronic_migraine") in _codes(r["code"])
    ]
    # Intractable, without aura, without status migrainosus.
    assert (c.ICD10CM, "G43.719") in _codes(migraine["code"])
    assert (c.SNOMED, "124171000119105") in _codes(migraine["code"])
    assert migraine["onsetDateTime"] == "2024-05-01"
    cautions = {
        next(iter(_codes(r["code"])))[1]: r for r in _of(bundle, "Condition") if r is not migraine
    }
    assert cautions["pregnancy"]["clinicalStatus"]["coding"][0]["code"] == "resolved"
    assert cautions["pregnancy"]["abatementDateTime"] == "2023-09-01"


def test_it_writes_the_session_as_procedure_with_one_administration_per_site(
    rich_bundle: dict[str, Any],
) -> None:
    bundle = rich_bundle
    [procedure] = [p for p in _of(bundle, "Procedure") if (c.CPT, "64615") in _codes(p["code"])]
    assert procedure["status"] == "completed"
    assert procedure["performedPeriod"]["start"].startswith("2026-03-10T09:00")
    assert len(procedure["bodySite"]) == 32  # 30 fixed done + 2 follow-the-pain
    assert procedure["performer"][0]["function"]["coding"][0]["code"] == "injector"
    practitioners = {f"urn:uuid:{p['id']}": p for p in _of(bundle, "Practitioner")}
    assert procedure["performer"][0]["actor"]["reference"] in practitioners

    [vial] = _of(bundle, "Medication")
    assert vial["batch"] == {"lotNumber": "C1234AB", "expirationDate": "2026-09-30"}
    assert (c.HCPCS, "J0585") in _codes(vial["code"])
    assert procedure["usedReference"] == [{"reference": f"urn:uuid:{vial['id']}"}]

    administrations = _of(bundle, "MedicationAdministration")
    assert len(administrations) == 33
    done = [a for a in administrations if a["status"] == "completed"]
    assert sum(a["dosage"]["dose"]["value"] for a in done) == 160
    first = done[0]
    assert first["dosage"]["dose"] == {"value": 5, "unit": "U", "system": c.UCUM, "code": "[USP'U]"}
    assert _codes(first["dosage"]["route"]) == {(c.SNOMED, "78421000")}
    assert first["medicationReference"] == {"reference": f"urn:uuid:{vial['id']}"}
    assert first["partOf"] == [{"reference": f"urn:uuid:{procedure['id']}"}]
    [skipped] = [a for a in administrations if a["status"] == "not-done"]
    assert skipped["statusReason"][0]["text"] == "Bruise from last time"
    assert _codes(skipped["dosage"]["site"]) == {(c.SITE, "frontalis-R-2")}


def test_it_writes_diary_days_with_raw_facts_and_derived_flags(rich_bundle: dict[str, Any]) -> None:
    bundle = rich_bundle
    days = {
        o["effectiveDateTime"]: o
        for o in _of(bundle, "Observation")
        if (c.OBS, "diary-day") in _codes(o["code"])
    }
    day = days["2026-02-02"]  # 6 h, moderate, pulsating, nausea, photophobia, triptan
    assert _codes(day["valueCodeableConcept"]) == {(c.DAY_CLASS, "migraine-day")}
    parts = {x["code"]["coding"][0]["code"]: x for x in day["component"]}
    assert parts["headache-hours"]["valueQuantity"]["value"] == 6
    assert parts["pulsating"]["valueBoolean"] is True
    assert parts["nausea"]["valueBoolean"] is True
    assert "unilateral" not in parts  # a feature not ticked is left out
    assert parts["acute-medication"]["valueCodeableConcept"]["text"] == "sumatriptan 50 mg"
    assert parts["acute-medication"]["extension"][0]["valueBoolean"] is True
    assert parts["moderate-severe-day"]["valueBoolean"] is True
    windows = [
        o for o in _of(bundle, "Observation") if o["code"]["coding"][0]["code"].startswith("window")
    ]
    assert {w["code"]["coding"][0]["code"] for w in windows} == {"window-baseline", "window-latest"}
    baseline = next(w for w in windows if w["code"]["coding"][0]["code"] == "window-baseline")
    assert baseline["effectivePeriod"] == {"start": "2026-02-10", "end": "2026-03-09"}


def test_it_keeps_questionnaire_item_values_without_wording(rich_bundle: dict[str, Any]) -> None:
    bundle = rich_bundle
    hit6 = next(
        q for q in _of(bundle, "QuestionnaireResponse") if q["questionnaire"].endswith("/hit6")
    )
    assert [i["linkId"] for i in hit6["item"]] == [f"hit6_{n}" for n in range(1, 7)]
    assert all("text" not in i for i in hit6["item"])
    score = next(
        o for o in _of(bundle, "Observation") if (c.SCORE, "hit6-total") in _codes(o["code"])
    )
    assert score["valueInteger"] == 66
    assert score["derivedFrom"] == [{"reference": f"urn:uuid:{hit6['id']}"}]


def test_it_links_adverse_events_to_the_session_and_the_check_in(
    rich_bundle: dict[str, Any],
) -> None:
    bundle = rich_bundle
    events = {e["event"]["coding"][0]["code"]: e for e in _of(bundle, "AdverseEvent")}
    ptosis = events["eyelid_ptosis"]
    procedure = next(
        p for p in _of(bundle, "Procedure") if p["status"] == "completed" and "bodySite" in p
    )
    assert ptosis["suspectEntity"][0]["instance"]["reference"] == f"urn:uuid:{procedure['id']}"
    assert (
        ptosis["suspectEntity"][0]["causality"][0]["assessment"]["coding"][0]["code"] == "possibly"
    )
    assert ptosis["outcome"]["coding"][0]["code"] == "recovering"
    neck = events["neck_pain"]
    checkin_ref = next(x for x in neck["extension"] if x["url"] == c.EXT_CHECKIN)
    checkin = next(
        q
        for q in _of(bundle, "QuestionnaireResponse")
        if f"urn:uuid:{q['id']}" == checkin_ref["valueReference"]["reference"]
    )
    assert checkin["questionnaire"].endswith("/checkin-day3")


def test_it_plans_the_next_session_as_an_appointment_in_the_care_plan(
    rich_bundle: dict[str, Any],
) -> None:
    bundle = rich_bundle
    [plan] = _of(bundle, "CarePlan")
    appointments = _of(bundle, "Appointment")
    assert appointments
    refs = [a["reference"]["reference"] for a in plan["activity"] if "reference" in a]
    assert refs == [f"urn:uuid:{a['id']}" for a in appointments]
    assert appointments[0]["status"] == "proposed"


def test_it_gives_every_resource_the_same_id_on_every_export(rich: Rich) -> None:
    first = [e["fullUrl"] for e in fhir.patient_bundle(rich.patient)["entry"]]
    second = [e["fullUrl"] for e in fhir.patient_bundle(rich.patient)["entry"]]
    assert first == second
    assert first[0] == f"urn:uuid:{rich.patient.pk}"
