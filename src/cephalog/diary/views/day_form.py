"""The day's form (the patient's evening report and the clinic's correction)."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from cephalog.accounts.access import patient_only
from cephalog.core.time import patient_today
from cephalog.diary import summaries
from cephalog.diary.actions import DiaryConflict, DiaryError, save_once
from cephalog.diary.attack_actions import day_attack, hours_by_date
from cephalog.diary.forms import (
    DayForm,
    StaffDayForm,
    attach_problems,
    check_day,
    day_payload,
    error_summary,
    initial_from_entry,
    medicine_formset,
    saved_summary,
)
from cephalog.diary.models import DiaryEntry
from cephalog.diary.queries import get_entry
from cephalog.diary.views.common import (
    _classified,
    _read,
    _times,
    conflict_message,
    save_form_day,
)
from cephalog.diary.views.sync import _sync_day, _sync_key, is_sync
from cephalog.domain.catalogue import SUGGESTIONS
from cephalog.patients.models import Patient


def _save_form(
    request: HttpRequest,
    patient: Patient,
    date: dt.date,
    today: dt.date,
    form: DayForm,
    data: dict[str, Any],
    times: tuple[dt.datetime | None, dt.datetime | None],
    spread: dict[dt.date, float],
    *,
    staff: bool,
) -> tuple[DiaryEntry, dict[dt.date, float]]:
    """Save the form's day (once per idempotency key, for the patient's phone)."""

    def save() -> tuple[DiaryEntry, dict[dt.date, float]]:
        return save_form_day(request, patient, today, form, data, times, staff=staff)

    key = None if staff else _sync_key(request)
    if key is None:
        return save()
    # An entry kept on the phone, saved from its form: stored once, so the
    # phone sending it later is answered "replayed" (issue 16.2).
    saved, _ = save_once(patient=patient, key=key, date=date, save=lambda: save()[0])
    return saved, spread


#: (form, medicine rows, questions, the day as stored, whether it changed under the editor)
_Shown = tuple[DayForm, Any, list[str], DiaryEntry | None, bool]


def _post_form(
    request: HttpRequest,
    patient: Patient,
    date: dt.date,
    today: dt.date,
    entry: DiaryEntry | None,
    *,
    staff: bool,
    done_url: str,
) -> HttpResponse | _Shown:
    """POST: the redirect once saved, else (form, medicines, questions, entry, conflict) to
    show again with the domain's messages next to the fields."""
    form_class = StaffDayForm if staff else DayForm
    rows: list[int] = []
    questions: list[str] = []
    form = form_class(request.POST)
    medicines = medicine_formset(request.POST)
    if not (form.is_valid() and medicines.is_valid()):
        return form, medicines, questions, entry, False
    data, rows = day_payload(date, form, medicines)
    times = start, end = _times(patient, date, form)
    spread = hours_by_date(patient, start, end) if start and end else {}
    if not request.POST.get("confirmed"):
        questions = check_day(form, data, spread, date)
    # check_day may add an error (a severity with no hours) or ask a question.
    if not form.is_valid() or questions:
        return form, medicines, questions, entry, False
    conflicted = False
    try:
        saved, spread = _save_form(
            request, patient, date, today, form, data, times, spread, staff=staff
        )
    except DiaryConflict as conflict:
        # Show the day as it is now, keep what this editor typed, and let the next
        # save (from the current version) replace it knowingly.
        entry = conflict.current
        posted = request.POST.copy()
        posted["version"] = str(entry.version if entry is not None else 0)
        form, medicines = form_class(posted), medicine_formset(posted)
        form.is_valid()
        medicines.is_valid()
        form.add_error(None, conflict_message(conflict, staff=staff, time_zone=patient.time_zone))
        conflicted = True
    except DiaryError as error:
        attach_problems(error.problems, form, medicines, rows, for_patient=not staff)
    else:
        messages.success(request, saved_summary(saved, spread) + ("" if staff else " Thank you!"))
        return redirect(done_url)
    return form, medicines, questions, entry, conflicted


def _filled_form(
    patient: Patient, date: dt.date, entry: DiaryEntry | None, *, staff: bool
) -> tuple[DayForm, Any]:
    """GET: the day's form filled with the stored entry."""
    form_class = StaffDayForm if staff else DayForm
    initial, taken = initial_from_entry(entry)
    initial["version"] = entry.version if entry is not None else 0
    attack = day_attack(patient, date) if entry is not None else None
    if attack is not None:
        tz = zoneinfo.ZoneInfo(patient.time_zone)
        initial["attack_start"] = attack.start.astimezone(tz).time()
        initial["attack_end"] = attack.end.astimezone(tz).time()
    return form_class(initial=initial), medicine_formset(initial=taken)


def _day_form_page(
    request: HttpRequest,
    patient: Patient,
    date: dt.date,
    *,
    staff: bool,
    done_url: str,
    template: str,
    extra: dict[str, Any],
) -> HttpResponse:
    """GET shows the day's form filled with the stored entry; POST saves it through
    `save_day` and shows the domain's messages next to the fields when it refuses."""
    today = patient_today(patient)
    entry = get_entry(patient, date)
    questions: list[str] = []
    conflicted = False
    if request.method == "POST":
        posted = _post_form(request, patient, date, today, entry, staff=staff, done_url=done_url)
        if isinstance(posted, HttpResponse):
            return posted
        form, medicines, questions, entry, conflicted = posted
    else:
        form, medicines = _filled_form(patient, date, entry, staff=staff)
        _read(patient, date.isoformat())
    errors = error_summary(form, medicines) if form.is_bound else []
    return render(
        request,
        template,
        {
            "patient": patient,
            "date": date,
            "today": today,
            "entry": entry,
            "form": form,
            "medicines": medicines,
            "errors": errors,
            "questions": questions,
            "conflict": conflicted,
            "shown": _classified(entry),
            "suggestions": SUGGESTIONS,
            **extra,
        },
    )


@patient_only
def day(request: HttpRequest, patient: Patient, date: dt.date) -> HttpResponse:
    """The evening report for one date; days before the backfill window are read-only."""
    today = patient_today(patient)
    if request.method == "POST" and is_sync(request):
        return _sync_day(request, patient, date, today)
    if date > today:
        # Not a bare "Page not found": a link from an email opened early, or a phone whose
        # date runs ahead of the diary's time zone, gets the way back to today.
        entry = get_entry(patient, date)
        if entry is not None:
            _read(patient, date.isoformat())
        return render(
            request,
            "diary/day_future.html",
            {"patient": patient, "date": date, "today": today, "shown": _classified(entry)},
            status=404,
        )
    oldest = summaries.oldest_editable(patient, today)
    if date < oldest:
        entry = get_entry(patient, date)
        _read(patient, date.isoformat())
        return render(
            request,
            "diary/day_locked.html",
            {
                "patient": patient,
                "date": date,
                "entry": entry,
                "shown": _classified(entry),
                "oldest": oldest,
            },
            status=403 if request.method == "POST" else 200,
        )
    return _day_form_page(
        request,
        patient,
        date,
        staff=False,
        done_url=reverse("diary-home"),
        template="diary/day.html",
        extra={"nav": "home"},
    )
