"""Code systems, identifier systems and extensions used in cephalog's FHIR resources.

Everything cephalog defines itself lives under https://cephalog.org/fhir/ and is
listed, with every code, in docs/fhir.md ("Local code systems"). External
systems are used only where the code is known (clinical reference §9); a
code we could not confirm is never guessed: the local code (with text) is
used instead.
"""

from __future__ import annotations

from typing import Any, Final

BASE: Final = "https://cephalog.org/fhir"

# --- External systems ----------------------------------------------------------------------
ICD10CM: Final = "http://hl7.org/fhir/sid/icd-10-cm"
SNOMED: Final = "http://snomed.info/sct"
CPT: Final = "http://www.ama-assn.org/go/cpt"
HCPCS: Final = "http://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets"
UCUM: Final = "http://unitsofmeasure.org"
OBSERVATION_CATEGORY: Final = "http://terminology.hl7.org/CodeSystem/observation-category"
CONDITION_CLINICAL: Final = "http://terminology.hl7.org/CodeSystem/condition-clinical"
CONDITION_VERIFICATION: Final = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
CONDITION_CATEGORY: Final = "http://terminology.hl7.org/CodeSystem/condition-category"
ALLERGY_CLINICAL: Final = "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical"
AE_SERIOUSNESS: Final = "http://terminology.hl7.org/CodeSystem/adverse-event-seriousness"
AE_SEVERITY: Final = "http://terminology.hl7.org/CodeSystem/adverse-event-severity"
AE_OUTCOME: Final = "http://terminology.hl7.org/CodeSystem/adverse-event-outcome"
V2_IDENTIFIER_TYPE: Final = "http://terminology.hl7.org/CodeSystem/v2-0203"
RFC3986: Final = "urn:ietf:rfc:3986"

#: CPT 64615, chemodenervation for chronic migraine, once per session (clinical reference §9.3).
CPT_CHEMODENERVATION: Final = "64615"
CPT_CHEMODENERVATION_DISPLAY: Final = (
    "Chemodenervation of muscle(s); muscle(s) innervated by facial, trigeminal, cervical "
    "spinal and accessory nerves, bilateral (eg, for chronic migraine)"
)
#: HCPCS J0585, onabotulinumtoxinA per 1 unit (clinical reference §9.3).
HCPCS_ONABOTULINUMTOXINA: Final = "J0585"
#: SNOMED CT 78421000 Intramuscular route (qualifier value).
SNOMED_ROUTE_IM: Final = "78421000"
#: SNOMED CT chronic intractable migraine without aura (clinical reference §9.2: seen in
#: several datasets, secondary source). Used only for that exact case; a generic chronic
#: migraine concept is unconfirmed, so other cases carry ICD-10-CM and the local code.
SNOMED_CHRONIC_INTRACTABLE_MIGRAINE_WITHOUT_AURA: Final = "124171000119105"

#: Units of botulinum toxin: UCUM's United States Pharmacopeia unit.
TOXIN_UNIT: Final = {"unit": "U", "system": UCUM, "code": "[USP'U]"}


def cs(name: str) -> str:
    """A cephalog code system URL."""
    return f"{BASE}/CodeSystem/{name}"


def ext(name: str) -> str:
    """A cephalog extension URL."""
    return f"{BASE}/StructureDefinition/{name}"


def sid(name: str) -> str:
    """A cephalog identifier system URL."""
    return f"{BASE}/sid/{name}"


def questionnaire(name: str) -> str:
    """The canonical URL of a questionnaire (item keys only; cephalog ships no wording)."""
    return f"{BASE}/Questionnaire/{name}"


def mrn_system(clinic_slug: str) -> str:
    """MRNs are unique per clinic, so each clinic is its own identifier system."""
    return f"{BASE}/sid/mrn/{clinic_slug}"


# --- Local code systems ---------------------------------------------------------------------
OBS: Final = cs("observation")  # what an Observation is
DIARY: Final = cs("diary-component")  # the parts of a diary-day Observation
DAY_CLASS: Final = cs("day-class")
INTENSITY: Final = cs("intensity")
FEATURE: Final = cs("headache-feature")
ACUTE_CLASS: Final = cs("acute-medication-class")
WINDOW: Final = cs("window-metric")
SCORE: Final = cs("questionnaire-score")
BAND: Final = cs("questionnaire-band")
CONDITION: Final = cs("condition")
ALLERGY: Final = cs("allergy")
PREVENTIVE_CLASS: Final = cs("preventive-class")
PREVENTIVE_OUTCOME: Final = cs("preventive-outcome")
MEDICATION_CLASS: Final = cs("medication-class")
MEDICATION_USE: Final = cs("medication-use")
PRODUCT: Final = cs("product")
PROCEDURE: Final = cs("procedure")
SITE: Final = cs("injection-site")
MUSCLE: Final = cs("muscle")
PERFORMER_FUNCTION: Final = cs("performer-function")
TOPICAL: Final = cs("topical-anaesthetic")
SYMPTOM: Final = cs("symptom")
SERIOUSNESS_CRITERION: Final = cs("seriousness-criterion")
RELATEDNESS: Final = cs("relatedness")
AE_SOURCE: Final = cs("report-source")
CHECKIN_KIND: Final = cs("checkin-kind")
TRIAGE: Final = cs("triage-level")
SEVERITY: Final = cs("severity")
PLAN_EVENT: Final = cs("plan-event")
BRIDGING: Final = cs("bridging-treatment")
CARE_PLAN: Final = cs("care-plan")

