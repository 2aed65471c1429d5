"""Writing what patients and staff reported: questionnaires, side-effect check-ins and
adverse events."""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.core.exceptions import ValidationError

from cephalog.interop import codes as c
from cephalog.interop.fhir import AE_OUTCOMES, Json
from cephalog.interop.fhir_import.values import (
    _choice,
    _date,
    _datetime,
    _need_date,
    _need_datetime,
    _validation,
    code_of,
    extension,
    extensions,
)
from cephalog.interop.fhir_import.writer import _Writer

_AE_OUTCOMES_BACK = {v: k for k, v in AE_OUTCOMES.items()}


def write_questionnaires(writer: _Writer) -> None:
    if not apps.is_installed("cephalog.outcomes"):
        return
    from cephalog.outcomes.actions import score
    from cephalog.outcomes.import_actions import import_questionnaire
    from cephalog.outcomes.models import QuestionnaireResponse

    for _, qr in writer.r.of_type("QuestionnaireResponse"):
        instrument = str(qr.get("questionnaire", "")).removeprefix(c.questionnaire(""))
        if instrument not in ("hit6", "midas"):
            writer.r.leave(qr, "not a questionnaire cephalog scores")
            continue
        writer.r.use(qr)
        where = f"QuestionnaireResponse {instrument} {qr.get('authored', '')}"
        problems: list[str] = []
        items = {
            i.get("linkId"): _answer_value((i.get("answer") or [{}])[0])
            for i in qr.get("item") or []
        }
        try:
            total, band, kept = score(instrument, items)
        except ValidationError as error:
            writer.problems.extend(_validation(where, error))
            continue
        source = extension(qr, c.EXT_RESPONSE_SOURCE, "patient")
        row = QuestionnaireResponse(
            patient=writer.patient,
            instrument=instrument,
            completed_on=_need_date(qr.get("authored"), f"{where}.authored", problems),
            items=kept,
            total=total,
            band=band,
            source=source,
            entered_by=writer.by if source == "staff" else None,
        )
        writer.problems.extend(problems)
        if not problems and writer.attempt(where, import_questionnaire, response=row, by=writer.by):
            writer.count("questionnaires")


def write_checkins(writer: _Writer, procedures: dict[str, Any]) -> dict[str, Any]:
    """Store each side-effect check-in; the stored check-ins by their entry's fullUrl."""
    out: dict[str, Any] = {}
    if not apps.is_installed("cephalog.safety"):
        return out
    from cephalog.safety.import_actions import import_checkin
    from cephalog.safety.models import CheckIn

    for url, qr in writer.r.of_type("QuestionnaireResponse"):
        kind = str(qr.get("questionnaire", "")).removeprefix(c.questionnaire("checkin-"))
        if not str(qr.get("questionnaire", "")).startswith(c.questionnaire("checkin-")):
            continue
        where = f"QuestionnaireResponse check-in {qr.get('authored', '')}"
        problems: list[str] = []
        answers, no_problems, triage, guidance = _checkin_answers(qr)
        writer.r.use(qr)
        row = CheckIn(
            patient=writer.patient,
            session=_part_of(writer, qr, list(qr.get("partOf") or []), procedures),
            kind=kind,
            submitted_at=_need_datetime(qr.get("authored"), f"{where}.authored", problems),
            no_problems=no_problems,
            answers=answers,
            triage_level=triage,
            guidance=guidance,
        )
        writer.problems.extend(problems)
        if not problems and writer.attempt(where, import_checkin, checkin=row, by=writer.by):
            out[url] = row
            writer.count("checkins")
    return out


def _part_of(writer: _Writer, source: Json, refs: list[Any], saved: dict[str, Any]) -> Any:
    """The first of `saved` (by fullUrl) that one of `refs` names, or None."""
    return next(
        (
            saved[writer.r.url_of(ref, source)]
            for ref in refs
            if writer.r.url_of(ref, source) in saved
        ),
        None,
    )


