"""The patient's other pages: home, the one-tap no-headache day, the calendar and settings."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from cephalog.accounts.access import patient_only
from cephalog.audit.actions import record
from cephalog.core.time import local_now, patient_today
from cephalog.diary import summaries
from cephalog.diary.actions import DiaryError, save_day, set_reminder_time
from cephalog.diary.forms import ReminderForm, sentence
from cephalog.diary.queries import get_entry
from cephalog.diary.views.common import HtmxRequest, _read, month_page
from cephalog.diary.views.sync import _sync_no_headache, is_sync
from cephalog.patients.models import Patient


def _home_context(patient: Patient, today: dt.date) -> dict[str, Any]:
    return {
        "patient": patient,
        "home": summaries.patient_home(patient, today),
        "day_classes": summaries.DAY_CLASSES,
        "nav": "home",
    }


@patient_only
def home(request: HttpRequest, patient: Patient) -> HttpResponse:
    """Today's status, one-tap "no headache", the missed days, the last 28 days."""
    context = _home_context(patient, patient_today(patient))
    _read(patient, "home")
    return render(request, "diary/home.html", context)


@patient_only
@require_POST
def no_headache(request: HtmxRequest, patient: Patient) -> HttpResponse:
    """One tap: record a headache-free day (today, or a missed day in the window).

    A day that is already filled in is left alone: the tap may be a second one,
    and a headache day must never be overwritten by it.
    """
    today = patient_today(patient)
    try:
        date = dt.date.fromisoformat(request.POST.get("date") or today.isoformat())
    except ValueError:
        return render(
            request, "errors/error.html", {"title": "Bad request", "status": 400}, status=400
        )
    if is_sync(request):
        return _sync_no_headache(request, patient, date, today)
    when = "today" if date == today else f"on {date:%A} {date.day} {date:%B}"
    if get_entry(patient, date) is not None:
        status, level = f"You have already filled in {when.removeprefix('on ')}.", messages.INFO
    else:
        try:
            save_day(
                patient=patient,
                data={"date": date.isoformat(), "headache_hours": 0},
                by=request.user,
                today=today,
            )
        except DiaryError as error:
            status, level = " ".join(sentence(p) for p in error.problems), messages.ERROR
        else:
            status, level = f"Saved: no headache {when}. Thank you!", messages.SUCCESS
    if request.htmx:
        context = _home_context(patient, today)
        _read(patient, "home")
        return render(request, "diary/_home_swap.html", {**context, "status": status})
    messages.add_message(request, level, status)
    return redirect("diary-home")


@patient_only
def calendar_page(request: HttpRequest, patient: Patient) -> HttpResponse:
    return month_page(
        request,
        patient,
        build=summaries.patient_calendar,
        template="diary/calendar.html",
        ref="month",
        nav="calendar",
    )


@patient_only
def settings_page(request: HttpRequest, patient: Patient) -> HttpResponse:
    """The evening reminder time (the reminder itself is sent by the calendar feature)."""
    if request.method == "POST":
        form = ReminderForm(request.POST)
        if form.is_valid():
            at = form.cleaned_data["reminder_time"]
            set_reminder_time(patient=patient, at=at)
            messages.success(
                request,
                f"Saved: we will remind you at {at:%H:%M} each evening."
                if at
                else "Saved: evening reminders are off.",
            )
            return redirect("diary-settings")
    else:
        form = ReminderForm(initial={"reminder_time": patient.diary_reminder_time})
        record(action="read", category="diary_settings", patient=patient)
    local = local_now(patient)  # the time zone card: what her diary's clock says now
    return render(
        request,
        "diary/settings.html",
        {
            "patient": patient,
            "form": form,
            "nav": "settings",
            "local_time": f"{local:%H:%M}",
            "local_today": local.date(),
        },
    )
