"""The offline diary sends what was typed offline (issue 16.2): answered in JSON."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.http import HttpRequest, JsonResponse

from cephalog.diary.actions import DiaryConflict, DiaryError, save_day, save_once
from cephalog.diary.attack_actions import hours_by_date, save_day_with_attack
from cephalog.diary.forms import (
    DayForm,
    attach_problems,
    check_day,
    day_payload,
    describe_data,
    describe_entry,
    error_summary,
    medicine_formset,
    saved_summary,
    sentence,
)
from cephalog.diary.models import DiaryEntry, DiarySubmission
from cephalog.diary.queries import get_entry
from cephalog.diary.views.common import _times
from cephalog.patients.models import Patient


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
