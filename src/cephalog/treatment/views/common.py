"""What every session page shares: the clinic's time zone, who may write, the signed-in user,
now."""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.utils import timezone
from django.views.decorators.http import require_POST

from cephalog.accounts.access import CLINICAL_ROLES, patient_view
from cephalog.accounts.models import User
from cephalog.patients.models import Patient
from cephalog.treatment.forms import DATETIME_LOCAL


def in_clinic_time(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Forms and pages show and read times in the patient's clinic's time zone."""

    @wraps(view)
    def wrapper(request: HttpRequest, patient: Patient, *args: Any, **kwargs: Any) -> HttpResponse:
        with timezone.override(zoneinfo.ZoneInfo(patient.clinic.time_zone)):
            return view(request, patient, *args, **kwargs)

    return wrapper


def clinical_write(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponseBase]:
    """A POST that changes a patient's treatment: physicians and nurses only (never the
    patient), times read in the clinic's time zone."""
    return require_POST(patient_view(staff_only=True, roles=CLINICAL_ROLES)(in_clinic_time(view)))


def user_of(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def now_local() -> str:
    return timezone.localtime().strftime(DATETIME_LOCAL)
