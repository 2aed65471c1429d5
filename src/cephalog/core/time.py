"""The local "today" of a patient and the local "now" of a clinic, in one place.

A diary date is the patient's local calendar date; a session date is the clinic's.
The domain never reads the clock: these are the edges where the clock is read.
"""

from __future__ import annotations

import datetime as dt
import re
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


_ISO_DATE = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")


def _date_written(m: re.Match[str]) -> str:
    try:
        d = dt.date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        return m[0]
    return f"{d.day} {d:%b %Y}"


def written_dates(text: str) -> str:
    """ISO dates inside `text` (the clinical rules' explanations and problems name them
    so) as the pages write dates: "2025-11-21" reads "21 Nov 2025"; a string that is not
    a real date stays as it is."""
    return _ISO_DATE.sub(_date_written, text)
