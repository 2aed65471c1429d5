"""Diary pages: the patient's own (under /me/, phone first) and the clinic's view of a
patient's diary. Decorators load and check; `actions` write; `queries`/`summaries` read;
every read of diary data leaves an audit row."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import uuid
import zoneinfo
from pathlib import Path
from typing import Any

from django.contrib import messages
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST
from django_htmx.middleware import HtmxDetails

from cephalog.accounts.access import CLINICAL_ROLES, patient_only, patient_view, staff_clinic_ids
from cephalog.audit.actions import record
from cephalog.core.time import patient_today
from cephalog.diary import summaries
from cephalog.diary.actions import (
    DiaryConflict,
    DiaryError,
    save_day,
    save_once,
    set_reminder_time,
)
from cephalog.diary.attack_actions import (
    attack_times,
    day_attack,
    hours_by_date,
    save_day_with_attack,
)
from cephalog.diary.forms import (
    DayForm,
    ReminderForm,
    StaffDayForm,
    attach_problems,
    check_day,
    day_payload,
    describe_data,
    describe_entry,
    error_summary,
    initial_from_entry,
    medicine_formset,
    saved_summary,
    sentence,
)
from cephalog.diary.models import DiaryEntry, DiaryEntryRevision, DiarySubmission, EntrySource
from cephalog.diary.queries import ClassifiedDay, get_entry, to_day
from cephalog.domain.catalogue import SUGGESTIONS
from cephalog.domain.diary import classify_day
from cephalog.eligibility.queries import clinic_rules_by_id
from cephalog.patients.models import Patient


class HtmxRequest(HttpRequest):
    htmx: HtmxDetails


def _read(patient: Patient, ref: str) -> None:
    record(action="read", category="diary", patient=patient, object_ref=f"diary:{ref}")


# --- The patient's pages ---------------------------------------------------------------


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
    form_class = StaffDayForm if staff else DayForm
    rows: list[int] = []
    questions: list[str] = []
    if request.method == "POST":
        form = form_class(request.POST)
        medicines = medicine_formset(request.POST)
        ready = form.is_valid() and medicines.is_valid()
        if ready:
            data, rows = day_payload(date, form, medicines)
            start, end = _times(patient, date, form)
            spread = hours_by_date(patient, start, end) if start and end else {}
            if not request.POST.get("confirmed"):
                questions = check_day(form, data, spread, date)
            # check_day may add an error (a severity with no hours) or ask a question.
            ready = form.is_valid() and not questions
        if ready:

            def save() -> tuple[DiaryEntry, dict[dt.date, float]]:
                return save_day_with_attack(
                    patient=patient,
                    data=data,
                    start=start,
                    end=end,
                    by=request.user,
                    today=today,
                    reason=form.cleaned_data.get("reason", ""),
                    source=EntrySource.STAFF if staff else EntrySource.PATIENT,
                    expected_version=form.cleaned_data.get("version"),
                )

            try:
                key = None if staff else _sync_key(request)
                if key is None:
                    saved, spread = save()
                else:
                    # An entry kept on the phone, saved from its form: stored once, so the
                    # phone sending it later is answered "replayed" (issue 16.2).
                    saved, _ = save_once(
                        patient=patient, key=key, date=date, save=lambda: save()[0]
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
                form.add_error(None, conflict_message(conflict, staff=staff))
            except DiaryError as error:
                attach_problems(error.problems, form, medicines, rows, for_patient=not staff)
            else:
                messages.success(
                    request, saved_summary(saved, spread) + ("" if staff else " Thank you!")
                )
                return redirect(done_url)
    else:
        initial, taken = initial_from_entry(entry)
        initial["version"] = entry.version if entry is not None else 0
        attack = day_attack(patient, date) if entry is not None else None
        if attack is not None:
            tz = zoneinfo.ZoneInfo(patient.time_zone)
            initial["attack_start"] = attack.start.astimezone(tz).time()
            initial["attack_end"] = attack.end.astimezone(tz).time()
        form = form_class(initial=initial)
        medicines = medicine_formset(initial=taken)
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
            "shown": _classified(entry),
            "suggestions": SUGGESTIONS,
            **extra,
        },
    )


# --- The offline diary sends what was typed offline (issue 16.2) ----------------------------


def is_sync(request: HttpRequest) -> bool:
    """A day sent by the offline diary (cephalog/offline.js), answered in JSON."""
    return request.headers.get("X-Cephalog-Sync") == "1"


def _sync_answer(status: str, code: int = 200, **extra: Any) -> JsonResponse:
    return JsonResponse({"status": status, **extra}, status=code)


def _sync_key(request: HttpRequest) -> uuid.UUID | None:
    try:
        return uuid.UUID(request.POST.get("idempotency_key", ""))
    except ValueError:
        return None


def _sync_conflict(entry: DiaryEntry | None, mine: str) -> JsonResponse:
    """The clinic changed the day meanwhile: both versions, for the patient to choose."""
    return _sync_answer(
        "conflict",
        409,
        version=entry.version if entry is not None else 0,
        clinic=describe_entry(entry) if entry is not None else "Nothing (the day was removed)",
        mine=mine,
    )


def _sync_day(
    request: HttpRequest, patient: Patient, date: dt.date, today: dt.date
) -> JsonResponse:
    """The day form's fields as typed offline, with their idempotency key: saved once
    (however often sent), or the reason it was not, in plain words."""
    key = _sync_key(request)
    if key is None:
        return _sync_answer("invalid", 422, problems=["Open this day and save it again."])
    if date > today:
        return _sync_answer("invalid", 422, problems=["That day has not happened yet."])
    form, medicines = DayForm(request.POST), medicine_formset(request.POST)
    if not (form.is_valid() and medicines.is_valid()):
        return _sync_answer("invalid", 422, problems=[t for _, t in error_summary(form, medicines)])
    data, rows = day_payload(date, form, medicines)
    start, end = _times(patient, date, form)
    spread = hours_by_date(patient, start, end) if start and end else {}
    questions = [] if request.POST.get("confirmed") else check_day(form, data, spread, date)
    if questions or not form.is_valid():
        problems = questions + [t for _, t in error_summary(form, medicines)]
        return _sync_answer("question", 422, problems=problems)
    try:
        entry, replayed = save_once(
            patient=patient,
            key=key,
            date=date,
            save=lambda: save_day_with_attack(
                patient=patient,
                data=data,
                start=start,
                end=end,
                by=request.user,
                today=today,
                expected_version=form.cleaned_data.get("version"),
            )[0],
        )
    except DiaryConflict as conflict:
        return _sync_conflict(conflict.current, describe_data(data))
    except DiaryError as error:
        attach_problems(error.problems, form, medicines, rows, for_patient=True)
        return _sync_answer("invalid", 422, problems=[t for _, t in error_summary(form, medicines)])
    return _sync_answer("replayed" if replayed else "saved", message=saved_summary(entry, spread))


def _sync_no_headache(
    request: HttpRequest, patient: Patient, date: dt.date, today: dt.date
) -> JsonResponse:
    """A one-tap "no headache" made offline: never overwrites a day recorded meanwhile
    (a headache recorded by the clinic is shown beside it for the patient to choose)."""
    key = _sync_key(request)
    if key is None:
        return _sync_answer("invalid", 422, problems=["Open this day and save it again."])
    current = get_entry(patient, date)
    if current is not None and DiarySubmission.objects.filter(patient=patient, key=key).exists():
        return _sync_answer("replayed", message=saved_summary(current, {}))
    if current is not None:
        if not current.headache_hours:
            return _sync_answer("saved", message=saved_summary(current, {}))
        return _sync_conflict(current, "No headache")
    try:
        entry, replayed = save_once(
            patient=patient,
            key=key,
            date=date,
            save=lambda: save_day(
                patient=patient,
                data={"date": date.isoformat(), "headache_hours": 0},
                by=request.user,
                today=today,
                expected_version=0,
            ),
        )
    except DiaryConflict as conflict:
        return _sync_conflict(conflict.current, "No headache")
    except DiaryError as error:
        return _sync_answer("invalid", 422, problems=[sentence(p) for p in error.problems])
    return _sync_answer("replayed" if replayed else "saved", message=saved_summary(entry, {}))


def _times(
    patient: Patient, date: dt.date, form: DayForm
) -> tuple[dt.datetime | None, dt.datetime | None]:
    start, end = form.cleaned_data.get("attack_start"), form.cleaned_data.get("attack_end")
    if start is None or end is None:
        return None, None
    return attack_times(patient, date, start, end)


def conflict_message(conflict: DiaryConflict, *, staff: bool) -> str:
    """Who changed the day under the editor, in words; their version is shown on the page."""
    entry = conflict.current
    if entry is None:
        return (
            "This day was removed by someone else while you were editing it. "
            "Save again to record it anew."
        )
    revision = (
        DiaryEntryRevision.objects.filter(
            patient_id=entry.patient_id, date=entry.date, version=entry.version - 1
        )
        .select_related("changed_by")
        .order_by("-changed_at")
        .first()
    )
    who = "someone else"
    if revision is not None and revision.changed_by is not None:
        who = revision.changed_by.username if staff else "your clinic or another device"
    when = timezone.localtime(entry.updated_at).strftime("%H:%M")
    return (
        f"This day was changed by {who} at {when} while you were editing it "
        f"(it is now version {entry.version}; you started from version {conflict.expected}). "
        "Their entry is shown above and your changes are still in the form: check them, "
        "then save again to replace their entry."
    )


def _classified(entry: DiaryEntry | None) -> ClassifiedDay | None:
    if entry is None:
        return None
    day = to_day(entry)
    # classed as the clinic's pages class it (spec section 11.1)
    rules = clinic_rules_by_id(patient_id=entry.patient_id)
    return ClassifiedDay(entry.date, day, classify_day(day, rules.definition, rules.named), entry)


@patient_only
def day(request: HttpRequest, patient: Patient, date: dt.date) -> HttpResponse:
    """The evening report for one date; days before the backfill window are read-only."""
    today = patient_today(patient)
    if request.method == "POST" and is_sync(request):
        return _sync_day(request, patient, date, today)
    if date > today:
        raise Http404("That day has not happened yet")
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


@patient_only
def offline_day(request: HttpRequest, patient: Patient) -> HttpResponse:
    """The day form for any date, kept by the service worker: offline, it stands in for a
    day page not seen before (the date comes from the address, cephalog/offline.js).
    Its version is 0 ("not recorded yet"): a day recorded meanwhile comes back as a
    conflict for the patient to choose, never silently overwritten."""
    form = DayForm(initial={"version": 0})
    return render(
        request,
        "diary/offline_day.html",
        {
            "patient": patient,
            "form": form,
            "medicines": medicine_formset(),
            "errors": [],
            "suggestions": SUGGESTIONS,
        },
    )


@functools.cache
def _service_worker_source() -> str:
    path = finders.find("cephalog/sw.js")
    if path:
        return Path(str(path)).read_text()
    with staticfiles_storage.open("cephalog/sw.js") as file:
        return str(file.read().decode())


#: What the service worker keeps for offline use besides the pages (their URLs differ
#: per deployment: hashed names in production).
SHELL_STATIC = (
    "cephalog/site.css",
    "cephalog/diary.js",
    "cephalog/offline.js",
    "django_htmx/htmx-2.min.js",
)


def service_worker(request: HttpRequest) -> HttpResponse:
    """/me/sw.js: the offline diary's service worker (static/cephalog/sw.js), served under
    /me/ so that its scope covers the patient's pages, with the URLs it keeps."""
    assets = [static(name) for name in SHELL_STATIC]
    pages = [reverse("diary-home"), reverse("diary-offline-day")]
    source = _service_worker_source()
    version = hashlib.sha256(("\n".join([*assets, source])).encode()).hexdigest()[:12]
    config = {"version": version, "assets": assets, "pages": pages, "login": reverse("login")}
    body = f"self.CEPHALOG = {json.dumps(config)};\n{source}"
    response = HttpResponse(body, content_type="text/javascript; charset=utf-8")
    response["Cache-Control"] = "no-cache"
    response["Service-Worker-Allowed"] = reverse("diary-home")
    return response


