from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from django.utils import timezone

from cephalog.core.time import patient_today
from cephalog.patients.models import Patient
from cephalog.treatment.models import Session, SessionStatus
from tests.personas import Cast


def completed_session(patient: Patient, days_ago: int, *, units: int = 155) -> Session:
    """A completed session `days_ago` days before the patient's today (fixture shortcut)."""
    return Session.objects.create(
        patient=patient,
        date=patient_today(patient) - dt.timedelta(days=days_ago),
        status=SessionStatus.COMPLETED,
        total_units=units,
        sites_injected=units // 5,
    )


@pytest.fixture
def session3(cast: Cast) -> Session:
    """Ada's session three days ago: her day-3 check-in is due."""
    cast.clinic.safety_email = "safety@leeds.example.org"
    cast.clinic.save(update_fields=["safety_email"])
    return completed_session(cast.patient, 3)


@pytest.fixture
def make_session() -> Callable[..., Session]:
    return completed_session


@pytest.fixture
def now() -> dt.datetime:
    return timezone.now()


def form_data(
    *symptoms: str,
    today: dt.date,
    severity: str = "moderate",
    status: str = "present",
    **extra: str,
) -> dict[str, str]:
    """POST data of the patient's symptom form with every detail filled in."""
    import uuid

    data = {"key": str(uuid.uuid4()), **extra}
    for s in symptoms:
        data[f"sym_{s}"] = "on"
        data[f"onset_{s}"] = today.isoformat()
        data[f"severity_{s}"] = severity
        data[f"status_{s}"] = status
    return data
