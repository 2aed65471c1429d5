"""The Patient, the chronic-migraine Condition and the medical history: conditions,
allergies, preventives, other medicines and toxin given for other reasons."""

from __future__ import annotations

from cephalog.domain import dosing
from cephalog.interop import codes as c
from cephalog.interop.fhir.builder import _Builder
from cephalog.interop.fhir.values import Json, _date, _drop_empty, _ext, _units


def patient_resource(b: _Builder) -> Json:
    p = b.p
    extension = [_ext(c.EXT_TIME_ZONE, valueCode=p.time_zone)]
    if p.consent_date:
        extension.append(_ext(c.EXT_CONSENT_DATE, valueDate=p.consent_date.isoformat()))
    if p.consent_version:
        extension.append(_ext(c.EXT_CONSENT_VERSION, valueString=p.consent_version))
    if p.diary_reminder_time:
        extension.append(
            _ext(c.EXT_REMINDER_TIME, valueTime=p.diary_reminder_time.strftime("%H:%M:%S"))
        )
    telecom = []
    if p.email:
        telecom.append({"system": "email", "value": p.email})
    if p.phone:
        telecom.append({"system": "phone", "value": p.phone})
    return {
        "resourceType": "Patient",
        "id": str(p.pk),
        "extension": extension,
        "identifier": [
            {
                "use": "usual",
                "type": c.concept(c.V2_IDENTIFIER_TYPE, "MR", "Medical record number"),
                "system": c.mrn_system(b.clinic.slug),
                "value": p.mrn,
            }
        ],
        "active": True,
        "name": [{"use": "official", "family": p.family_name, "given": [p.given_name]}],
        "telecom": telecom,
        "gender": p.sex,
        "birthDate": p.birth_date.isoformat(),
    }


def chronic_migraine(b: _Builder, patient_ref: Json) -> Json:
    p = b.p
    icd = dosing.icd10_code(
        p.migraine_with_aura,
        bool(getattr(p, "intractable", False)),
        bool(getattr(p, "status_migrainosus", False)),
    )
    codings = [c.coding(c.ICD10CM, icd.code, icd.description)]
    if icd.code == "G43.719":
        codings.append(
            c.coding(
                c.SNOMED,
                c.SNOMED_CHRONIC_INTRACTABLE_MIGRAINE_WITHOUT_AURA,
                "Chronic intractable migraine without aura (disorder)",
            )
        )
    codings.append(c.coding(c.CONDITION, "chronic_migraine", "Chronic migraine"))
    extension = []
    if p.migraine_onset_year:
        extension.append(_ext(c.EXT_MIGRAINE_ONSET_YEAR, valueInteger=p.migraine_onset_year))
    return b.add(
        {
            "resourceType": "Condition",
            "id": b.id("Condition", "chronic_migraine"),
            "extension": extension,
            "clinicalStatus": c.concept(c.CONDITION_CLINICAL, "active"),
            # Confirmed once the clinic has established it (a decision to start, a
            # treatment given); before that the reason she was referred, nothing more.
            "verificationStatus": c.concept(
                c.CONDITION_VERIFICATION, "confirmed" if b.r.diagnosed else "provisional"
            ),
            "category": [c.concept(c.CONDITION_CATEGORY, "problem-list-item")],
            "code": {"coding": codings, "text": "Chronic migraine"},
            "subject": patient_ref,
            "onsetDateTime": _date(p.chronic_headache_since),
        }
    )


def history(b: _Builder, patient_ref: Json) -> None:
    """The medical history, one family after another."""
    _conditions(b, patient_ref)
    _allergies(b, patient_ref)
    _preventives(b, patient_ref)
    _medications(b, patient_ref)
    _toxin_exposures(b, patient_ref)


