"""The treatment: sessions (Procedure) with their vials (Medication) and sites
(MedicationAdministration), bridging treatments and the plan (CarePlan, Appointment)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from cephalog.domain import dosing
from cephalog.domain.intervals import DUE_INTERVAL_DAYS, weeks_text
from cephalog.interop import codes as c
from cephalog.interop.fhir.builder import _Builder
from cephalog.interop.fhir.values import (
    APPOINTMENT_MINUTES,
    Json,
    _date,
    _drop_empty,
    _ext,
    _local,
    _quantity,
    _units,
    ref,
)


def sessions(b: _Builder, patient_ref: Json, condition_ref: Json) -> dict[int, Json]:
    """One Procedure per session, after its vials and before its sites (the order the
    resources are added in is the bundle's order); the Procedures by session id."""
    out: dict[int, Json] = {}
    for s in b.r.sessions:
        vials = [_vial(b, v) for v in s.vials.all()]
        sites = list(s.sites.all())
        injector = b.practitioner(s.injector_id)
        signer = b.practitioner(s.signed_by_id)
        performers = _performers(injector, signer)
        notes = _session_notes(b, s)
        procedure = b.add(
            {
                "resourceType": "Procedure",
                "id": b.id("Procedure", f"session/{s.pk}"),
                "extension": _session_extension(s),
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
                "performedPeriod": _session_period(b, s),
                "performer": performers,
                "reasonReference": [condition_ref],
                "bodySite": [
                    site_concept(site.code) for site in sites if site.status in ("done", "added")
                ],
                "usedReference": [ref(v) for v in vials],
                "complication": (
                    [{"text": s.immediate_reactions}] if s.immediate_reactions else []
                ),
                "note": notes,
            }
        )
        out[s.pk] = procedure
        _administrations(b, s, sites, vials, procedure, patient_ref, injector)
    return out


def _performers(injector: Json | None, signer: Json | None) -> list[Json]:
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
    return performers


def _session_period(b: _Builder, s: Any) -> Json:
    if s.started_at:
        period = {"start": _local(s.started_at, b.clinic_tz)}
        if s.ended_at:
            period["end"] = _local(s.ended_at, b.clinic_tz)
        return period
    return {"start": s.date.isoformat(), "end": s.date.isoformat()}


def _session_extension(s: Any) -> list[Json]:
    extension = [
        _ext(c.EXT_UNITS_GIVEN, valueQuantity=_units(s.total_units)),
        _ext(c.EXT_SITES_INJECTED, valueInteger=s.sites_injected),
        _ext(c.EXT_PROTOCOL, valueCode=s.protocol),
    ]
    if s.units_opened:
        extension.append(_ext(c.EXT_UNITS_OPENED, valueQuantity=_units(s.units_opened)))
    if s.units_opened or s.units_discarded:
        extension.append(_ext(c.EXT_UNITS_DISCARDED, valueQuantity=_units(s.units_discarded)))
    if s.topical_anaesthetic:
        extension.append(
            _ext(
                c.EXT_TOPICAL,
                valueCoding=c.coding(
                    c.TOPICAL, s.topical_anaesthetic, s.get_topical_anaesthetic_display()
                ),
            )
        )
    return extension


def _session_notes(b: _Builder, s: Any) -> list[Json]:
    """The session's notes, then its addenda with their time and author."""
    notes: list[Json] = [{"text": s.notes}] if s.notes else []
    for addendum in s.addenda.all():
        author = b.practitioner(addendum.author_id)
        note: Json = {
            "time": _local(addendum.created_at, b.clinic_tz),
            "text": addendum.text,
        }
        if author:
            note["authorReference"] = ref(author)
        notes.append(note)
    return notes


def _vial(b: _Builder, vial: Any) -> Json:
    product = vial.product or dosing.PRODUCT
    codings = []
    if product.strip().lower() == dosing.PRODUCT.lower():
        codings = [
            c.coding(c.PRODUCT, dosing.PRODUCT, "OnabotulinumtoxinA"),
            c.coding(c.HCPCS, c.HCPCS_ONABOTULINUMTOXINA, "Injection, onabotulinumtoxinA, 1 unit"),
        ]
    return b.add(
        {
            "resourceType": "Medication",
            "id": b.id("Medication", f"vial/{vial.pk}"),
            "extension": [
                _ext(c.EXT_DILUENT, valueQuantity=_quantity(vial.diluent_ml, "mL", "mL")),
                _ext(
                    c.EXT_RECONSTITUTED_AT,
                    valueDateTime=_local(vial.reconstituted_at, b.clinic_tz),
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


def _medication_given(vials: list[Json]) -> Json:
    """The session's one vial, or the product when there are none or several."""
    if len(vials) == 1:
        return {"medicationReference": ref(vials[0])}
    return {
        "medicationCodeableConcept": c.concept(
            c.PRODUCT, dosing.PRODUCT, "OnabotulinumtoxinA", dosing.PRODUCT
        )
    }


def _administrations(
    b: _Builder,
    s: Any,
    sites: list[Any],
    vials: list[Json],
    procedure: Json,
    patient_ref: Json,
    injector: Json | None,
) -> None:
    """One MedicationAdministration per site (or one for the session's total)."""
    medication = _medication_given(vials)
    effective = _local(s.started_at, b.clinic_tz) if s.started_at else s.date.isoformat()
    route = c.concept(c.SNOMED, c.SNOMED_ROUTE_IM, "Intramuscular route")
    performer = [{"actor": ref(injector)}] if injector else []
    if not sites:
        if s.total_units <= 0:
            return
        # A session recorded as totals only (the demo generator, older records).
        b.add(
            {
                "resourceType": "MedicationAdministration",
                "id": b.id("MedicationAdministration", f"session-dose/{s.pk}"),
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
        b.add(
            {
                "resourceType": "MedicationAdministration",
                "id": b.id("MedicationAdministration", f"site/{s.pk}/{site.code}"),
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


def bridging(b: _Builder, patient_ref: Json, condition_ref: Json) -> None:
    for row in b.r.bridging:
        b.add(
            {
                "resourceType": "Procedure",
                "id": b.id("Procedure", f"bridging/{row.pk}"),
                "status": "completed",
                "category": c.concept(c.PROCEDURE, "bridging", "Bridging treatment"),
                "code": c.concept(
                    c.BRIDGING, row.kind, row.get_kind_display(), row.get_kind_display()
                ),
                "subject": patient_ref,
                "performedDateTime": row.date.isoformat(),
                "reasonReference": [condition_ref],
                "note": [{"text": row.notes}] if row.notes else [],
            }
        )


def plan(b: _Builder, patient_ref: Json, condition_ref: Json) -> None:
    rows = b.r.appointments
    if not rows:
        return
    activities: list[Json] = []
    for a in rows:
        if a.kind == "session" and a.status == "planned":
            activities.append({"reference": ref(_appointment(b, a, patient_ref, condition_ref))})
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
    b.add(
        {
            "resourceType": "CarePlan",
            "id": b.id("CarePlan", "treatment-plan"),
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


def _appointment(b: _Builder, a: Any, patient_ref: Json, condition_ref: Json) -> Json:
    resource: Json = {
        "resourceType": "Appointment",
        "id": b.id("Appointment", a.plan_key),
        "identifier": [{"system": c.SID_APPOINTMENT, "value": a.uid}],
        "status": "booked" if a.time else "proposed",
        "serviceType": [c.concept(c.PLAN_EVENT, a.kind, a.get_kind_display())],
        "reasonReference": [condition_ref],
        "description": a.title_patient,
        "requestedPeriod": [_drop_empty({"start": a.earliest.isoformat(), "end": _date(a.latest)})],
        "participant": [{"actor": patient_ref, "status": "accepted" if a.time else "needs-action"}],
    }
    if a.time:
        start = dt.datetime.combine(a.date, a.time, tzinfo=b.clinic_tz)
        resource["start"] = start.isoformat()
        resource["end"] = (start + dt.timedelta(minutes=APPOINTMENT_MINUTES)).isoformat()
        resource["minutesDuration"] = APPOINTMENT_MINUTES
    return b.add(resource)


def site_concept(code: str) -> Json:
    """An injection site as a CodeableConcept: the local site code, with the muscle and side."""
    site = dosing.get_site(code)
    if site is None:
        return c.concept(c.SITE, code, text=code)
    side = {"L": "left", "R": "right", "M": "midline"}[site.side.value]
    display = f"{c.label(site.muscle.value)}, {side}, site {site.index}"
    return c.concept(c.SITE, code, display, display)