# Observation codes (system OBS).
OBS_DIARY_DAY: Final = "diary-day"
OBS_ATTACK: Final = "attack"
OBS_WINDOW_BASELINE: Final = "window-baseline"
OBS_WINDOW_LATEST: Final = "window-latest"

# Diary-day component codes (system DIARY). Raw facts first: these are what an import reads.
C_HOURS: Final = "headache-hours"
C_INTENSITY: Final = "peak-intensity"
C_AURA: Final = "aura-minutes"
C_MEDICINE: Final = "acute-medication"
# Derived components (the day rules of spec section 2): never read by an import.
C_MODERATE_SEVERE: Final = "moderate-severe-day"
C_MEDICATION_DAY: Final = "acute-medication-day"
C_CLASS_TAKEN: Final = "acute-medication-class"

# Extensions.
EXT_TIME_ZONE: Final = ext("time-zone")
EXT_CONSENT_DATE: Final = ext("consent-date")
EXT_CONSENT_VERSION: Final = ext("consent-version")
EXT_REMINDER_TIME: Final = ext("diary-reminder-time")
EXT_MIGRAINE_ONSET_YEAR: Final = ext("migraine-onset-year")
EXT_MEDICINE_EFFECTIVE: Final = ext("acute-medication-effective")
EXT_PREVENTIVE_OUTCOME: Final = ext("preventive-outcome")
EXT_UNITS_GIVEN: Final = ext("units-given")
EXT_SITES_INJECTED: Final = ext("sites-injected")
EXT_UNITS_OPENED: Final = ext("units-opened")
EXT_UNITS_DISCARDED: Final = ext("units-discarded")
EXT_PROTOCOL: Final = ext("protocol")
EXT_TOPICAL: Final = ext("topical-anaesthetic")
EXT_DILUENT: Final = ext("diluent")
EXT_RECONSTITUTED_AT: Final = ext("reconstituted-at")
EXT_RESOLVED_ON: Final = ext("resolved-on")
EXT_RED_FLAG: Final = ext("red-flag")
EXT_DESCRIPTION: Final = ext("description")
EXT_CLINIC_ACTIONS: Final = ext("clinic-actions")
EXT_RELEVANT_TESTS: Final = ext("relevant-tests")
EXT_RELEVANT_HISTORY: Final = ext("relevant-history")
EXT_SERIOUSNESS_CRITERION: Final = ext("seriousness-criterion")
EXT_REGION: Final = ext("region")
EXT_SITE: Final = ext("injection-site")
EXT_AVOID_SITE: Final = ext("avoid-site")
EXT_REPORT_SOURCE: Final = ext("report-source")
EXT_CHECKIN: Final = ext("checkin")
EXT_RESPONSE_SOURCE: Final = ext("response-source")
EXT_SUMMARY: Final = ext("derived-summary")

# Identifier systems.
SID_ATTACK: Final = sid("attack-external-id")
SID_APPOINTMENT: Final = sid("appointment-uid")


def coding(system: str, code: str, display: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"system": system, "code": code}
    if display:
        out["display"] = display
    return out


def concept(
    system: str, code: str, display: str | None = None, text: str | None = None
) -> dict[str, Any]:
    out: dict[str, Any] = {"coding": [coding(system, code, display)]}
    if text:
        out["text"] = text
    return out


def label(code: str) -> str:
    """A readable display for a snake_case or kebab-case code."""
    return code.replace("_", " ").replace("-", " ").capitalize()


#: The observation codes, for docs and tests: code -> display.
OBSERVATION_CODES: Final = {
    OBS_DIARY_DAY: "Headache diary day",
    OBS_ATTACK: "Headache attack with start and end",
    OBS_WINDOW_BASELINE: "Baseline 28-day diary window",
    OBS_WINDOW_LATEST: "Latest 28-day diary window",
}
DAY_CLASSES: Final = {
    "headache-free": "Headache-free day",
    "headache-not-counted": "Headache that does not make a headache day",
    "headache-day": "Headache day (not a migraine day)",
    "migraine-day": "Migraine day",
}