def _conditions(b: _Builder, patient_ref: Json) -> None:
    """Conditions on the history list."""
    for cond in b.p.conditions.all().order_by("code"):
        b.add(
            {
                "resourceType": "Condition",
                "id": b.id("Condition", cond.code),
                "clinicalStatus": c.concept(
                    c.CONDITION_CLINICAL, "resolved" if cond.resolved_on else "active"
                ),
                "category": [c.concept(c.CONDITION_CATEGORY, "problem-list-item")],
                "code": c.concept(
                    c.CONDITION, cond.code, cond.get_code_display(), cond.get_code_display()
                ),
                "subject": patient_ref,
                "onsetDateTime": _date(cond.noted_on),
                "abatementDateTime": _date(cond.resolved_on),
            }
        )


def _allergies(b: _Builder, patient_ref: Json) -> None:
    """Allergies (to botulinum toxin)."""
    for allergy in b.p.allergies.all().order_by("id"):
        b.add(
            {
                "resourceType": "AllergyIntolerance",
                "id": b.id("AllergyIntolerance", allergy.pk),
                "clinicalStatus": c.concept(c.ALLERGY_CLINICAL, "active"),
                "code": c.concept(
                    c.ALLERGY,
                    allergy.code,
                    allergy.get_code_display(),
                    allergy.get_code_display(),
                ),
                "patient": patient_ref,
                "reaction": (
                    [{"manifestation": [{"text": allergy.reaction}]}] if allergy.reaction else []
                ),
            }
        )


def _preventives(b: _Builder, patient_ref: Json) -> None:
    """Preventives tried, with their outcome."""
    for pv in b.p.preventives.all().order_by("start", "name", "id"):
        status = {
            "ongoing": "active",
            "effective": "completed" if pv.stop else "active",
            "contraindicated": "not-taken",
        }.get(pv.outcome, "stopped")
        b.add(
            {
                "resourceType": "MedicationStatement",
                "id": b.id("MedicationStatement", f"preventive/{pv.pk}"),
                "extension": [
                    _ext(
                        c.EXT_PREVENTIVE_OUTCOME,
                        valueCoding=c.coding(
                            c.PREVENTIVE_OUTCOME, pv.outcome, pv.get_outcome_display()
                        ),
                    )
                ],
                "status": status,
                "category": c.concept(c.MEDICATION_USE, "preventive", "Preventive"),
                "medicationCodeableConcept": c.concept(
                    c.PREVENTIVE_CLASS, pv.drug_class, pv.get_drug_class_display(), pv.name
                ),
                "subject": patient_ref,
                "effectivePeriod": _drop_empty({"start": _date(pv.start), "end": _date(pv.stop)}),
                "dosage": [{"text": pv.dose}] if pv.dose else [],
            }
        )


def _medications(b: _Builder, patient_ref: Json) -> None:
    """Other (non-headache) medicines."""
    for med in b.p.medications.all().order_by("name", "id"):
        b.add(
            {
                "resourceType": "MedicationStatement",
                "id": b.id("MedicationStatement", f"medication/{med.pk}"),
                "status": "completed" if med.stop else "active",
                "category": c.concept(c.MEDICATION_USE, "other", "Other medicine"),
                "medicationCodeableConcept": c.concept(
                    c.MEDICATION_CLASS, med.drug_class, med.get_drug_class_display(), med.name
                ),
                "subject": patient_ref,
                "effectivePeriod": _drop_empty({"start": _date(med.start), "end": _date(med.stop)}),
            }
        )


def _toxin_exposures(b: _Builder, patient_ref: Json) -> None:
    """Botulinum toxin given for other reasons."""
    for tx in b.p.toxin_exposures.all().order_by("date", "id"):
        b.add(
            {
                "resourceType": "MedicationStatement",
                "id": b.id("MedicationStatement", f"toxin/{tx.pk}"),
                "status": "completed",
                "category": c.concept(
                    c.MEDICATION_USE,
                    "toxin-other-indication",
                    "Botulinum toxin for another indication",
                ),
                "medicationCodeableConcept": {"text": tx.product or "botulinum toxin"},
                "subject": patient_ref,
                "effectiveDateTime": tx.date.isoformat(),
                "reasonCode": [{"text": tx.indication}],
                "dosage": [{"doseAndRate": [{"doseQuantity": _units(tx.units)}]}],
            }
        )
