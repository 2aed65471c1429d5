"""Safety pages: the patient's check-in and side-effect report (phone first), the urgent
guidance, and the clinic's alerts, register, rates and MedWatch exports.

Decorators load and check; `actions` write; `queries`/`reports` read; every read
of patient data leaves an audit row.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from cephalog.accounts.access import (
    CLINICAL_ROLES,
    patient_only,
    patient_view,
    staff_clinic_ids,
    staff_view,
)
from cephalog.accounts.models import Clinic, User
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
from cephalog.safety import actions, medwatch, queries, reports, yellow_card
from cephalog.safety.forms import (
    AcknowledgeForm,
    AdverseEventForm,
    PeriodForm,
    RegisterFilterForm,
    SymptomReportForm,
)
from cephalog.safety.models import AdverseEvent, CheckIn

logger = logging.getLogger(__name__)

# --- the patient's pages -----------------------------------------------------------------


def _numbers(patient: Patient) -> tuple[str, str, str]:
    """(emergency number, the clinic's urgent line, out-of-hours number) for the guidance."""
    try:
        found = queries.settings_for(patient.clinic_id)
        return (
            found.emergency_number or "999",
            found.urgent_phone or patient.clinic.phone,
            found.out_of_hours_number,
        )
    except Exception:  # the guidance must show even when the database does not answer
        logger.exception("safety settings unavailable; using the default emergency number")
        return "999", patient.clinic.phone, ""


def _tel(number: str) -> str:
    return re.sub(r"[^0-9+]", "", number)


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
    emergency_number, urgent_phone, out_of_hours = _numbers(patient)
    html = render_to_string(
        "safety/urgent.html",
        {
            "clinic": patient.clinic,
            "same_day": today,
            "clinic_tel": _tel(patient.clinic.phone),
            "urgent_phone": urgent_phone,
            "urgent_tel": _tel(urgent_phone),
            "out_of_hours": out_of_hours,
            "out_of_hours_tel": _tel(out_of_hours),
            "emergency_number": emergency_number,
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


# --- the clinic's pages ------------------------------------------------------------------


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)  # staff_view / patient_view refused anonymous users
    return request.user


@staff_view()
def alerts(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    rows = queries.recent_alerts_for(request.user, since=now - dt.timedelta(days=14))
    open_rows = [a for a in rows if a.is_open]
    acknowledgers = {
        clinic_id: queries.can_acknowledge(request.user, clinic_id)
        for clinic_id in {a.clinic_id for a in open_rows}
    }
    record(action="read", category="safety_alerts", detail={"count": len(rows)})
    return render(
        request,
        "safety/alerts.html",
        {
            "open_alerts": [(a, acknowledgers[a.clinic_id]) for a in open_rows],
            "recent": [a for a in rows if not a.is_open],
            "undelivered": queries.undelivered_emails_for(request.user),
            "form": AcknowledgeForm(),
            "now": now,
        },
    )


@staff_view()
def alert_detail(request: HttpRequest, alert_id: int) -> HttpResponse:
    alert = queries.alert_for(request.user, alert_id)
    may_acknowledge = queries.can_acknowledge(request.user, alert.clinic_id)
    form = AcknowledgeForm(request.POST or None)
    if request.method == "POST":
        if not may_acknowledge:
            raise PermissionDenied
        if form.is_valid():
            try:
                actions.acknowledge_alert(
                    alert=alert, user=_user(request), action_taken=form.cleaned_data["action_taken"]
                )
            except ValidationError as error:
                form.add_error(None, "; ".join(error.messages))
            else:
                messages.success(
                    request, "Alert acknowledged. It no longer shows on staff screens."
                )
                return redirect("safety-alerts")
    record(
        action="read",
        category="safety_alert",
        patient=alert.patient,
        object_ref=f"alert:{alert.pk}",
    )
    events = list(alert.checkin.events.order_by("id")) if alert.checkin else [alert.event]
    return render(
        request,
        "safety/alert_detail.html",
        {
            "alert": alert,
            "events": events,
            "form": form,
            "may_acknowledge": may_acknowledge,
            "emails": list(alert.emails.order_by("created_at", "id")),
            "settings": queries.settings_for(alert.clinic_id),
        },
    )


def _yes_no(value: str) -> bool | None:
    return {"yes": True, "no": False}.get(value)


@staff_view()
def register(request: HttpRequest) -> HttpResponse:
    form = RegisterFilterForm(request.GET or None)
    events = queries.events_for_staff(request.user).select_related("patient", "session")
    if form.is_valid():
        f = form.cleaned_data
        if f["symptom"]:
            events = events.filter(symptom=f["symptom"])
        for name in ("red_flag", "serious"):
            flag = _yes_no(f[name])
            if flag is not None:
                events = events.filter(**{name: flag})
        if f["outcome"]:
            events = events.filter(outcome=f["outcome"])
        if f["relatedness"]:
            events = events.filter(relatedness=f["relatedness"])
        if f["start"]:
            events = events.filter(onset__gte=f["start"])
        if f["end"]:
            events = events.filter(onset__lte=f["end"])
    limit = 500
    rows = list(events.order_by("-onset", "-id")[: limit + 1])
    record(action="read", category="adverse_event_register", detail={"count": len(rows)})
    return render(
        request,
        "safety/register.html",
        {"form": form, "rows": rows[:limit], "truncated": len(rows) > limit},
    )


@staff_view()
def rates(request: HttpRequest) -> HttpResponse:
    form = PeriodForm(request.GET or None)
    start = end = None
    if form.is_valid():
        start, end = form.cleaned_data["start"], form.cleaned_data["end"]
    clinic_ids = staff_clinic_ids(request.user)
    report = reports.clinic_rates(clinic_ids, start=start, end=end)
    record(action="read", category="adverse_event_rates", detail={"sessions": report.sessions})
    return render(
        request,
        "safety/rates.html",
        {
            "form": form,
            "report": report,
            "series": reports.SERIES,
            "clinics": Clinic.objects.filter(pk__in=clinic_ids),
        },
    )


@patient_view(staff_only=True)
def patient_events(request: HttpRequest, patient: Patient) -> HttpResponse:
    record(action="read", category="adverse_events", patient=patient)
    return render(
        request,
        "safety/patient_events.html",
        {
            "patient": patient,
            "events": queries.patient_events(patient),
            "avoid": queries.avoid_sites_for(patient),
            "checkins": list(CheckIn.objects.filter(patient=patient)[:20]),
        },
    )


def _event_form_fields(data: dict[str, Any]) -> dict[str, Any]:
    return {name: data[name] for name in actions.EVENT_FIELDS if name in data}


@patient_view(staff_only=True, roles=CLINICAL_ROLES)
def event_new(request: HttpRequest, patient: Patient) -> HttpResponse:
    form = AdverseEventForm(
        request.POST or None,
        patient=patient,
        initial={"onset": patient_today(patient)},
    )
    if request.method == "POST" and form.is_valid():
        try:
            actions.record_adverse_event(
                patient=patient, user=_user(request), **_event_form_fields(form.cleaned_data)
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, "Adverse event recorded.")
            return redirect("safety-patient-events", patient.pk)
    record(action="read", category="adverse_event", patient=patient, object_ref="new")
    return render(
        request,
        "safety/event_form.html",
        {"patient": patient, "form": form, "event": None, **FIELD_GROUPS},
    )


@patient_view(staff_only=True, roles=CLINICAL_ROLES)
def event_edit(request: HttpRequest, patient: Patient, event_id: int) -> HttpResponse:
    event = (
        AdverseEvent.objects.filter(patient=patient, pk=event_id).select_related("session").first()
    )
    if event is None:
        raise Http404("No such event")
    initial = {name: getattr(event, name) for name in actions.EVENT_FIELDS}
    form = AdverseEventForm(request.POST or None, patient=patient, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            actions.update_adverse_event(
                event=event, user=_user(request), **_event_form_fields(form.cleaned_data)
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, "Adverse event updated.")
            return redirect("safety-patient-events", patient.pk)
    record(
        action="read",
        category="adverse_event",
        patient=patient,
        object_ref=f"adverse_event:{event.pk}",
    )
    return render(
        request,
        "safety/event_form.html",
        {"patient": patient, "form": form, "event": event, **FIELD_GROUPS},
    )


FIELD_GROUPS = {
    "simple_fields": (
        "symptom",
        "onset",
        "severity",
        "session",
        "region",
        "relatedness",
        "outcome",
        "resolved_on",
    ),
    "choice_fields": ("seriousness", "site_codes", "avoid_sites"),
    "text_fields": ("description", "relevant_tests", "relevant_history", "actions"),
}


def _add_errors(form: AdverseEventForm, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errs in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errs)
    else:
        form.add_error(None, error.messages)


def _export_event(
    request: HttpRequest, event_id: int
) -> tuple[AdverseEvent, tuple[medwatch.Section, ...]]:
    event = queries.event_for(request.user, event_id)
    today = timezone.localdate()
    secs = medwatch.sections(event, reporter=_user(request), today=today)
    return event, secs


@require_GET
@staff_view(CLINICAL_ROLES)
def medwatch_pdf(request: HttpRequest, event_id: int) -> HttpResponse:
    event, secs = _export_event(request, event_id)
    pdf = medwatch.to_pdf(secs, event=event, today=timezone.localdate())
    record(
        action="export",
        category="medwatch",
        patient=event.patient,
        object_ref=f"adverse_event:{event.pk}",
        detail={"format": "pdf"},
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="medwatch-event-{event.pk}.pdf"'
    return response


@require_GET
@staff_view(CLINICAL_ROLES)
def medwatch_csv(request: HttpRequest, event_id: int) -> HttpResponse:
    event, secs = _export_event(request, event_id)
    record(
        action="export",
        category="medwatch",
        patient=event.patient,
        object_ref=f"adverse_event:{event.pk}",
        detail={"format": "csv"},
    )
    response = HttpResponse(medwatch.to_csv(secs), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="medwatch-event-{event.pk}.csv"'
    return response


# --- the Yellow Card worksheet (a UK clinic's adverse-event report, issue 17.6) ---------------


def _yellow_card(request: HttpRequest, event_id: int) -> tuple[AdverseEvent, Any]:
    event = queries.event_for(request.user, event_id)
    return event, yellow_card.sections(event, reporter=_user(request), today=timezone.localdate())


@require_GET
@staff_view(CLINICAL_ROLES)
def yellow_card_pdf(request: HttpRequest, event_id: int) -> HttpResponse:
    event, secs = _yellow_card(request, event_id)
    pdf = medwatch.to_pdf(
        secs, event=event, today=timezone.localdate(), template="safety/yellow_card_pdf.html"
    )
    record(
        action="export",
        category="yellow_card",
        patient=event.patient,
        object_ref=f"adverse_event:{event.pk}",
        detail={"format": "pdf"},
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="yellow-card-event-{event.pk}.pdf"'
    return response


@require_GET
@staff_view(CLINICAL_ROLES)
def yellow_card_csv(request: HttpRequest, event_id: int) -> HttpResponse:
    event, secs = _yellow_card(request, event_id)
    record(
        action="export",
        category="yellow_card",
        patient=event.patient,
        object_ref=f"adverse_event:{event.pk}",
        detail={"format": "csv"},
    )
    # The MedWatch CSV code path (formula-neutralising writer: the exchange issue).
    response = HttpResponse(medwatch.to_csv(secs), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="yellow-card-event-{event.pk}.csv"'
    return response
