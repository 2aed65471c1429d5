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
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
import zoneinfo
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.apps import apps
from django.db.models import Prefetch
from django.utils import timezone

from cephalog.diary.models import AcuteMedicationTaken, Attack, DiaryEntry
from cephalog.diary.queries import to_day
from cephalog.domain import dosing
from cephalog.domain.diary import DiaryDay, classify_day
from cephalog.domain.intervals import DUE_INTERVAL_DAYS, weeks_text
from cephalog.domain.rulesets import LEGACY, Rules
from cephalog.domain.windows import PER_28_METRICS, Window, baseline_window, window_ending
from cephalog.interop import codes as c
from cephalog.patients.models import Patient

type Json = dict[str, Any]

#: The namespace of ids that are not a patient's (Practitioner, Organization).
NAMESPACE = uuid.UUID("5b0c7d0e-2f4e-5c8a-9a47-63657068616c")
FHIR_JSON = "application/fhir+json"
#: Slot length assumed for a booked appointment (the calendar stores a time, not a length).
APPOINTMENT_MINUTES = 30

BUNDLE_COLLECTION = "collection"
BUNDLE_SEARCHSET = "searchset"


def _optional(app: str) -> bool:
    return apps.is_installed(app)


# --- ids and references ---------------------------------------------------------------------


def resource_id(patient: Patient, kind: str, key: object) -> str:
    """The stable id of one of the patient's resources: UUIDv5(patient id, `kind/key`)."""
    return str(uuid.uuid5(patient.pk, f"{kind}/{key}"))


def global_id(kind: str, key: object) -> str:
    return str(uuid.uuid5(NAMESPACE, f"{kind}/{key}"))


def ref(resource: Json) -> Json:
    return {"reference": f"urn:uuid:{resource['id']}"}


