"""A patient's resources, in order, and the Bundle that wraps them."""

from __future__ import annotations

from collections.abc import Iterable

from django.utils import timezone

from cephalog.interop.fhir.builder import _Builder
from cephalog.interop.fhir.diary import acute_summary, diary, windows
from cephalog.interop.fhir.patient import chronic_migraine, history, patient_resource
from cephalog.interop.fhir.record import load_record
from cephalog.interop.fhir.reports import adverse_events, checkins, questionnaires
from cephalog.interop.fhir.sessions import bridging, plan, sessions
from cephalog.interop.fhir.values import BUNDLE_COLLECTION, BUNDLE_SEARCHSET, Json, ref
from cephalog.patients.models import Patient


def patient_resources(patient: Patient) -> list[Json]:
    """All of the patient's resources, Patient first, in a stable order."""
    b = _Builder(load_record(patient))
    patient_json = b.add(patient_resource(b))
    patient_ref = ref(patient_json)
    org = b.organization()
    patient_json["managingOrganization"] = ref(org)
    condition = chronic_migraine(b, patient_ref)
    condition_ref = ref(condition)
    history(b, patient_ref)
    diary(b, patient_ref)
    windows(b, patient_ref)
    acute_summary(b, patient_ref)
    questionnaires(b, patient_ref)
    procedures = sessions(b, patient_ref, condition_ref)
    bridging(b, patient_ref, condition_ref)
    checkin_refs = checkins(b, patient_ref, procedures)
    adverse_events(b, patient_ref, procedures, checkin_refs)
    plan(b, patient_ref, condition_ref)
    return b.out


def bundle_of(resources: Iterable[Json], bundle_type: str = BUNDLE_COLLECTION) -> Json:
    """A Bundle with `urn:uuid:` fullUrls; for a searchset the Patient is the match."""
    entries = []
    for resource in resources:
        entry: Json = {"fullUrl": f"urn:uuid:{resource['id']}", "resource": resource}
        if bundle_type == BUNDLE_SEARCHSET:
            mode = "match" if resource["resourceType"] == "Patient" else "include"
            entry["search"] = {"mode": mode}
        entries.append(entry)
    bundle: Json = {
        "resourceType": "Bundle",
        "meta": {"lastUpdated": timezone.now().isoformat()},
        "type": bundle_type,
        "timestamp": timezone.now().isoformat(),
    }
    if bundle_type == BUNDLE_SEARCHSET:
        bundle["total"] = sum(1 for e in entries if e["search"]["mode"] == "match")
    bundle["entry"] = entries
    return bundle


def patient_bundle(patient: Patient, bundle_type: str = BUNDLE_COLLECTION) -> Json:
    """The patient's whole record as one Bundle (not audited: see actions.export_bundle)."""
    return bundle_of(patient_resources(patient), bundle_type)
