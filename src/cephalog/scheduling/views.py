"""Calendar pages (patient and staff), the clinic schedule, and the iCalendar feeds."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from cephalog.accounts.access import patient_only, patient_view, staff_clinic_ids, staff_view
from cephalog.accounts.models import Clinic
from cephalog.accounts.rules_queries import earliest_interval_days
from cephalog.audit.actions import record
from cephalog.core.time import patient_today
from cephalog.domain.schedule import what_to_expect
from cephalog.outcomes.queries import interval_rule
from cephalog.patients.models import Patient
from cephalog.scheduling import actions, feeds, queries, reminder_actions
from cephalog.scheduling.forms import AuthorisationForm, CancelForm, RescheduleForm
from cephalog.scheduling.models import Appointment, AppointmentKind, AppointmentStatus


def _day(d: dt.date, today: dt.date) -> str:
    return f"{d.day} {d:%B}" + ("" if d.year == today.year else f" {d.year}")


@dataclass(frozen=True)
class Item:
    """An appointment as the patient reads it."""

    appt: Appointment
    when: str

    @property
    def cancelled(self) -> bool:
        return self.appt.status == AppointmentStatus.CANCELLED


def when_text(appt: Appointment, today: dt.date) -> str:
    """'due 12 March, can be from 5 March', '12 March to 16 March', 'Thursday 12 March at 10:30'."""
    day = _day(appt.date, today)
    if appt.status == AppointmentStatus.CANCELLED:
        return f"cancelled (was {day})"
    if appt.time is not None:
        return f"{appt.date:%A} {day} at {appt.time:%H:%M}"
    if appt.kind == AppointmentKind.SESSION and appt.status == AppointmentStatus.PLANNED:
        text = f"due {day}"
        if appt.earliest < appt.date:
            text += f", can be from {_day(appt.earliest, today)}"
        return text
    if appt.kind == AppointmentKind.QUESTIONNAIRE and appt.latest is not None:
        # The whole window, as the questionnaire page says it (issue 16.5): from 7 days
        # before the earliest session day to the day it is due.
        return f"{_day(appt.earliest, today)} to {_day(appt.latest, today)}"
    if appt.latest is not None and appt.latest > appt.date:
        return f"{day} to {_day(appt.latest, today)}"
    return day


def _feed_url(name: str, token: str | None) -> str | None:
    if token is None:
        return None
    return settings.SITE_URL.rstrip("/") + reverse(name, args=[token])


def _webcal(url: str | None) -> str | None:
    return "webcal://" + url.split("://", 1)[1] if url else None


# --- the patient's own pages ----------------------------------------------------------


@patient_only
def patient_calendar(request: HttpRequest, patient: Patient) -> HttpResponse:
    today = patient_today(patient)
    actions.sync_plan(patient=patient, today=today)
    cal = queries.patient_calendar(patient, today)
    feed_url = _feed_url("patient-feed", queries.live_token(patient=patient))
    completed = actions.completed_session_dates(patient)
    record(action="read", category="treatment_calendar", patient=patient)
    return render(
        request,
        "scheduling/patient_calendar.html",
        {
            "patient": patient,
            "next_session": cal.next_session,
            # The plan dates a first session before anyone decided to start: say so.
            "first_session": not completed,
            "next_when": when_text(cal.next_session, today) if cal.next_session else "",
            "upcoming": [Item(a, when_text(a, today)) for a in cal.upcoming],
            "past": [Item(a, when_text(a, today)) for a in cal.past],
            "expect": what_to_expect(
                today,
                completed,
                interval_rule(patient, earliest_interval_days(patient.clinic)),
            ),
            "feed_url": feed_url,
            "webcal_url": _webcal(feed_url),
        },
    )


@require_POST
@patient_only
def patient_feed_renew(request: HttpRequest, patient: Patient) -> HttpResponse:
    actions.issue_feed_token(patient=patient, by=request.user)
    messages.success(request, "Your calendar link is ready. Any older link has stopped working.")
    return redirect(reverse("patient-calendar") + "#subscribe")


@require_POST
@patient_only
def patient_feed_revoke(request: HttpRequest, patient: Patient) -> HttpResponse:
    actions.revoke_feed_token(patient=patient, by=request.user)
    messages.success(request, "Your calendar link has stopped working.")
    return redirect(reverse("patient-calendar") + "#subscribe")


# --- staff: one patient's calendar -----------------------------------------------------


@patient_view(staff_only=True)
def staff_patient_calendar(request: HttpRequest, patient: Patient) -> HttpResponse:
    today = patient_today(patient)
    actions.sync_plan(patient=patient, today=today)
    record(action="read", category="treatment_calendar", patient=patient)
    return render(
        request,
        "scheduling/staff_calendar.html",
        {
            "patient": patient,
            "today": today,
            "appointments": queries.staff_appointments(patient),
            "reminders": [
                (r, reminder_actions.JOB.gave_up(r)) for r in queries.recent_reminders(patient)
            ],
            "has_feed": queries.live_token(patient=patient) is not None,
            "auth_form": AuthorisationForm(),
            "sessions_done": len(actions.completed_session_dates(patient)),
        },
    )


def _errors(request: HttpRequest, error: ValidationError | Any) -> None:
    if isinstance(error, ValidationError):
        texts = error.messages
    else:  # form errors
        texts = [f"{field.replace('_', ' ')}: {' '.join(msgs)}" for field, msgs in error.items()]
    for text in texts:
        messages.error(request, text)


def _write_form(
    request: HttpRequest, form: Any, write: Callable[[dict[str, Any]], object], saved: str
) -> None:
    """`write(cleaned_data)` of a valid form; its problems, or `saved`, as messages."""
    if not form.is_valid():
        _errors(request, form.errors)
    else:
        try:
            write(form.cleaned_data)
        except ValidationError as error:
            _errors(request, error)
        else:
            messages.success(request, saved)


def _change_appointment(
    request: HttpRequest,
    patient: Patient,
    appointment_id: int,
    form: Any,
    write: Callable[[Appointment, dict[str, Any]], object],
    done: str,
) -> HttpResponse:
    """A staff change to one of the patient's appointments: `write(appointment,
    cleaned_data)`; its problems, or "<kind> <done>", as messages, then back to the
    appointment on the calendar."""
    appt = get_object_or_404(Appointment, pk=appointment_id, patient=patient)
    _write_form(request, form, lambda data: write(appt, data), f"{appt.get_kind_display()} {done}")
    return redirect(reverse("staff-patient-calendar", args=[patient.pk]) + f"#appt-{appt.pk}")


@require_POST
@patient_view(staff_only=True)
def staff_reschedule(request: HttpRequest, patient: Patient, appointment_id: int) -> HttpResponse:
    return _change_appointment(
        request,
        patient,
        appointment_id,
        RescheduleForm(request.POST),
        lambda appt, data: actions.reschedule(
            appointment=appt,
            new_date=data["new_date"],
            new_time=data["new_time"],
            reason=data["reason"],
            by=request.user,
        ),
        "moved. The history keeps the old date.",
    )


@require_POST
@patient_view(staff_only=True)
def staff_cancel(request: HttpRequest, patient: Patient, appointment_id: int) -> HttpResponse:
    return _change_appointment(
        request,
        patient,
        appointment_id,
        CancelForm(request.POST),
        lambda appt, data: actions.cancel(appointment=appt, reason=data["reason"], by=request.user),
        "cancelled.",
    )


@require_POST
@patient_view(staff_only=True)
def staff_authorisation(request: HttpRequest, patient: Patient) -> HttpResponse:
    _write_form(
        request,
        AuthorisationForm(request.POST),
        lambda data: actions.set_authorisation_end(
            patient=patient, end=data["end"], by=request.user
        ),
        "Authorisation end date saved.",
    )
    return redirect("staff-patient-calendar", patient.pk)


@require_POST
@patient_view(staff_only=True)
def staff_revoke_patient_feed(request: HttpRequest, patient: Patient) -> HttpResponse:
    actions.revoke_feed_token(patient=patient, by=request.user)
    messages.success(request, "The patient's calendar link has stopped working.")
    return redirect("staff-patient-calendar", patient.pk)


# --- staff: the clinic schedule ----------------------------------------------------------


@staff_view()
def clinic_schedule(request: HttpRequest) -> HttpResponse:
    clinic_ids = staff_clinic_ids(request.user)
    today = timezone.localdate()
    weeks_asked = request.GET.get("weeks", "")
    weeks = (
        int(weeks_asked)
        if weeks_asked in {str(w) for w in queries.SCHEDULE_WINDOWS}
        else (queries.SCHEDULE_WEEKS)
    )
    # Patients written in bulk (demo, imports) may not have their plan stored yet.
    actions.sync_stale_plans(clinic_ids=clinic_ids)
    schedule = queries.clinic_schedule(clinic_ids, today, weeks)
    clinics = list(Clinic.objects.filter(pk__in=clinic_ids))
    tokens = queries.live_clinic_tokens(clinics, request.user)
    record(
        action="read",
        category="clinic_schedule",
        detail={"count": len(schedule), "overdue": len(schedule.overdue), "weeks": weeks},
    )
    return render(
        request,
        "scheduling/clinic_schedule.html",
        {
            "schedule": schedule,
            "today": today,
            "weeks": weeks,
            "windows": queries.SCHEDULE_WINDOWS,
            "clinics": [
                {
                    "clinic": c,
                    "feed_url": _feed_url("clinic-feed", tokens.get(c.pk)),
                    "can_manage": True,  # each member of staff manages their own link
                }
                for c in clinics
            ],
        },
    )


def _managed_clinic(request: HttpRequest, clinic_id: int) -> Clinic:
    if clinic_id not in staff_clinic_ids(request.user):
        raise Http404("Not found")
    return get_object_or_404(Clinic, pk=clinic_id)


@require_POST
@staff_view()
def clinic_feed_renew(request: HttpRequest, clinic_id: int) -> HttpResponse:
    clinic = _managed_clinic(request, clinic_id)
    actions.issue_feed_token(clinic=clinic, by=request.user)
    messages.success(
        request, f"Your new calendar link for {clinic.name}; your old one stopped working."
    )
    return redirect("clinic-schedule")


@require_POST
@staff_view()
def clinic_feed_revoke(request: HttpRequest, clinic_id: int) -> HttpResponse:
    clinic = _managed_clinic(request, clinic_id)
    actions.revoke_feed_token(clinic=clinic, by=request.user)
    messages.success(request, f"Your calendar link for {clinic.name} has stopped working.")
    return redirect("clinic-schedule")


# --- the feeds: no login, the secret address is the credential ------------------------------


def _ics(body: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["Cache-Control"] = "private, max-age=900"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


@require_safe
def patient_feed(request: HttpRequest, token: str) -> HttpResponse:
    owner = queries.token_owner(token)
    if owner is None or owner.patient is None:
        raise Http404("No such calendar")
    patient = owner.patient
    # Calendar apps poll; the plan is brought up to date here too, not only on page views.
    actions.sync_plan(patient=patient)
    appointments = list(Appointment.objects.filter(patient=patient).order_by("date", "id"))
    record(
        action="read",
        category="calendar_feed",
        patient=patient,
        object_ref=f"feed:{owner.pk}",
        detail={"feed": "patient", "events": len(appointments)},
    )
    return _ics(feeds.patient_feed(patient, appointments), "treatment.ics")


@require_safe
def clinic_feed(request: HttpRequest, token: str) -> HttpResponse:
    owner = queries.token_owner(token)
    if owner is None or owner.clinic is None:
        raise Http404("No such calendar")
    clinic = owner.clinic
    appointments = list(queries.clinic_feed_appointments(clinic, timezone.localdate()))
    record(
        action="read",
        category="calendar_feed",
        clinic_id=clinic.pk,
        user=owner.holder,
        object_ref=f"feed:{owner.pk}",
        detail={"feed": "clinic", "events": len(appointments)},
    )
    return _ics(feeds.clinic_feed(clinic, appointments), "clinic-schedule.ics")
