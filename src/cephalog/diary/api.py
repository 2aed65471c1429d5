"""The diary JSON API (issue 3, part 7).

- `GET /api/me/diary?start=&end=`: the patient's own recorded days, with flags and reasons.
- `PUT /api/me/diary/{date}`: create (201) or update (200) a day; 422 with the domain's messages;
  409 with the stored day when the body's `version` is not the stored one (optimistic locking).
- `DELETE /api/me/diary/{date}`: 204; the removed version is kept as a revision.
- `GET /api/patients/{patient_id}/diary?start=&end=`: clinic staff, their clinic's patients only.

Anyone else gets 404 (a patient's existence is not revealed). Every read and
write leaves an audit row; list endpoints run a constant number of queries.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Schema, Status
from pydantic import Field

from cephalog.accounts.access import STAFF_ROLES, staff_clinic_ids
from cephalog.accounts.rules_queries import own_patient_and_rules
from cephalog.audit.actions import record
from cephalog.core.errors import AppError
from cephalog.core.time import patient_today
from cephalog.diary.actions import (
    DiaryConflict,
    DiaryError,
    delete_day,
    save_day,
    save_once,
)
from cephalog.diary.attack_actions import validation_messages
from cephalog.diary.models import DiaryEntry, EntrySource
from cephalog.diary.queries import get_entry
from cephalog.diary.schemas import (
    Conflict,
    DayIn,
    DayOut,
    DiaryOut,
    Errors,
    IsoDate,
    Message,
    day_out,
    days_out,
)
from cephalog.domain.rulesets import Rules
from cephalog.patients.models import Patient

router = Router(tags=["diary"])

#: The longest range one list request may ask for (two years and a day).
MAX_RANGE_DAYS = 731
#: Without `start`, a list covers the latest 28 days (spec section 3's window).
DEFAULT_DAYS = 28

#: Declared on every operation: 400 (body is not JSON), 401 (not logged in), 403 (CSRF),
#: 404 (no such patient or day, or not yours to see), 422 (invalid input).
ERRORS: dict[int, Any] = {400: Message, 401: Message, 403: Message, 404: Message, 422: Errors}


class ApiError(AppError):
    """A refusal with a status and messages, rendered by cephalog.api: 422 as
    `{"errors": [...]}`, any other status as `{"detail": "..."}`."""

    def __init__(self, status: int, messages: list[str]) -> None:
        super().__init__([("", m) for m in messages])
        self.status = status


class Range(Schema):
    start: IsoDate | None = Field(
        None, description="First date, YYYY-MM-DD (default: end − 27 days)"
    )
    end: IsoDate | None = Field(
        None, description="Last date, YYYY-MM-DD (default: the patient's today)"
    )


def _user_id(request: HttpRequest) -> int:
    user_id = request.user.pk
    if user_id is None:  # the session auth has let in a logged-in user only
        raise ApiError(401, ["Unauthorized"])
    return int(user_id)


def _own_patient(request: HttpRequest) -> tuple[Patient, Rules]:
    """The logged-in patient, read once and narrowly (patients.queries.own_patient), and
    the clinic's rules, in the same statement on PostgreSQL; with the shared cache, read
    with the session instead (accounts.rules_queries.own_patient_and_rules)."""
    found = own_patient_and_rules(_user_id(request))
    if found is None:
        raise ApiError(404, ["Not found"])
    return found


def _clinic_patient(request: HttpRequest, patient_id: uuid.UUID) -> Patient:
    clinic_ids = staff_clinic_ids(request.user, STAFF_ROLES)
    patient = (
        Patient.objects.select_related("clinic")
        .filter(pk=patient_id, clinic_id__in=clinic_ids)
        .exclude(user_id=_user_id(request))
        .first()
        if clinic_ids
        else None
    )
    if patient is None:
        raise ApiError(404, ["Not found"])
    return patient


def _range(patient: Patient, query: Range) -> tuple[dt.date, dt.date]:
    end = query.end or patient_today(patient)
    try:
        start = query.start or end - dt.timedelta(days=DEFAULT_DAYS - 1)
    except OverflowError:  # found by make fuzz: end=0001-01-01 without a start
        earliest = dt.date.min + dt.timedelta(days=DEFAULT_DAYS - 1)
        raise ApiError(422, [f"end: without a start, must be on or after {earliest}"]) from None
    if end < start:
        raise ApiError(422, [f"end: must not be before start {start.isoformat()}"])
    if (end - start).days >= MAX_RANGE_DAYS:
        raise ApiError(422, [f"end: a request covers at most {MAX_RANGE_DAYS} days"])
    return start, end


def _answer(request: HttpRequest, data: dict[str, Any], status: int = 200) -> HttpResponse:
    """`data` rendered as the API renders, without validating it against the declared
    schema again (for 28 days that took a sixth of the request's CPU): day_out gives
    the DayOut shape, which tests/diary/test_api_diary.py checks against the schema."""
    from cephalog.api import api  # the API this router is mounted on

    return api.create_response(request, data, status=status)


def _diary(
    patient: Patient, start: dt.date, end: dt.date, rules: Rules | None = None
) -> dict[str, Any]:
    days = days_out(patient, start, end, rules)
    record(
        action="read",
        category="diary",
        patient=patient,
        object_ref=f"diary:{start.isoformat()}..{end.isoformat()}",
        detail={"days": len(days), "via": "api"},
    )
    return {"start": start.isoformat(), "end": end.isoformat(), "days": days}


@router.get("/me/diary", response={200: DiaryOut, **ERRORS}, summary="My diary days", by_alias=True)
def my_diary(request: HttpRequest, query: Query[Range]) -> Any:
    """The logged-in patient's recorded days between `start` and `end` (inclusive)."""
    patient, rules = _own_patient(request)
    start, end = _range(patient, query)
    return _answer(request, _diary(patient, start, end, rules))


def _expected_version(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 2**31 - 1:
        raise ApiError(422, ["version: must be a whole number from 0 (the day you last read)"])
    return value


@router.put(
    "/me/diary/{date}",
    response={200: DayOut, 201: DayOut, 409: Conflict, **ERRORS},
    summary="Record or correct one of my days",
    by_alias=True,
)
def put_my_day(request: HttpRequest, date: IsoDate, payload: DayIn) -> Any:
    """Create (201) or update (200) the day; the previous version is kept. The body is
    validated by the same rules, with the same messages, as the diary form.

    With `version` (the version you last read, 0 for a day not recorded yet), a day
    changed in the meantime is not overwritten: 409 with the day as it is now."""
    patient, rules = _own_patient(request)
    data = payload.model_dump(exclude_unset=True)
    expected = _expected_version(data.pop("version", None))
    key = _idempotency_key(data.pop("idempotency_key", None))
    if data.get("date") not in (None, date.isoformat()):
        raise ApiError(422, [f"date: must be the date in the URL, {date.isoformat()}"])
    data["date"] = date.isoformat()
    replayed = False
    try:
        if key is None:
            entry = save_day(
                patient=patient,
                data=data,
                by=request.user,
                source=EntrySource.PATIENT,
                expected_version=expected,
            )
        else:
            entry, replayed = save_once(
                patient=patient,
                key=key,
                date=date,
                save=lambda: save_day(
                    patient=patient,
                    data=data,
                    by=request.user,
                    source=EntrySource.PATIENT,
                    expected_version=expected,
                ),
            )
    except DiaryConflict as conflict:
        current = get_entry(patient, date)
        return Status(
            409,
            {
                "detail": "; ".join(conflict.problems),
                "current": day_out(current, rules) if current is not None else None,
            },
        )
    except DiaryError as error:
        raise ApiError(422, error.problems) from None
    except ValidationError as error:
        raise ApiError(422, validation_messages(error)) from None
    # A new day starts at version 1; each update adds one. The entry comes with its medicines.
    # A replayed key answers 200 with the day as stored (nothing new was written).
    status = 201 if entry.version == 1 and not replayed else 200
    response = _answer(request, day_out(entry, rules), status)
    if replayed:
        response["Idempotent-Replayed"] = "true"
    return response


def _idempotency_key(value: Any) -> uuid.UUID | None:
    if value is None:
        return None
    if isinstance(value, str):
        try:
            return uuid.UUID(value)
        except ValueError:
            pass
    raise ApiError(422, ["idempotency_key: must be a UUID made once per entry"])


@router.delete(
    "/me/diary/{date}",
    response={204: None, **ERRORS},
    summary="Remove one of my days (it becomes unrecorded)",
)
def delete_my_day(request: HttpRequest, date: IsoDate) -> Any:
    patient, _ = _own_patient(request)
    if not DiaryEntry.objects.filter(patient=patient, date=date).exists():
        raise ApiError(404, [f"No diary entry on {date.isoformat()}"])
    try:
        delete_day(patient=patient, date=date, by=request.user)
    except DiaryError as error:
        raise ApiError(422, error.problems) from None
    return Status(204, None)


@router.get(
    "/patients/{patient_id}/diary",
    response={200: DiaryOut, **ERRORS},
    summary="A patient's diary days (clinic staff)",
    by_alias=True,
)
def patient_diary(request: HttpRequest, patient_id: uuid.UUID, query: Query[Range]) -> Any:
    """Staff of the patient's clinic only; everyone else gets 404."""
    patient = _clinic_patient(request, patient_id)
    start, end = _range(patient, query)
    return _answer(request, _diary(patient, start, end))
