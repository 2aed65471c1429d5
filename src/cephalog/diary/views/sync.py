"""The offline diary sends what was typed offline (issue 16.2): answered in JSON."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, JsonResponse

from cephalog.diary.actions import DiaryConflict, DiaryError, save_day, save_once
from cephalog.diary.attack_actions import hours_by_date
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
from cephalog.diary.views.common import _times, save_form_day
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


def _sync_save(
    patient: Patient,
    key: uuid.UUID,
    date: dt.date,
    save: Callable[[], DiaryEntry],
    mine: str,
    explain: Callable[[list[str]], list[str]],
    spread: dict[dt.date, float],
) -> JsonResponse:
    """Save once per key and answer the phone: saved or replayed, a conflict with the clinic's
    version beside `mine`, or the problems in plain words (`explain`)."""
    try:
        entry, replayed = save_once(patient=patient, key=key, date=date, save=save)
    except DiaryConflict as conflict:
        return _sync_conflict(conflict.current, mine)
    except DiaryError as error:
        return _sync_answer("invalid", 422, problems=explain(error.problems))
    return _sync_answer("replayed" if replayed else "saved", message=saved_summary(entry, spread))


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

    def explain(problems: list[str]) -> list[str]:
        attach_problems(problems, form, medicines, rows, for_patient=True)
        return [t for _, t in error_summary(form, medicines)]

    def save() -> DiaryEntry:
        return save_form_day(request, patient, today, form, data, (start, end))[0]

    return _sync_save(patient, key, date, save, describe_data(data), explain, spread)


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

    def save() -> DiaryEntry:
        return save_day(
            patient=patient,
            data={"date": date.isoformat(), "headache_hours": 0},
            by=request.user,
            today=today,
            expected_version=0,
        )

    return _sync_save(
        patient, key, date, save, "No headache", lambda ps: [sentence(p) for p in ps], {}
    )
