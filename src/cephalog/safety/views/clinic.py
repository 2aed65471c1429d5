"""The clinic's safety pages: alerts, the register, rates and a patient's events."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from cephalog.accounts.access import CLINICAL_ROLES, patient_view, staff_clinic_ids, staff_view
from cephalog.accounts.models import Clinic, User
from cephalog.audit.actions import record
from cephalog.core.http import add_validation_to_form
from cephalog.core.time import patient_today
from cephalog.patients.models import Patient
from cephalog.safety import actions, queries, reports
from cephalog.safety.forms import AcknowledgeForm, AdverseEventForm, PeriodForm, RegisterFilterForm
from cephalog.safety.models import AdverseEvent, CheckIn


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


def _event_form(
    request: HttpRequest,
    patient: Patient,
    form: AdverseEventForm,
    event: AdverseEvent | None,
    write: Callable[[dict[str, Any]], object],
    saved: str,
) -> HttpResponse:
    """The adverse-event form (new when `event` is None): a valid post is handed to `write`
    and goes back to the patient's events; otherwise the form, its reading audited."""
    if request.method == "POST" and form.is_valid():
        try:
            write(_event_form_fields(form.cleaned_data))
        except ValidationError as error:
            add_validation_to_form(form, error)
        else:
            messages.success(request, saved)
            return redirect("safety-patient-events", patient.pk)
    object_ref = "new" if event is None else f"adverse_event:{event.pk}"
    record(action="read", category="adverse_event", patient=patient, object_ref=object_ref)
    return render(
        request,
        "safety/event_form.html",
        {"patient": patient, "form": form, "event": event, **FIELD_GROUPS},
    )


@patient_view(staff_only=True, roles=CLINICAL_ROLES)
def event_new(request: HttpRequest, patient: Patient) -> HttpResponse:
    form = AdverseEventForm(
        request.POST or None,
        patient=patient,
        initial={"onset": patient_today(patient)},
    )
    return _event_form(
        request,
        patient,
        form,
        None,
        lambda fields: actions.record_adverse_event(patient=patient, user=_user(request), **fields),
        "Adverse event recorded.",
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
    return _event_form(
        request,
        patient,
        form,
        event,
        lambda fields: actions.update_adverse_event(event=event, user=_user(request), **fields),
        "Adverse event updated.",
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
