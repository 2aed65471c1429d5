"""Ids, references and the small value shapes every resource is built from."""

from __future__ import annotations

import datetime as dt
import uuid
import zoneinfo
from decimal import Decimal
from typing import Any

from django.apps import apps

from cephalog.interop import codes as c
from cephalog.patients.models import Patient

type Json = dict[str, Any]

#: The namespace of ids that are not a patient's (Practitioner, Organization).
NAMESPACE = uuid.UUID("5b0c7d0e-2f4e-5c8a-9a47-63657068616c")
FHIR_JSON = "application/fhir+json"
#: Slot length assumed for a booked appointment (the calendar stores a time, not a length).
APPOINTMENT_MINUTES = 30

BUNDLE_COLLECTION = "collection"
BUNDLE_SEARCHSET = "searchset"


def _optional(app: str) -> bool:
    return apps.is_installed(app)


def resource_id(patient: Patient, kind: str, key: object) -> str:
    """The stable id of one of the patient's resources: UUIDv5(patient id, `kind/key`)."""
    return str(uuid.uuid5(patient.pk, f"{kind}/{key}"))


def global_id(kind: str, key: object) -> str:
    return str(uuid.uuid5(NAMESPACE, f"{kind}/{key}"))


def ref(resource: Json) -> Json:
    return {"reference": f"urn:uuid:{resource['id']}"}


def _date(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


def _local(value: dt.datetime, tz: zoneinfo.ZoneInfo) -> str:
    return value.astimezone(tz).isoformat()


def _quantity(value: float | int | Decimal, unit: str, code: str | None = None) -> Json:
    number = float(value) if isinstance(value, Decimal) else value
    if isinstance(number, float) and number.is_integer():
        number = int(number)
    out: Json = {"value": number, "unit": unit}
    if code:
        out |= {"system": c.UCUM, "code": code}
    return out


def _units(value: int) -> Json:
    return {"value": value} | c.TOXIN_UNIT


def _ext(url: str, **value: Any) -> Json:
    ((kind, v),) = value.items()
    return {"url": url, kind: v}


def _drop_empty(resource: Json) -> Json:
    """FHIR forbids empty arrays, objects and strings: leave those keys out."""
    return {k: v for k, v in resource.items() if v not in (None, [], {}, "")}