@patient_only
def calendar_page(request: HttpRequest, patient: Patient) -> HttpResponse:
    today = patient_today(patient)
    month = summaries.parse_month(request.GET.get("month"), today)
    data = summaries.patient_calendar(patient, month, today)
    _read(patient, f"month:{month:%Y-%m}")
    return render(
        request,
        "diary/calendar.html",
        {
            "patient": patient,
            "data": data,
            "cal": data.calendar,
            "day_classes": summaries.DAY_CLASSES,
            "nav": "calendar",
        },
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
    return render(
        request, "diary/settings.html", {"patient": patient, "form": form, "nav": "settings"}
    )


# --- The clinic's pages ------------------------------------------------------------------


@patient_view(staff_only=True)
def clinic_diary(request: HttpRequest, patient: Patient) -> HttpResponse:
    """Calendar, each day's flags with reasons, baseline and latest windows, compliance,
    the overuse screen (issue 3, part 5)."""
    today = patient_today(patient)
    month = summaries.parse_month(request.GET.get("month"), today)
    data = summaries.clinic_diary(patient, month, today)
    _read(patient, f"clinic:{month:%Y-%m}")
    return render(
        request,
        "diary/clinic.html",
        {
            "patient": patient,
            "data": data,
            "cal": data.calendar,
            "today": today,
            "day_classes": summaries.DAY_CLASSES,
            "can_edit": patient.clinic_id in staff_clinic_ids(request.user, CLINICAL_ROLES),
        },
    )


@patient_view(staff_only=True, roles=CLINICAL_ROLES)
def clinic_day(request: HttpRequest, patient: Patient, date: dt.date) -> HttpResponse:
    """Staff correct or add any past day; changing an existing entry needs a reason."""
    if date > patient_today(patient):
        raise Http404("That day has not happened yet")
    back = reverse("clinic-diary", args=[patient.pk]) + f"?month={date:%Y-%m}"
    return _day_form_page(
        request,
        patient,
        date,
        staff=True,
        done_url=back,
        template="diary/clinic_day.html",
        extra={"back": back, "revisions": summaries.revisions(patient, date)},
    )
