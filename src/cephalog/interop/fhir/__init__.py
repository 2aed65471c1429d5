"""A patient's record as FHIR R4 resources (JSON dicts), and the checks every bundle passes.

Reads only: `patient_resources` loads the record in a fixed number of queries
and builds plain dicts; `patient_bundle` wraps them in a Bundle. Writing the
export's audit row is the caller's job (cephalog.interop.actions).

Ids are stable: the Patient's id is the patient's own UUID, every other
resource's id is a UUIDv5 in the patient's namespace from what it stands for
(`Observation/day/2026-01-02`, `Procedure/session/17`, ...), and
Practitioner and Organization ids are UUIDv5s in cephalog's namespace, so the
same person is one resource across a clinic's bulk export. Inside a bundle
every reference is the `urn:uuid:` fullUrl of another entry; NDJSON files use
`Type/id` (see `relative_references`).

The mapping, resource by resource, with examples: docs/fhir.md.

The package, by resource family: `values` (ids, references, value shapes), `record`
(loading), `builder`, `patient` (Patient, Condition, history), `diary` (Observations,
acute-medicine summaries), `sessions` (Procedure, Medication, MedicationAdministration,
CarePlan, Appointment), `reports` (QuestionnaireResponse, AdverseEvent), `bundle`
(`patient_resources`, `patient_bundle`) and `checks`.
"""

from cephalog.interop.fhir.bundle import bundle_of, patient_bundle, patient_resources
from cephalog.interop.fhir.checks import (
    entry_problem,
    references,
    relative_references,
    unresolved_references,
    validation_problems,
)
from cephalog.interop.fhir.diary import FEATURES, day_components, window_components
from cephalog.interop.fhir.record import PatientRecord, load_record
from cephalog.interop.fhir.reports import AE_OUTCOMES
from cephalog.interop.fhir.sessions import site_concept
from cephalog.interop.fhir.values import (
    APPOINTMENT_MINUTES,
    BUNDLE_COLLECTION,
    BUNDLE_SEARCHSET,
    FHIR_JSON,
    NAMESPACE,
    Json,
    global_id,
    ref,
    resource_id,
)

__all__ = [
    "AE_OUTCOMES",
    "APPOINTMENT_MINUTES",
    "BUNDLE_COLLECTION",
    "BUNDLE_SEARCHSET",
    "FEATURES",
    "FHIR_JSON",
    "NAMESPACE",
    "Json",
    "PatientRecord",
    "bundle_of",
    "day_components",
    "entry_problem",
    "global_id",
    "load_record",
    "patient_bundle",
    "patient_resources",
    "ref",
    "references",
    "relative_references",
    "resource_id",
    "site_concept",
    "unresolved_references",
    "validation_problems",
    "window_components",
]
