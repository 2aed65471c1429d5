"""iCalendar (RFC 5545) feeds built with the icalendar library.

One VEVENT per appointment: the UID never changes, SEQUENCE is the
appointment's revision, STATUS is CONFIRMED or CANCELLED (a cancelled event
stays in the feed so subscribed calendars remove it). Dates without a booked
time are all-day events (DTSTART;VALUE=DATE); booked times are given in UTC,
converted from the clinic's time zone. DTSTAMP and LAST-MODIFIED are the
row's last change, so regenerating an unchanged feed gives the same bytes.

Patient feeds carry no name and no diagnosis; the clinic feed identifies
patients by MRN only.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterable

import icalendar
from django.conf import settings
from django.urls import reverse

from cephalog import __version__
from cephalog.accounts.models import Clinic
from cephalog.patients.models import Patient
from cephalog.scheduling.models import Appointment, AppointmentKind, AppointmentStatus

PRODID = f"-//cephalog//treatment calendar {__version__}//EN"
#: Length of a booked appointment in calendars (a session takes about 15 minutes, plus arrival).
BOOKED_DURATION = dt.timedelta(minutes=30)
#: Short event titles for the patient's calendar app; the full sentence goes in DESCRIPTION.
PATIENT_SUMMARY = {
    AppointmentKind.CONSULTATION: "Headache clinic consultation",
    AppointmentKind.BASELINE_DIARY: "Start your headache diary",
    AppointmentKind.QUESTIONNAIRE: "Headache questionnaires",
    AppointmentKind.SESSION: "Botox session",
    AppointmentKind.CHECKIN_DAY3: "Check-in: 3 days after treatment",
    AppointmentKind.CHECKIN_DAY14: "Check-in: 2 weeks after treatment",
    AppointmentKind.REVIEW: "Progress review",
    AppointmentKind.REASSESSMENT: "Headache clinic check-up",
    AppointmentKind.AUTHORISATION_EXPIRY: "Insurance approval ends",
}


def _site(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def patient_summary(appt: Appointment) -> str:
    summary = PATIENT_SUMMARY[AppointmentKind(appt.kind)]
    booked = appt.time is not None
    if (
        appt.kind == AppointmentKind.SESSION
        and appt.status == AppointmentStatus.PLANNED
        and not booked
    ):
        summary += " (due)"
    return summary


def _calendar(name: str) -> icalendar.Calendar:
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", name)
    # A hint to poll often enough for moves to show within hours.
    cal.add("refresh-interval", dt.timedelta(hours=6), parameters={"VALUE": "DURATION"})
    cal.add("x-published-ttl", "PT6H")
    return cal


def _event(appt: Appointment, clinic_tz: str, summary: str, description: str) -> icalendar.Event:
    event = icalendar.Event()
    event.add("uid", appt.uid)
    event.add("dtstamp", appt.updated_at.astimezone(dt.UTC))
    event.add("created", appt.created_at.astimezone(dt.UTC))
    event.add("last-modified", appt.updated_at.astimezone(dt.UTC))
    event.add("sequence", appt.sequence)
    if appt.time is None:
        event.add("dtstart", appt.date)
        event.add("dtend", appt.date + dt.timedelta(days=1))
        event.add("transp", "TRANSPARENT")  # a due date does not make anyone busy all day
    else:
        start = dt.datetime.combine(appt.date, appt.time, tzinfo=zoneinfo.ZoneInfo(clinic_tz))
        event.add("dtstart", start.astimezone(dt.UTC))
        event.add("dtend", (start + BOOKED_DURATION).astimezone(dt.UTC))
    event.add("summary", summary)
    event.add("description", description)
    event.add("status", "CANCELLED" if appt.status == AppointmentStatus.CANCELLED else "CONFIRMED")
    return event


def _sentence(title: str) -> str:
    """A title as a sentence: a full stop unless it already ends with one (or a "?")."""
    return title if title.endswith((".", "?", "!")) else title + "."


def _window(appt: Appointment) -> str:
    parts = []
    if appt.earliest < appt.date:
        parts.append(f"Can be from {appt.earliest.day} {appt.earliest:%b %Y}.")
    if appt.latest is not None and appt.latest > appt.date:
        parts.append(f"Until {appt.latest.day} {appt.latest:%b %Y}.")
    return " ".join(parts)


def patient_feed(patient: Patient, appointments: Iterable[Appointment]) -> bytes:
    cal = _calendar(f"{patient.clinic.name}: my treatment")
    link = _site(reverse("patient-calendar"))
    for appt in appointments:
        text = " ".join(filter(None, [_sentence(appt.title_patient), _window(appt), link]))
        cal.add_component(_event(appt, patient.clinic.time_zone, patient_summary(appt), text))
    return bytes(cal.to_ical())


def clinic_feed(clinic: Clinic, appointments: Iterable[Appointment]) -> bytes:
    cal = _calendar(f"{clinic.name}: treatment schedule")
    for appt in appointments:
        link = _site(reverse("staff-patient-calendar", args=[appt.patient_id]))
        summary = f"{appt.patient.mrn}: {appt.get_kind_display()}"
        text = " ".join(filter(None, [_sentence(appt.title_clinic), _window(appt), link]))
        cal.add_component(_event(appt, clinic.time_zone, summary, text))
    return bytes(cal.to_ical())
