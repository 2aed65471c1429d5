"""What patients and staff reported: questionnaires with their scores, side-effect
check-ins and adverse events."""

from __future__ import annotations

from typing import Any

from cephalog.interop import codes as c
from cephalog.interop.fhir.builder import _Builder
from cephalog.interop.fhir.values import Json, _ext, _local, ref


def questionnaires(b: _Builder, patient_ref: Json) -> None:
    for q in b.r.questionnaires:
        author = b.practitioner(q.entered_by_id) if q.source == "staff" else None
        items = [
            {"linkId": key, "answer": [_answer(value)]}
            for key, value in sorted((q.items or {}).items(), key=lambda kv: _item_order(kv[0]))
            if value is not None
        ]
        response = b.add(
            {
                "resourceType": "QuestionnaireResponse",
                "id": b.id("QuestionnaireResponse", f"{q.instrument}/{q.completed_on}"),
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
        b.add(
            {
                "resourceType": "Observation",
                "id": b.id("Observation", f"score/{q.instrument}/{q.completed_on}"),
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


def checkins(b: _Builder, patient_ref: Json, procedures: dict[int, Json]) -> dict[int, Json]:
    """One QuestionnaireResponse per side-effect check-in; those by check-in id."""
    out: dict[int, Json] = {}
    for ci in b.r.checkins:
        procedure = procedures.get(ci.session_id) if ci.session_id else None
        out[ci.pk] = b.add(
            {
                "resourceType": "QuestionnaireResponse",
                "id": b.id("QuestionnaireResponse", f"checkin/{ci.pk}"),
                "questionnaire": c.questionnaire(f"checkin-{ci.kind}"),
                "status": "completed",
                "subject": patient_ref,
                "partOf": [ref(procedure)] if procedure else [],
                "authored": _local(ci.submitted_at, b.patient_tz),
                "source": patient_ref,
                "item": _checkin_items(ci),
            }
        )
    return out


def _checkin_items(ci: Any) -> list[Json]:
    answers = ci.answers if isinstance(ci.answers, dict) else {}
    items: list[Json] = [
        {"linkId": "no-problems", "answer": [{"valueBoolean": bool(ci.no_problems)}]}
    ]
    for s in answers.get("symptoms") or []:
        if isinstance(s, dict) and s.get("symptom"):
            items.append({"linkId": "reported-symptom", "item": _symptom_parts(s)})
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
        items.append({"linkId": "guidance", "answer": [{"valueString": g} for g in guidance]})
    return items


def _symptom_parts(s: dict[str, Any]) -> list[Json]:
    """The items of one reported symptom: what, since when, how bad, still there."""
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
        parts.append({"linkId": "resolved-on", "answer": [{"valueDate": s["resolved_on"]}]})
    return parts


def adverse_events(
    b: _Builder, patient_ref: Json, procedures: dict[int, Json], checkins: dict[int, Json]
) -> None:
    for ae in b.r.adverse_events:
        source = getattr(ae, "source", "")
        extension = _adverse_event_extension(ae, checkins)
        recorder = b.practitioner(getattr(ae, "recorded_by_id", None))
        b.add(
            {
                "resourceType": "AdverseEvent",
                "id": b.id("AdverseEvent", ae.pk),
                "extension": extension,
                "actuality": "actual",
                "event": c.concept(c.SYMPTOM, ae.symptom, ae.symptom_label, ae.symptom_label),
                "subject": patient_ref,
                "date": ae.onset.isoformat(),
                "recordedDate": _local(ae.reported_at, b.clinic_tz) if ae.reported_at else None,
                "recorder": (
                    ref(recorder) if recorder else (patient_ref if source == "patient" else None)
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
                "suspectEntity": _suspects(ae, procedures),
            }
        )


def _adverse_event_extension(ae: Any, checkins: dict[int, Json]) -> list[Json]:
    """cephalog's own facts of an adverse event: resolution, red flag, who reported it,
    the clinic's notes, seriousness criteria, where, and the check-in it came from."""
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
    return extension


def _suspects(ae: Any, procedures: dict[int, Json]) -> list[Json]:
    """The session suspected (with the clinic's view of relatedness), if exported."""
    procedure = procedures.get(ae.session_id) if ae.session_id else None
    if not procedure:
        return []
    entity: Json = {"instance": ref(procedure)}
    relatedness = getattr(ae, "relatedness", "")
    if relatedness:
        entity["causality"] = [
            {"assessment": c.concept(c.RELATEDNESS, relatedness, c.label(relatedness))}
        ]
    return [entity]


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