def _date(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


def _local(value: dt.datetime, tz: zoneinfo.ZoneInfo) -> str:
    return value.astimezone(tz).isoformat()


def _quantity(value: float | int | Decimal, unit: str, code: str | None = None) -> Json:
    number = float(value) if isinstance(value, Decimal) else value
    if isinstance(number, float) and number.is_integer():
        number = int(number)
    out: Json = {"value": number, "unit": unit}
    if code:
        out |= {"system": c.UCUM, "code": code}
    return out


def _units(value: int) -> Json:
    return {"value": value} | c.TOXIN_UNIT


def _ext(url: str, **value: Any) -> Json:
    ((kind, v),) = value.items()
    return {"url": url, kind: v}


def _drop_empty(resource: Json) -> Json:
    """FHIR forbids empty arrays, objects and strings: leave those keys out."""
    return {k: v for k, v in resource.items() if v not in (None, [], {}, "")}


# --- loading the record ---------------------------------------------------------------------


@dataclass
class PatientRecord:
    """Everything exported about one patient, loaded up front (a fixed number of queries)."""

    patient: Patient
    entries: list[DiaryEntry]
    attacks: list[Attack]
    sessions: list[Any]
    adverse_events: list[Any] = field(default_factory=list)
    checkins: list[Any] = field(default_factory=list)
    questionnaires: list[Any] = field(default_factory=list)
    bridging: list[Any] = field(default_factory=list)
    appointments: list[Any] = field(default_factory=list)
    users: dict[int, Any] = field(default_factory=dict)

    @property
    def days(self) -> dict[dt.date, DiaryDay]:
        return {e.date: to_day(e) for e in self.entries}


def load_record(patient: Patient) -> PatientRecord:
    from cephalog.accounts.models import User
    from cephalog.treatment.models import Session

    medications = Prefetch("medications", queryset=AcuteMedicationTaken.objects.order_by("id"))
    record = PatientRecord(
        patient=patient,
        entries=list(
            DiaryEntry.objects.filter(patient=patient)
            .prefetch_related(medications)
            .order_by("date")
        ),
        attacks=list(Attack.objects.filter(patient=patient).order_by("start")),
        sessions=list(
            Session.objects.filter(patient=patient)
            .prefetch_related("sites", "vials", "addenda")
            .order_by("date", "id")
        ),
    )
    if _optional("cephalog.safety"):
        from cephalog.safety.models import AdverseEvent, CheckIn

        record.adverse_events = list(
            AdverseEvent.objects.filter(patient=patient).order_by("onset", "id")
        )
        record.checkins = list(
            CheckIn.objects.filter(patient=patient).order_by("submitted_at", "id")
        )
    if _optional("cephalog.outcomes"):
        from cephalog.outcomes.models import BridgingTreatment, QuestionnaireResponse

        record.questionnaires = list(
            QuestionnaireResponse.objects.filter(patient=patient).order_by(
                "completed_on", "instrument"
            )
        )
        record.bridging = list(
            BridgingTreatment.objects.filter(patient=patient).order_by("date", "id")
        )
    if _optional("cephalog.scheduling"):
        from cephalog.scheduling.models import Appointment

        record.appointments = list(
            Appointment.objects.filter(patient=patient).order_by("date", "id")
        )
    named: set[int | None] = set()
    for s in record.sessions:
        named |= {s.injector_id, s.signed_by_id} | {a.author_id for a in s.addenda.all()}
    named |= {getattr(e, "recorded_by_id", None) for e in record.adverse_events}
    named |= {q.entered_by_id for q in record.questionnaires}
    user_ids = {pk for pk in named if pk is not None}
    if user_ids:
        record.users = {u.pk: u for u in User.objects.filter(pk__in=user_ids)}
    return record


# --- building ---------------------------------------------------------------------------------


class _Builder:
    """Builds one patient's resources in a fixed order (Patient first)."""

    def __init__(self, record: PatientRecord) -> None:
        self.r = record
        self.p = record.patient
        self.clinic = self.p.clinic
        self.clinic_tz = zoneinfo.ZoneInfo(self.clinic.time_zone)
        self.patient_tz = zoneinfo.ZoneInfo(self.p.time_zone)
        self.out: list[Json] = []
        self.practitioners: dict[int, Json] = {}
        # Days are classed and windows counted under the clinic's ruleset (spec section 11).
        from cephalog.eligibility.queries import clinic_rules

        self.rules = clinic_rules(self.clinic)

    def id(self, kind: str, key: object) -> str:
        return resource_id(self.p, kind, key)

    def add(self, resource: Json) -> Json:
        resource = _drop_empty(resource)
        self.out.append(resource)
        return resource

    # Shared resources --------------------------------------------------------------------

    def practitioner(self, user_id: int | None) -> Json | None:
        if user_id is None:
            return None
        if user_id not in self.practitioners:
            user = self.r.users.get(user_id)
            if user is None:
                return None
            name: Json = {"text": user.get_full_name() or user.username}
            if user.last_name:
                name["family"] = user.last_name
            if user.first_name:
                name["given"] = [user.first_name]
            self.practitioners[user_id] = self.add(
                {
                    "resourceType": "Practitioner",
                    "id": global_id("user", user_id),
                    "name": [name],
                }
            )
        return self.practitioners[user_id]

    def organization(self) -> Json:
        return self.add(
            {
                "resourceType": "Organization",
                "id": global_id("clinic", self.clinic.slug),
                "identifier": [{"system": c.sid("clinic"), "value": self.clinic.slug}],
                "name": self.clinic.name,
                "telecom": (
                    [{"system": "phone", "value": self.clinic.phone}] if self.clinic.phone else []
                ),
            }
        )

    # The patient -------------------------------------------------------------------------

    def patient(self) -> Json:
        p = self.p
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
                    "system": c.mrn_system(self.clinic.slug),
                    "value": p.mrn,
                }
            ],
            "active": True,
            "name": [{"use": "official", "family": p.family_name, "given": [p.given_name]}],
            "telecom": telecom,
            "gender": p.sex,
            "birthDate": p.birth_date.isoformat(),
        }

    def chronic_migraine(self, patient_ref: Json) -> Json:
        p = self.p
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
        return self.add(
            {
                "resourceType": "Condition",
                "id": self.id("Condition", "chronic_migraine"),
                "extension": extension,
                "clinicalStatus": c.concept(c.CONDITION_CLINICAL, "active"),
                "category": [c.concept(c.CONDITION_CATEGORY, "problem-list-item")],
                "code": {"coding": codings, "text": "Chronic migraine"},
                "subject": patient_ref,
                "onsetDateTime": _date(p.chronic_headache_since),
            }
        )

    def history(self, patient_ref: Json) -> None:
        p = self.p
        for cond in p.conditions.all().order_by("code"):
            self.add(
                {
                    "resourceType": "Condition",
                    "id": self.id("Condition", cond.code),
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
        for allergy in p.allergies.all().order_by("id"):
            self.add(
                {
                    "resourceType": "AllergyIntolerance",
                    "id": self.id("AllergyIntolerance", allergy.pk),
                    "clinicalStatus": c.concept(c.ALLERGY_CLINICAL, "active"),
                    "code": c.concept(
                        c.ALLERGY,
                        allergy.code,
                        allergy.get_code_display(),
                        allergy.get_code_display(),
                    ),
                    "patient": patient_ref,
                    "reaction": (
                        [{"manifestation": [{"text": allergy.reaction}]}]
                        if allergy.reaction
                        else []
                    ),
                }
            )
        for pv in p.preventives.all().order_by("start", "name", "id"):
            status = {
                "ongoing": "active",
                "effective": "completed" if pv.stop else "active",
                "contraindicated": "not-taken",
            }.get(pv.outcome, "stopped")
            self.add(
                {
                    "resourceType": "MedicationStatement",
                    "id": self.id("MedicationStatement", f"preventive/{pv.pk}"),
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
                    "effectivePeriod": _drop_empty(
                        {"start": _date(pv.start), "end": _date(pv.stop)}
                    ),
                    "dosage": [{"text": pv.dose}] if pv.dose else [],
                }
            )
        for med in p.medications.all().order_by("name", "id"):
            self.add(
                {
                    "resourceType": "MedicationStatement",
                    "id": self.id("MedicationStatement", f"medication/{med.pk}"),
                    "status": "completed" if med.stop else "active",
                    "category": c.concept(c.MEDICATION_USE, "other", "Other medicine"),
                    "medicationCodeableConcept": c.concept(
                        c.MEDICATION_CLASS, med.drug_class, med.get_drug_class_display(), med.name
                    ),
                    "subject": patient_ref,
                    "effectivePeriod": _drop_empty(
                        {"start": _date(med.start), "end": _date(med.stop)}
                    ),
                }
            )
        for tx in p.toxin_exposures.all().order_by("date", "id"):
            self.add(
                {
                    "resourceType": "MedicationStatement",
                    "id": self.id("MedicationStatement", f"toxin/{tx.pk}"),
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

    # The diary -----------------------------------------------------------------------------

    def diary(self, patient_ref: Json) -> None:
        survey = [c.concept(c.OBSERVATION_CATEGORY, "survey", "Survey")]
        for entry in self.r.entries:
            day = to_day(entry)
            self.add(
                {
                    "resourceType": "Observation",
                    "id": self.id("Observation", f"day/{entry.date.isoformat()}"),
                    "status": "final",
                    "category": survey,
                    "code": c.concept(c.OBS, c.OBS_DIARY_DAY, "Headache diary day"),
                    "subject": patient_ref,
                    "effectiveDateTime": entry.date.isoformat(),
                    "valueCodeableConcept": self._day_class(day),
                    "component": list(day_components(day, self.rules)),
                    "note": [{"text": entry.notes}] if entry.notes else [],
                }
            )
        for attack in self.r.attacks:
            identifier = (
                [{"system": c.SID_ATTACK, "value": attack.external_id}]
                if attack.external_id
                else []
            )
            self.add(
                {
                    "resourceType": "Observation",
                    "id": self.id("Observation", f"attack/{attack.start.isoformat()}"),
                    "identifier": identifier,
                    "status": "final",
                    "category": survey,
                    "code": c.concept(c.OBS, c.OBS_ATTACK, c.OBSERVATION_CODES[c.OBS_ATTACK]),
                    "subject": patient_ref,
                    "effectivePeriod": {
                        "start": _local(attack.start, self.patient_tz),
                        "end": _local(attack.end, self.patient_tz),
                    },
                    "valueCodeableConcept": c.concept(
                        c.INTENSITY, attack.peak_intensity, c.label(attack.peak_intensity)
                    ),
                    "note": [{"text": attack.notes}] if attack.notes else [],
                }
            )

    def _day_class(self, day: DiaryDay) -> Json:
        k = classify_day(day, self.rules.definition)
        if not k.headache:
            code = "headache-free"
        elif k.migraine_day:
            code = "migraine-day"
        elif k.headache_day:
            code = "headache-day"
        else:
            code = "headache-not-counted"
        return c.concept(c.DAY_CLASS, code, c.DAY_CLASSES[code])

    def windows(self, patient_ref: Json) -> None:
        if not self.r.entries:
            return
        days = self.r.days
        latest = self.r.entries[-1].date
        injections = [s.date for s in self.r.sessions if s.status == "completed"]
        definition = self.rules.definition
        method = f"cephalog ruleset {self.rules.ruleset.name}, {definition} day definition"
        for code, window in (
            (c.OBS_WINDOW_BASELINE, baseline_window(days, injections, latest, definition)),
            (c.OBS_WINDOW_LATEST, window_ending(days, latest, definition)),
        ):
            self.add(
                {
                    "resourceType": "Observation",
                    "id": self.id("Observation", code),
                    "status": "final",
                    "category": [c.concept(c.OBSERVATION_CATEGORY, "survey", "Survey")],
                    "code": c.concept(c.OBS, code, c.OBSERVATION_CODES[code]),
                    "subject": patient_ref,
                    "effectivePeriod": {
                        "start": window.start.isoformat(),
                        "end": window.end.isoformat(),
                    },
                    "method": {"text": method},
                    "component": list(window_components(window, self.rules)),
                }
            )

    def acute_summary(self, patient_ref: Json) -> None:
        """One MedicationStatement per acute medicine taken (derived from the diary)."""
        taken: dict[tuple[str, str], list[dt.date]] = {}
        names: dict[tuple[str, str], str] = {}
        for entry in self.r.entries:
            for m in entry.medications.all():
                key = (m.drug_class, m.name.strip().lower())
                taken.setdefault(key, []).append(entry.date)
                names.setdefault(key, m.name)
        if not taken:
            return
        latest = self.r.entries[-1].date
        for key in sorted(taken):
            dates = sorted(set(taken[key]))
            drug_class, _ = key
            recent = (latest - dates[-1]).days < 28
            self.add(
                {
                    "resourceType": "MedicationStatement",
                    "id": self.id("MedicationStatement", f"acute/{drug_class}/{key[1]}"),
                    "extension": [_ext(c.EXT_SUMMARY, valueBoolean=True)],
                    "status": "active" if recent else "completed",
                    "category": c.concept(c.MEDICATION_USE, "acute", "Acute (as needed)"),
                    "medicationCodeableConcept": c.concept(
                        c.ACUTE_CLASS, drug_class, c.label(drug_class), names[key]
                    ),
                    "subject": patient_ref,
                    "effectivePeriod": {
                        "start": dates[0].isoformat(),
                        "end": dates[-1].isoformat(),
                    },
                    "dosage": [{"text": "As needed", "asNeededBoolean": True}],
                    "note": [{"text": f"Taken on {len(dates)} diary days"}],
                }
            )

    # Questionnaires and check-ins ----------------------------------------------------------

    def questionnaires(self, patient_ref: Json) -> None:
        for q in self.r.questionnaires:
            author = self.practitioner(q.entered_by_id) if q.source == "staff" else None
            items = [
                {"linkId": key, "answer": [_answer(value)]}
                for key, value in sorted((q.items or {}).items(), key=lambda kv: _item_order(kv[0]))
                if value is not None
            ]
            response = self.add(
                {
                    "resourceType": "QuestionnaireResponse",
                    "id": self.id("QuestionnaireResponse", f"{q.instrument}/{q.completed_on}"),
                    "extension": [_ext(c.EXT_RESPONSE_SOURCE, valueCode=q.source)],
                    "questionnaire": c.questionnaire(q.instrument),
                    "status": "completed",
                    "subject": patient_ref,
                    "authored": q.completed_on.isoformat(),
                    "author": ref(author) if author else None,
                    "source": patient_ref if q.source == "patient" else None,
                    "item": items,
                }
            )
            name = q.get_instrument_display()
            self.add(
                {
                    "resourceType": "Observation",
                    "id": self.id("Observation", f"score/{q.instrument}/{q.completed_on}"),
                    "status": "final",
                    "category": [c.concept(c.OBSERVATION_CATEGORY, "survey", "Survey")],
                    "code": c.concept(c.SCORE, f"{q.instrument}-total", f"{name} total score"),
                    "subject": patient_ref,
                    "effectiveDateTime": q.completed_on.isoformat(),
                    "valueInteger": q.total,
                    "interpretation": [c.concept(c.BAND, f"{q.instrument}-{q.band}", text=q.band)],
                    "derivedFrom": [ref(response)],
                }
            )

    def checkins(self, patient_ref: Json, procedures: dict[int, Json]) -> dict[int, Json]:
        out: dict[int, Json] = {}
        for ci in self.r.checkins:
            answers = ci.answers if isinstance(ci.answers, dict) else {}
            items: list[Json] = [
                {"linkId": "no-problems", "answer": [{"valueBoolean": bool(ci.no_problems)}]}
            ]
            for s in answers.get("symptoms") or []:
                if not isinstance(s, dict) or not s.get("symptom"):
                    continue
                parts: list[Json] = [
                    {
                        "linkId": "symptom",
                        "answer": [{"valueCoding": c.coding(c.SYMPTOM, s["symptom"])}],
                    }
                ]
                if s.get("onset"):
                    parts.append({"linkId": "onset", "answer": [{"valueDate": s["onset"]}]})
                if s.get("severity"):
                    parts.append(
                        {
                            "linkId": "severity",
                            "answer": [{"valueCoding": c.coding(c.SEVERITY, s["severity"])}],
                        }
                    )
                if s.get("still_present") is not None:
                    parts.append(
                        {
                            "linkId": "still-present",
                            "answer": [{"valueBoolean": bool(s["still_present"])}],
                        }
                    )
                if s.get("resolved_on"):
                    parts.append(
                        {"linkId": "resolved-on", "answer": [{"valueDate": s["resolved_on"]}]}
                    )
                items.append({"linkId": "reported-symptom", "item": parts})
            if answers.get("note"):
                items.append({"linkId": "note", "answer": [{"valueString": answers["note"]}]})
            assumed = [a for a in answers.get("assumed") or [] if isinstance(a, str) and a]
            if assumed:
                items.append({"linkId": "assumed", "answer": [{"valueString": a} for a in assumed]})
            if ci.triage_level:
                items.append(
                    {
                        "linkId": "triage-level",
                        "answer": [{"valueCoding": c.coding(c.TRIAGE, ci.triage_level)}],
                    }
                )
            guidance = [g for g in ci.guidance or [] if isinstance(g, str) and g]
            if guidance:
                items.append(
                    {"linkId": "guidance", "answer": [{"valueString": g} for g in guidance]}
                )
            procedure = procedures.get(ci.session_id) if ci.session_id else None
            out[ci.pk] = self.add(
                {
                    "resourceType": "QuestionnaireResponse",
                    "id": self.id("QuestionnaireResponse", f"checkin/{ci.pk}"),
                    "questionnaire": c.questionnaire(f"checkin-{ci.kind}"),
                    "status": "completed",
                    "subject": patient_ref,
                    "partOf": [ref(procedure)] if procedure else [],
                    "authored": _local(ci.submitted_at, self.patient_tz),
                    "source": patient_ref,
                    "item": items,
                }
            )
        return out

    # Sessions ------------------------------------------------------------------------------

    def sessions(self, patient_ref: Json, condition_ref: Json) -> dict[int, Json]:
        out: dict[int, Json] = {}
        for s in self.r.sessions:
            vials = [self._vial(v) for v in s.vials.all()]
            sites = list(s.sites.all())
            injector = self.practitioner(s.injector_id)
            signer = self.practitioner(s.signed_by_id)
            performers = []
            if injector:
                performers.append(
                    {
                        "function": c.concept(c.PERFORMER_FUNCTION, "injector", "Injector"),
                        "actor": ref(injector),
                    }
                )
            if signer:
                performers.append(
                    {
                        "function": c.concept(c.PERFORMER_FUNCTION, "signer", "Signed the record"),
                        "actor": ref(signer),
                    }
                )
            if s.started_at:
                period = {"start": _local(s.started_at, self.clinic_tz)}
                if s.ended_at:
                    period["end"] = _local(s.ended_at, self.clinic_tz)
            else:
                period = {"start": s.date.isoformat(), "end": s.date.isoformat()}
            extension = [
                _ext(c.EXT_UNITS_GIVEN, valueQuantity=_units(s.total_units)),
                _ext(c.EXT_SITES_INJECTED, valueInteger=s.sites_injected),
                _ext(c.EXT_PROTOCOL, valueCode=s.protocol),
            ]
            if s.units_opened:
                extension.append(_ext(c.EXT_UNITS_OPENED, valueQuantity=_units(s.units_opened)))
            if s.units_opened or s.units_discarded:
                extension.append(
                    _ext(c.EXT_UNITS_DISCARDED, valueQuantity=_units(s.units_discarded))
                )
            if s.topical_anaesthetic:
                extension.append(
                    _ext(
                        c.EXT_TOPICAL,
                        valueCoding=c.coding(
                            c.TOPICAL, s.topical_anaesthetic, s.get_topical_anaesthetic_display()
                        ),
                    )
                )
            notes: list[Json] = [{"text": s.notes}] if s.notes else []
            for addendum in s.addenda.all():
                author = self.practitioner(addendum.author_id)
                note: Json = {
                    "time": _local(addendum.created_at, self.clinic_tz),
                    "text": addendum.text,
                }
                if author:
                    note["authorReference"] = ref(author)
                notes.append(note)
            procedure = self.add(
                {
                    "resourceType": "Procedure",
                    "id": self.id("Procedure", f"session/{s.pk}"),
                    "extension": extension,
                    "status": {
                        "completed": "completed",
                        "in_progress": "in-progress",
                        "cancelled": "not-done",
                    }.get(s.status, "preparation"),
                    "code": {
                        "coding": [
                            c.coding(c.CPT, c.CPT_CHEMODENERVATION, c.CPT_CHEMODENERVATION_DISPLAY),
                            c.coding(
                                c.PROCEDURE,
                                "onabotulinumtoxina-chronic-migraine",
                                "OnabotulinumtoxinA injections for chronic migraine",
                            ),
                        ],
                        "text": "OnabotulinumtoxinA injections for chronic migraine",
                    },
                    "subject": patient_ref,
                    "performedPeriod": period,
                    "performer": performers,
                    "reasonReference": [condition_ref],
                    "bodySite": [
                        site_concept(site.code)
                        for site in sites
                        if site.status in ("done", "added")
                    ],
                    "usedReference": [ref(v) for v in vials],
                    "complication": (
                        [{"text": s.immediate_reactions}] if s.immediate_reactions else []
                    ),
                    "note": notes,
                }
            )
            out[s.pk] = procedure
            self._administrations(s, sites, vials, procedure, patient_ref, injector)
        return out

    def _vial(self, vial: Any) -> Json:
        product = vial.product or dosing.PRODUCT
        codings = []
        if product.strip().lower() == dosing.PRODUCT.lower():
            codings = [
                c.coding(c.PRODUCT, dosing.PRODUCT, "OnabotulinumtoxinA"),
                c.coding(
                    c.HCPCS, c.HCPCS_ONABOTULINUMTOXINA, "Injection, onabotulinumtoxinA, 1 unit"
                ),
            ]
        return self.add(
            {
                "resourceType": "Medication",
                "id": self.id("Medication", f"vial/{vial.pk}"),
                "extension": [
                    _ext(c.EXT_DILUENT, valueQuantity=_quantity(vial.diluent_ml, "mL", "mL")),
                    _ext(
                        c.EXT_RECONSTITUTED_AT,
                        valueDateTime=_local(vial.reconstituted_at, self.clinic_tz),
                    ),
                ],
                "code": {"coding": codings, "text": product},
                "amount": {
                    "numerator": _units(vial.size_units),
                    "denominator": {"value": 1, "unit": "vial"},
                },
                "batch": {"lotNumber": vial.lot, "expirationDate": vial.expiry.isoformat()},
            }
        )

    def _administrations(
        self,
        s: Any,
        sites: list[Any],
        vials: list[Json],
        procedure: Json,
        patient_ref: Json,
        injector: Json | None,
    ) -> None:
        if len(vials) == 1:
            medication: Json = {"medicationReference": ref(vials[0])}
        else:
            medication = {
                "medicationCodeableConcept": c.concept(
                    c.PRODUCT, dosing.PRODUCT, "OnabotulinumtoxinA", dosing.PRODUCT
                )
            }
        effective = _local(s.started_at, self.clinic_tz) if s.started_at else s.date.isoformat()
        route = c.concept(c.SNOMED, c.SNOMED_ROUTE_IM, "Intramuscular route")
        performer = [{"actor": ref(injector)}] if injector else []
        if not sites:
            if s.total_units <= 0:
                return
            # A session recorded as totals only (the demo generator, older records).
            self.add(
                {
                    "resourceType": "MedicationAdministration",
                    "id": self.id("MedicationAdministration", f"session-dose/{s.pk}"),
                    "status": "completed",
                    **medication,
                    "subject": patient_ref,
                    "partOf": [ref(procedure)],
                    "effectiveDateTime": effective,
                    "performer": performer,
                    "dosage": {"route": route, "dose": _units(s.total_units)},
                }
            )
            return
        for site in sites:
            done = site.status in ("done", "added")
            # mad-1: a dosage SHALL have a dose or a rate; a skipped site was given 0 units.
            dosage: Json = {
                "site": site_concept(site.code),
                "route": route,
                "dose": _units(site.units if done else 0),
            }
            self.add(
                {
                    "resourceType": "MedicationAdministration",
                    "id": self.id("MedicationAdministration", f"site/{s.pk}/{site.code}"),
                    "status": "completed" if done else "not-done",
                    "statusReason": [] if done else [{"text": site.skip_reason or "Skipped"}],
                    "category": c.concept(c.cs("site-status"), site.status, c.label(site.status)),
                    **medication,
                    "subject": patient_ref,
                    "partOf": [ref(procedure)],
                    "effectiveDateTime": effective,
                    "performer": performer,
                    "dosage": dosage,
                }
            )

    def bridging(self, patient_ref: Json, condition_ref: Json) -> None:
        for b in self.r.bridging:
            self.add(
                {
                    "resourceType": "Procedure",
                    "id": self.id("Procedure", f"bridging/{b.pk}"),
                    "status": "completed",
                    "category": c.concept(c.PROCEDURE, "bridging", "Bridging treatment"),
                    "code": c.concept(
                        c.BRIDGING, b.kind, b.get_kind_display(), b.get_kind_display()
                    ),
                    "subject": patient_ref,
                    "performedDateTime": b.date.isoformat(),
                    "reasonReference": [condition_ref],
                    "note": [{"text": b.notes}] if b.notes else [],
                }
            )

    # Adverse events ------------------------------------------------------------------------

    def adverse_events(
        self, patient_ref: Json, procedures: dict[int, Json], checkins: dict[int, Json]
    ) -> None:
        for ae in self.r.adverse_events:
            extension: list[Json] = []
            if ae.resolved_on:
                extension.append(_ext(c.EXT_RESOLVED_ON, valueDate=ae.resolved_on.isoformat()))
            extension.append(_ext(c.EXT_RED_FLAG, valueBoolean=bool(ae.red_flag)))
            source = getattr(ae, "source", "")
            if source:
                extension.append(_ext(c.EXT_REPORT_SOURCE, valueCode=source))
            for url, attr in (
                (c.EXT_DESCRIPTION, "description"),
                (c.EXT_CLINIC_ACTIONS, "actions"),
                (c.EXT_RELEVANT_TESTS, "relevant_tests"),
                (c.EXT_RELEVANT_HISTORY, "relevant_history"),
            ):
                text = getattr(ae, attr, "")
                if text:
                    extension.append(_ext(url, valueString=text))
            for code in getattr(ae, "seriousness", None) or []:
                extension.append(
                    _ext(
                        c.EXT_SERIOUSNESS_CRITERION,
                        valueCoding=c.coding(c.SERIOUSNESS_CRITERION, code),
                    )
                )
            region = getattr(ae, "region", "")
            if region:
                extension.append(_ext(c.EXT_REGION, valueCoding=c.coding(c.MUSCLE, region)))
            for code in getattr(ae, "site_codes", None) or []:
                extension.append(_ext(c.EXT_SITE, valueCoding=c.coding(c.SITE, code)))
            for code in getattr(ae, "avoid_sites", None) or []:
                extension.append(_ext(c.EXT_AVOID_SITE, valueCoding=c.coding(c.SITE, code)))
            checkin = checkins.get(getattr(ae, "checkin_id", None) or 0)
            if checkin:
                extension.append(_ext(c.EXT_CHECKIN, valueReference=ref(checkin)))
            recorder = self.practitioner(getattr(ae, "recorded_by_id", None))
            procedure = procedures.get(ae.session_id) if ae.session_id else None
            suspect: list[Json] = []
            if procedure:
                entity: Json = {"instance": ref(procedure)}
                relatedness = getattr(ae, "relatedness", "")
                if relatedness:
                    entity["causality"] = [
                        {"assessment": c.concept(c.RELATEDNESS, relatedness, c.label(relatedness))}
                    ]
                suspect.append(entity)
            self.add(
                {
                    "resourceType": "AdverseEvent",
                    "id": self.id("AdverseEvent", ae.pk),
                    "extension": extension,
                    "actuality": "actual",
                    "event": c.concept(c.SYMPTOM, ae.symptom, ae.symptom_label, ae.symptom_label),
                    "subject": patient_ref,
                    "date": ae.onset.isoformat(),
                    "recordedDate": _local(ae.reported_at, self.clinic_tz)
                    if ae.reported_at
                    else None,
                    "recorder": (
                        ref(recorder)
                        if recorder
                        else (patient_ref if source == "patient" else None)
                    ),
                    "seriousness": c.concept(
                        c.AE_SERIOUSNESS,
                        "serious" if ae.serious else "non-serious",
                        "Serious" if ae.serious else "Non-serious",
                    ),
                    "severity": (
                        c.concept(c.AE_SEVERITY, ae.severity, c.label(ae.severity))
                        if ae.severity in ("mild", "moderate", "severe")
                        else None
                    ),
                    "outcome": c.concept(
                        c.AE_OUTCOME, AE_OUTCOMES.get(getattr(ae, "outcome", ""), "unknown")
                    ),
                    "suspectEntity": suspect,
                }
            )

    # The plan ------------------------------------------------------------------------------

    def plan(self, patient_ref: Json, condition_ref: Json) -> None:
        rows = self.r.appointments
        if not rows:
            return
        activities: list[Json] = []
        for a in rows:
            if a.kind == "session" and a.status == "planned":
                activities.append(
                    {"reference": ref(self._appointment(a, patient_ref, condition_ref))}
                )
                continue
            activities.append(
                {
                    "detail": {
                        "kind": "Appointment",
                        "code": c.concept(c.PLAN_EVENT, a.kind, a.get_kind_display()),
                        "status": {"done": "completed", "cancelled": "cancelled"}.get(
                            a.status, "scheduled"
                        ),
                        "scheduledPeriod": {"start": a.date.isoformat(), "end": a.date.isoformat()},
                        "description": a.title_patient,
                    }
                }
            )
        self.add(
            {
                "resourceType": "CarePlan",
                "id": self.id("CarePlan", "treatment-plan"),
                "status": "active",
                "intent": "plan",
                "category": [
                    c.concept(
                        c.CARE_PLAN,
                        "botox-12-weekly",
                        f"OnabotulinumtoxinA every {weeks_text(DUE_INTERVAL_DAYS)}",
                    )
                ],
                "title": f"Treatment plan: onabotulinumtoxinA every {weeks_text(DUE_INTERVAL_DAYS)}",
                "subject": patient_ref,
                "period": {"start": rows[0].date.isoformat(), "end": rows[-1].date.isoformat()},
                "addresses": [condition_ref],
                "activity": activities,
            }
        )

    def _appointment(self, a: Any, patient_ref: Json, condition_ref: Json) -> Json:
        resource: Json = {
            "resourceType": "Appointment",
            "id": self.id("Appointment", a.plan_key),
            "identifier": [{"system": c.SID_APPOINTMENT, "value": a.uid}],
            "status": "booked" if a.time else "proposed",
            "serviceType": [c.concept(c.PLAN_EVENT, a.kind, a.get_kind_display())],
            "reasonReference": [condition_ref],
            "description": a.title_patient,
            "requestedPeriod": [
                _drop_empty({"start": a.earliest.isoformat(), "end": _date(a.latest)})
            ],
            "participant": [
                {"actor": patient_ref, "status": "accepted" if a.time else "needs-action"}
            ],
        }
        if a.time:
            start = dt.datetime.combine(a.date, a.time, tzinfo=self.clinic_tz)
            resource["start"] = start.isoformat()
            resource["end"] = (start + dt.timedelta(minutes=APPOINTMENT_MINUTES)).isoformat()
            resource["minutesDuration"] = APPOINTMENT_MINUTES
        return self.add(resource)


AE_OUTCOMES = {
    "recovered": "resolved",
    "recovering": "recovering",
    "not_recovered": "ongoing",
    "recovered_with_sequelae": "resolvedWithSequelae",
    "fatal": "fatal",
    "unknown": "unknown",
}


def _item_order(key: str) -> tuple[str, int, str]:
    stem, _, number = key.rpartition("_")
    return (stem, int(number), "") if number.isdigit() else (stem, 999, number)


def _answer(value: Any) -> Json:
    if isinstance(value, bool):
        return {"valueBoolean": value}
    if isinstance(value, int):
        return {"valueInteger": value}
    if isinstance(value, float):
        return {"valueDecimal": value}
    return {"valueString": str(value)}


def site_concept(code: str) -> Json:
    """An injection site as a CodeableConcept: the local site code, with the muscle and side."""
    site = dosing.get_site(code)
    if site is None:
        return c.concept(c.SITE, code, text=code)
    side = {"L": "left", "R": "right", "M": "midline"}[site.side.value]
    display = f"{c.label(site.muscle.value)}, {side}, site {site.index}"
    return c.concept(c.SITE, code, display, display)


def day_components(day: DiaryDay, rules: Rules = LEGACY) -> Iterator[Json]:
    """The components of a diary-day Observation: raw facts, then the derived flags
    (under `rules`' day definition, spec section 11.1)."""
    k = classify_day(day, rules.definition, rules.named)
    yield {
        "code": c.concept(c.DIARY, c.C_HOURS, "Headache hours"),
        "valueQuantity": _quantity(day.headache_hours, "h", "h"),
    }
    if day.peak_intensity:
        yield {
            "code": c.concept(c.DIARY, c.C_INTENSITY, "Peak intensity"),
            "valueCodeableConcept": c.concept(
                c.INTENSITY, day.peak_intensity, c.label(day.peak_intensity)
            ),
        }
    for feature in FEATURES:
        if getattr(day, feature):  # absent means not ticked
            yield {
                "code": c.concept(c.FEATURE, feature, c.label(feature)),
                "valueBoolean": True,
            }
    if day.aura_minutes:
        yield {
            "code": c.concept(c.DIARY, c.C_AURA, "Aura minutes"),
            "valueQuantity": _quantity(day.aura_minutes, "min", "min"),
        }
    for m in day.acute_medications:
        component: Json = {
            "code": c.concept(c.DIARY, c.C_MEDICINE, "Acute medicine taken"),
            "valueCodeableConcept": c.concept(
                c.ACUTE_CLASS, m.drug_class, c.label(m.drug_class), m.name
            ),
        }
        if m.effective is not None:
            component["extension"] = [_ext(c.EXT_MEDICINE_EFFECTIVE, valueBoolean=m.effective)]
        yield component
    yield {
        "code": c.concept(c.DIARY, c.C_MODERATE_SEVERE, "Moderate or severe headache day"),
        "valueBoolean": k.moderate_severe_day,
    }
    yield {
        "code": c.concept(c.DIARY, c.C_MEDICATION_DAY, "Acute medication day"),
        "valueBoolean": k.acute_medication_day,
    }
    for drug_class in k.acute_medication_classes:
        yield {
            "code": c.concept(c.DIARY, c.C_CLASS_TAKEN, "Acute medication class taken"),
            "valueCodeableConcept": c.concept(c.ACUTE_CLASS, drug_class, c.label(drug_class)),
        }


FEATURES = (
    "unilateral",
    "pulsating",
    "aggravated_by_activity",
    "nausea",
    "vomiting",
    "photophobia",
    "phonophobia",
)


def window_components(window: Window, rules: Rules = LEGACY) -> Iterator[Json]:
    """Counts of a 28-day window (spec section 3), then per-28 values when evaluable,
    printed as `rules` prints them (spec section 11.7)."""
    yield {
        "code": c.concept(c.WINDOW, "recorded-days", "Recorded days"),
        "valueInteger": window.recorded_days,
    }
    yield {
        "code": c.concept(c.WINDOW, "evaluable", "Evaluable (20 or more recorded days)"),
        "valueBoolean": window.evaluable,
    }
    for metric in PER_28_METRICS:
        code = metric.replace("_", "-")
        if metric == "headache_hours":
            value: Json = {
                "valueQuantity": _quantity(round(float(window.headache_hours), 2), "h", "h")
            }
        else:
            value = {"valueInteger": int(window.count(metric))}
        yield {"code": c.concept(c.WINDOW, code, c.label(metric)), **value}
    for drug_class, days in window.by_class:
        yield {
            "code": c.concept(
                c.WINDOW,
                f"acute-medication-days-{drug_class}",
                f"Acute medication days: {c.label(drug_class).lower()}",
            ),
            "valueInteger": days,
        }
    for metric in PER_28_METRICS:
        rate = window.rate(metric)
        if rate is None:
            continue
        yield {
            "code": c.concept(
                c.WINDOW, f"{metric.replace('_', '-')}-per-28", f"{c.label(metric)} per 28 days"
            ),
            "valueQuantity": _quantity(rules.one_decimal(rate), "per 28 days"),
        }


def patient_resources(patient: Patient) -> list[Json]:
    """All of the patient's resources, Patient first, in a stable order."""
    b = _Builder(load_record(patient))
    patient_json = b.add(b.patient())
    patient_ref = ref(patient_json)
    org = b.organization()
    patient_json["managingOrganization"] = ref(org)
    condition = b.chronic_migraine(patient_ref)
    condition_ref = ref(condition)
    b.history(patient_ref)
    b.diary(patient_ref)
    b.windows(patient_ref)
    b.acute_summary(patient_ref)
    b.questionnaires(patient_ref)
    procedures = b.sessions(patient_ref, condition_ref)
    b.bridging(patient_ref, condition_ref)
    checkins = b.checkins(patient_ref, procedures)
    b.adverse_events(patient_ref, procedures, checkins)
    b.plan(patient_ref, condition_ref)
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


# --- checks ---------------------------------------------------------------------------------


def references(node: Any) -> Iterator[str]:
    """Every `reference` string anywhere in a resource."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "reference" and isinstance(value, str):
                yield value
            else:
                yield from references(value)
    elif isinstance(node, list):
        for item in node:
            yield from references(item)


def unresolved_references(bundle: Json) -> list[str]:
    """References that do not name the fullUrl of an entry of the bundle."""
    urls = {e.get("fullUrl") for e in bundle.get("entry", [])}
    return sorted(
        {r for e in bundle.get("entry", []) for r in references(e.get("resource")) if r not in urls}
    )


def validation_problems(bundle: Json, limit: int = 20) -> list[str]:
    """Each entry parsed with fhir.resources' R4B model of its resourceType (R4-compatible
    for every element cephalog writes); one line per problem, `entry[12] Observation: ...`.

    An Observation's components are validated one by one with the R4B
    ObservationComponent model, each distinct component once: a diary has
    hundreds of identical ones ("nausea: true"), and pydantic validation of
    nested FHIR elements is the slow part of an import. The result is the
    same as validating the whole Observation (no R4B rule spans components).
    """
    from fhir.resources.R4B import get_fhir_model_class
    from fhir.resources.R4B.observation import ObservationComponent
    from pydantic import ValidationError

    problems: list[str] = []
    if not isinstance(bundle, dict) or bundle.get("resourceType") != "Bundle":
        return ["resourceType: must be Bundle"]
    entries = bundle.get("entry") or []
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        return ["entry: must be a list of objects"]
    shell = {k: v for k, v in bundle.items() if k != "entry"}
    if entries:
        shell["entry"] = [{k: v for k, v in e.items() if k != "resource"} for e in entries]
    try:
        get_fhir_model_class("Bundle").model_validate(shell)
    except ValidationError as error:
        problems.append(f"Bundle: {_first_error(error)}")
    valid_components: set[str] = set()
    for i, entry in enumerate(entries):
        resource = entry.get("resource")
        kind = resource.get("resourceType") if isinstance(resource, dict) else None
        if not isinstance(kind, str):
            problems.append(f"entry[{i}]: no resource with a resourceType")
            continue
        try:
            model = get_fhir_model_class(kind)
        except ValueError:
            problems.append(f"entry[{i}]: unknown resourceType {kind!r}")
            continue
        assert isinstance(resource, dict)
        components = resource.get("component") if kind == "Observation" else None
        try:
            if isinstance(components, list):
                model.model_validate({k: v for k, v in resource.items() if k != "component"})
                for j, component in enumerate(components):
                    key = json.dumps(component, sort_keys=True)
                    if key in valid_components:
                        continue
                    try:
                        ObservationComponent.model_validate(component)
                    except ValidationError as error:
                        problems.append(f"entry[{i}] {kind}: component.{j}.{_first_error(error)}")
                        break
                    valid_components.add(key)
            else:
                model.model_validate(resource)
        except ValidationError as error:
            problems.append(f"entry[{i}] {kind}: {_first_error(error)}")
        if len(problems) >= limit:
            problems.append("… more problems not shown")
            break
    return problems


def entry_problem(kind: str, resource: Json, valid_components: set[str]) -> str | None:
    """The first problem of one resource against its R4B model (`validation_problems`'s
    check for one entry), or None. `valid_components` caches components seen valid."""
    from fhir.resources.R4B import get_fhir_model_class
    from fhir.resources.R4B.observation import ObservationComponent
    from pydantic import ValidationError

    try:
        model = get_fhir_model_class(kind)
    except (ValueError, KeyError, AttributeError):
        return f"unknown resourceType {kind!r}"
    components = resource.get("component") if kind == "Observation" else None
    try:
        if isinstance(components, list):
            model.model_validate({k: v for k, v in resource.items() if k != "component"})
            for j, component in enumerate(components):
                key = json.dumps(component, sort_keys=True)
                if key in valid_components:
                    continue
                try:
                    ObservationComponent.model_validate(component)
                except ValidationError as error:
                    return f"component.{j}.{_first_error(error)}"
                valid_components.add(key)
        else:
            model.model_validate(resource)
    except ValidationError as error:
        return _first_error(error)
    except (TypeError, ValueError, RecursionError) as error:
        return f"not readable ({type(error).__name__})"
    return None


def _first_error(error: Any) -> str:
    errors = error.errors()
    if not errors:
        return str(error)
    first = errors[0]
    where = ".".join(str(p) for p in first.get("loc", ()))
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"{where}: {first.get('msg', '')}{more}"


def relative_references(resource: Json, types: dict[str, str]) -> Json:
    """The resource with `urn:uuid:<id>` references rewritten as `Type/id` (NDJSON files)."""

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            out = {}
            for key, value in node.items():
                if key == "reference" and isinstance(value, str) and value.startswith("urn:uuid:"):
                    rid = value.removeprefix("urn:uuid:")
                    out[key] = f"{types[rid]}/{rid}" if rid in types else value
                else:
                    out[key] = walk(value)
            return out
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node

    rewritten: Json = walk(resource)
    return rewritten
