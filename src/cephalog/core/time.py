"""The local "today" of a patient and the local "now" of a clinic, in one place.

A diary date is the patient's local calendar date; a session date is the clinic's.
The domain never reads the clock: these are the edges where the clock is read.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Protocol

from django.utils import timezone


class HasTimeZone(Protocol):
    time_zone: str


def local_now(owner: HasTimeZone, now: dt.datetime | None = None) -> dt.datetime:
    """`now` (default: the clock) in `owner`'s time zone."""
    return (now or timezone.now()).astimezone(zoneinfo.ZoneInfo(owner.time_zone))


def patient_today(patient: HasTimeZone, now: dt.datetime | None = None) -> dt.date:
    """The patient's local calendar date: the diary date is always local to the patient."""
    return local_now(patient, now).date()


def clinic_now(clinic: HasTimeZone, now: dt.datetime | None = None) -> dt.datetime:
    """`now` in the clinic's time zone: session dates are the clinic's local dates."""
    return local_now(clinic, now)
