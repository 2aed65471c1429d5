"""What the diary pages share: the audited read, the attack times typed in the form, the
day form's save, the words for a conflict, and a day classed as the clinic's pages class it."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django_htmx.middleware import HtmxDetails

from cephalog.accounts.rules_queries import clinic_rules_by_id
from cephalog.audit.actions import record
from cephalog.core.time import patient_today
from cephalog.diary import summaries
from cephalog.diary.actions import DiaryConflict
from cephalog.diary.attack_actions import attack_times, save_day_with_attack
from cephalog.diary.forms import DayForm
from cephalog.diary.models import DiaryEntry, DiaryEntryRevision, EntrySource
from cephalog.diary.queries import ClassifiedDay, to_day
from cephalog.domain.diary import classify_day
from cephalog.patients.models import Patient


class HtmxRequest(HttpRequest):
    htmx: HtmxDetails


def _read(patient: Patient, ref: str) -> None:
    record(action="read", category="diary", patient=patient, object_ref=f"diary:{ref}")


def _times(
    patient: Patient, date: dt.date, form: DayForm
) -> tuple[dt.datetime | None, dt.datetime | None]:
    start, end = form.cleaned_data.get("attack_start"), form.cleaned_data.get("attack_end")
    if start is None or end is None:
        return None, None
    return attack_times(patient, date, start, end)


def save_form_day(
    request: HttpRequest,
    patient: Patient,
    today: dt.date,
    form: DayForm,
    data: dict[str, Any],
    times: tuple[dt.datetime | None, dt.datetime | None],
    *,
    staff: bool = False,
) -> tuple[DiaryEntry, dict[dt.date, float]]:
    """The day form's save, by the patient or the clinic (only the clinic's form has a reason)."""
    start, end = times
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


def conflict_message(conflict: DiaryConflict, *, staff: bool, time_zone: str) -> str:
    """Who changed the day under the editor, in words; their version is shown on the page.
    The patient reads the time on her own clock and no version numbers."""
    entry = conflict.current
    if entry is None:
        return (
            "This day was removed by someone else while you were editing it. "
            "Save again to record it anew."
        )
    if not staff:
        when = entry.updated_at.astimezone(zoneinfo.ZoneInfo(time_zone)).strftime("%H:%M")
        return (
            f"This day was changed at {when} on another device or by your clinic, while you "
            "were editing it. What is saved now is shown above, and your changes are still in "
            "the form: check them, then press Save to replace what is saved."
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
        who = revision.changed_by.username
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


def month_page(
    request: HttpRequest,
    patient: Patient,
    *,
    build: Any,
    template: str,
    ref: str,
    **extra: Any,
) -> HttpResponse:
    """A month of the diary, `?month=YYYY-MM` (the patient's calendar, the clinic's diary):
    built by `build(patient, month, today)`, its read audited as `<ref>:<month>`."""
    today = patient_today(patient)
    month = summaries.parse_month(request.GET.get("month"), today)
    data = build(patient, month, today)
    _read(patient, f"{ref}:{month:%Y-%m}")
    context = {
        "patient": patient,
        "data": data,
        "cal": data.calendar,
        "today": today,
        "day_classes": summaries.DAY_CLASSES,
    }
    return render(request, template, {**context, **extra})
