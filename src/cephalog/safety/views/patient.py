"""The patient's safety pages: the check-in, the side-effect report, the urgent guidance and
the patient's own reports."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from cephalog.accounts.access import patient_only
from cephalog.audit.actions import record
from cephalog.core.time import patient_today
from cephalog.domain.safety import (
    DEFAULT_AFTERCARE,
    EMERGENCY_GUIDANCE,
    SYMPTOMS,
    Evidence,
    SafetyTriage,
    Symptom,
    TriageLevel,
    classify,
)
from cephalog.domain.schedule import format_date
from cephalog.patients.models import Patient
from cephalog.safety import actions, queries
from cephalog.safety.forms import SymptomReportForm

logger = logging.getLogger("cephalog.safety.views")


def urgent_response(
    patient: Patient, triage: SafetyTriage | None, *, stored: bool | None
) -> HttpResponse:
    """The full-screen urgent guidance, rendered without the request.

    Emergency symptoms (or no triage: the "what to do now" page) send the
    patient to emergency care; the other signs of spread of toxin effect to
    medical help the same day (the clinic's urgent line, out-of-hours or
    emergency services). No context processor, session or database read
    beyond the clinic's safety numbers runs here, so nothing that could fail
    stands between a red flag and the guidance.
    """
    level = triage.level if triage is not None else TriageLevel.EMERGENCY
    today = level is TriageLevel.MEDICAL_HELP_TODAY
    numbers = queries.call_numbers(patient)
    html = render_to_string(
        "safety/urgent.html",
        {
            "clinic": patient.clinic,
            "same_day": today,
            "clinic_tel": queries.tel(patient.clinic.phone),
            "urgent_phone": numbers.urgent,
            "urgent_tel": numbers.urgent_tel,
            "out_of_hours": numbers.out_of_hours,
            "out_of_hours_tel": numbers.out_of_hours_tel,
            "emergency_number": numbers.emergency,
            "guidance": triage.patient_guidance if triage else (EMERGENCY_GUIDANCE,),
            "symptoms": [SYMPTOMS[s].patient_label for s in (triage.red_flags if triage else ())],
            "stored": stored,
            "warning_signs": [
                i.text for i in DEFAULT_AFTERCARE if i.key in ("warning_signs", "spread_signs")
            ],
        },
    )
    response = HttpResponse(html)
    response["Cache-Control"] = "no-store"
    return response


def _store(
    form: SymptomReportForm, patient: Patient, due: queries.DueCheckIn | None, now: dt.datetime
) -> actions.ReportResult:
    if due is not None:
        return actions.submit_checkin(
            patient=patient,
            session=due.session,
            kind=due.kind,
            symptoms=form.reported(),
            note=form.note_text(),
            submission_key=form.submission_key(),
            now=now,
        )
    return actions.report_side_effect(
        patient=patient,
        symptoms=form.reported(),
        note=form.note_text(),
        submission_key=form.submission_key(),
        now=now,
    )


def _report(
    request: HttpRequest, patient: Patient, due: queries.DueCheckIn | None, template: str
) -> HttpResponse:
    # One clock reading for the form's checks and the action's: a report sent at midnight
    # is not judged against two different days.
    now = timezone.now()
    today = patient_today(patient, now)
    form = SymptomReportForm(request.POST or None, today=today)
    context: dict[str, Any] = {
        "patient": patient,
        "due": due,
        "due_date": format_date(due.session.date) if due else "",
        "form": form,
        "warning_signs": DEFAULT_AFTERCARE[0].text,
        "spread_signs": next(i.text for i in DEFAULT_AFTERCARE if i.key == "spread_signs"),
        "numbers": queries.call_numbers(patient),
        "safety_prompt_hidden": True,
    }
    if request.method != "POST":
        return render(request, template, context)

    if request.POST.get("no_problems"):
        if due is None:
            messages.info(request, "Your check-in has already been sent. Thank you.")
            return redirect("safety-checkin")
        result = actions.submit_checkin(
            patient=patient,
            session=due.session,
            kind=due.kind,
            no_problems=True,
            submission_key=form.submission_key(),
        )
        return redirect("safety-report-done", result.checkin.pk)

    if form.has_red_flag():
        # Red flag: the guidance is shown whatever happens to the storing.
        triage = classify(form.ticked())
        try:
            result = _store(form, patient, due, now)
        except Exception:
            logger.critical(
                "red-flag report of patient %s could not be stored", patient.pk, exc_info=True
            )
            return urgent_response(patient, triage, stored=False)
        return urgent_response(patient, result.triage, stored=True)

    if form.is_valid():
        try:
            result = _store(form, patient, due, now)
        except ValidationError as error:
            form.show_refusal(error)
        else:
            return redirect("safety-report-done", result.checkin.pk)
    return render(request, template, context, status=200)


@never_cache
@patient_only
def checkin(request: HttpRequest, patient: Patient) -> HttpResponse:
    """The due day-3 or day-14 check-in: "No problems" in one tap, or the symptoms."""
    due = queries.due_checkin(patient, patient_today(patient))
    if request.method == "GET":
        _audit_read(patient, "checkin")
    if due is None and request.method == "POST" and not request.POST.get("no_problems"):
        # The window closed or the check-in was sent meanwhile: keep the report anyway.
        return _report(request, patient, None, "safety/checkin.html")
    return _report(request, patient, due, "safety/checkin.html")


@never_cache
@patient_only
def side_effect(request: HttpRequest, patient: Patient) -> HttpResponse:
    """Report a side effect at any time."""
    return _report(request, patient, None, "safety/side_effect.html")


@never_cache
@require_GET
@patient_only
def urgent(request: HttpRequest, patient: Patient) -> HttpResponse:
    """The emergency guidance on its own (linked from every report form)."""
    return urgent_response(patient, None, stored=None)


@never_cache
@require_GET
@patient_only
def report_done(request: HttpRequest, patient: Patient, checkin_id: int) -> HttpResponse:
    found = queries.patient_checkin(patient, checkin_id)
    _audit_read(patient, "checkin", f"checkin:{found.pk}")
    if found.triage_level in (TriageLevel.EMERGENCY, TriageLevel.MEDICAL_HELP_TODAY):
        symptoms = [e.symptom for e in found.events.all()]
        return urgent_response(patient, classify(symptoms), stored=True)
    labels = [SYMPTOMS[Symptom(e.symptom)].patient_label for e in found.events.order_by("id")]
    return render(
        request,
        "safety/report_done.html",
        {
            "patient": patient,
            "checkin": found,
            "labels": labels,
            "report": next(iter(queries.patient_reports(patient, only=found.pk)), None),
            "label_guidance": [
                i for i in DEFAULT_AFTERCARE if i.evidence is Evidence.LABEL_GUIDANCE
            ],
            "numbers": queries.call_numbers(patient),
            "safety_prompt_hidden": True,
        },
    )


@never_cache
@require_GET
@patient_only
def my_reports(request: HttpRequest, patient: Patient) -> HttpResponse:
    """The patient's reports, each with whether the clinic has read it (issue 16.6)."""
    _audit_read(patient, "checkin", "reports")
    return render(
        request,
        "safety/my_reports.html",
        {"patient": patient, "reports": queries.patient_reports(patient)},
    )


def _audit_read(patient: Patient, category: str, object_ref: str = "") -> None:
    """Audit a patient's read of their safety pages. A failure to audit must never stand
    between a patient and the urgent guidance: it is logged and the page still answers."""
    try:
        record(action="read", category=category, patient=patient, object_ref=object_ref)
    except Exception:  # the guidance comes first
        logger.critical("audit write failed on a safety page", exc_info=True)