def _checkin_answers(qr: Json) -> tuple[dict[str, Any], bool, str, list[str]]:
    """(answers, no problems, triage level, guidance) of a check-in's items."""
    answers: dict[str, Any] = {"symptoms": [], "note": "", "assumed": []}
    no_problems = False
    triage = ""
    guidance: list[str] = []
    for item in qr.get("item") or []:
        link, values = (
            item.get("linkId"),
            [_answer_value(a) for a in item.get("answer") or []],
        )
        if link == "no-problems":
            no_problems = bool(values and values[0])
        elif link == "reported-symptom":
            parts = {
                p.get("linkId"): _answer_value((p.get("answer") or [{}])[0])
                for p in item.get("item") or []
            }
            answers["symptoms"].append(
                {
                    "symptom": parts.get("symptom"),
                    "onset": parts.get("onset"),
                    "severity": parts.get("severity"),
                    "still_present": parts.get("still-present"),
                    "resolved_on": parts.get("resolved-on"),
                }
            )
        elif link == "note":
            answers["note"] = values[0] if values else ""
        elif link == "assumed":
            answers["assumed"] = [str(v) for v in values]
        elif link == "triage-level":
            triage = str(values[0]) if values else ""
        elif link == "guidance":
            guidance = [str(v) for v in values]
    return answers, no_problems, triage, guidance


def write_adverse_events(
    writer: _Writer, procedures: dict[str, Any], checkins: dict[str, Any]
) -> None:
    """Store each adverse event, linked to its session and check-in when imported."""
    if not apps.is_installed("cephalog.safety"):
        return
    from cephalog.safety.import_actions import import_adverse_event

    for _, ae in writer.r.of_type("AdverseEvent"):
        where = f"AdverseEvent {code_of(ae.get('event'), c.SYMPTOM)} {ae.get('date', '')}"
        problems: list[str] = []
        writer.r.use(ae)
        row = _adverse_event(writer, ae, procedures, checkins, where, problems)
        writer.problems.extend(problems)
        # The source's report time is kept, not the import's.
        recorded = _datetime(ae.get("recordedDate"), f"{where}.recordedDate", [])
        if not problems and writer.attempt(
            where, import_adverse_event, event=row, by=writer.by, reported_at=recorded
        ):
            writer.count("adverse_events")


def _adverse_event(
    writer: _Writer,
    ae: Json,
    procedures: dict[str, Any],
    checkins: dict[str, Any],
    where: str,
    problems: list[str],
) -> Any:
    from cephalog.safety.models import SYMPTOM_CHOICES, AdverseEvent

    suspects = ae.get("suspectEntity") or []
    relatedness = next(
        (
            code_of(causality.get("assessment"), c.RELATEDNESS)
            for s in suspects
            for causality in s.get("causality") or []
        ),
        None,
    )
    outcome = _AE_OUTCOMES_BACK.get(code_of(ae.get("outcome"), c.AE_OUTCOME) or "unknown")
    return AdverseEvent(
        patient=writer.patient,
        session=_part_of(writer, ae, [s.get("instance") for s in suspects], procedures),
        symptom=_choice(
            code_of(ae.get("event"), c.SYMPTOM), [s for s, _ in SYMPTOM_CHOICES], where, problems
        ),
        onset=_need_date(ae.get("date"), f"{where}.date", problems),
        severity=code_of(ae.get("severity"), c.AE_SEVERITY) or "not_stated",
        serious=code_of(ae.get("seriousness"), c.AE_SERIOUSNESS) == "serious",
        red_flag=extension(ae, c.EXT_RED_FLAG, False) is True,
        resolved_on=_date(extension(ae, c.EXT_RESOLVED_ON), f"{where}.resolved", problems),
        checkin=checkins.get(writer.r.url_of(extension(ae, c.EXT_CHECKIN), ae)),
        source=extension(ae, c.EXT_REPORT_SOURCE, "imported"),
        description=extension(ae, c.EXT_DESCRIPTION, ""),
        seriousness=[
            code_of(v, c.SERIOUSNESS_CRITERION) for v in extensions(ae, c.EXT_SERIOUSNESS_CRITERION)
        ],
        relatedness=relatedness or "",
        outcome=outcome or "unknown",
        region=code_of(extension(ae, c.EXT_REGION), c.MUSCLE) or "",
        site_codes=[code_of(v, c.SITE) for v in extensions(ae, c.EXT_SITE)],
        actions=extension(ae, c.EXT_CLINIC_ACTIONS, ""),
        avoid_sites=[code_of(v, c.SITE) for v in extensions(ae, c.EXT_AVOID_SITE)],
        relevant_tests=extension(ae, c.EXT_RELEVANT_TESTS, ""),
        relevant_history=extension(ae, c.EXT_RELEVANT_HISTORY, ""),
    )


def _answer_value(answer: Json) -> Any:
    for key, value in answer.items():
        if key == "valueCoding":
            return value.get("code")
        if key.startswith("value"):
            return value
    return None
