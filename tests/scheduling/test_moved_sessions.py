"""A session moved by a person takes its check-ins, questionnaires and their reminders with
it, in the pages, the feeds and the emails; links use the address the app is served on
(issue 15.4)."""

from __future__ import annotations

import datetime as dt
import subprocess
from pathlib import Path

import icalendar
from django.core import mail
from django.test import Client, override_settings
from django.urls import reverse

from cephalog.scheduling import actions
from cephalog.scheduling.models import Appointment
from tests.personas import Cast, client_for
from tests.scheduling.conftest import SweepFn, at, give_session

S1 = dt.date(2026, 2, 9)
DUE = S1 + dt.timedelta(days=84)  # Monday 4 May 2026
MOVED = DUE + dt.timedelta(days=10)  # Thursday 14 May 2026
ROOT = Path(__file__).resolve().parents[2]


def _rows(cast: Cast) -> dict[str, Appointment]:
    return {a.plan_key: a for a in Appointment.objects.filter(patient=cast.patient)}


def _move_second_session(cast: Cast) -> dict[str, Appointment]:
    give_session(cast.patient, S1)
    actions.sync_plan(patient=cast.patient, today=S1)
    before = _rows(cast)
    actions.reschedule(
        appointment=before["session:2"], new_date=MOVED, by=cast.nurse, reason="Clinic closed"
    )
    return before


def test_the_check_ins_and_questionnaires_of_a_moved_session_move_with_it(cast: Cast) -> None:
    before = _move_second_session(cast)
    after = _rows(cast)
    shift = MOVED - DUE
    assert after["session:2"].date == MOVED
    for key in ("checkin_day3:2", "checkin_day14:2", "questionnaire:1"):
        old, new = before[key], after[key]
        assert new.date == old.date + shift, key
        assert new.earliest == old.earliest + shift, key
        assert new.latest == (old.latest + shift if old.latest else None), key
        assert new.sequence == old.sequence + 1, key  # calendar apps update the event
        assert new.changes.filter(old_date=old.date, new_date=new.date).exists(), key
    # What the first session planned stays where it was.
    for key in ("checkin_day3:1", "checkin_day14:1"):
        assert after[key].date == before[key].date
    # Planning again changes nothing more.
    assert not actions.sync_plan(patient=cast.patient, today=S1).changed


def test_the_feed_and_its_descriptions_follow_the_new_dates(cast: Cast) -> None:
    before = _move_second_session(cast)
    after = _rows(cast)
    token = actions.issue_feed_token(patient=cast.patient, by=cast.patient_user)
    body = Client().get(reverse("patient-feed", args=[actions.feed_token_value(token)]))
    cal = icalendar.Calendar.from_ical(body.content)
    found = {str(e["UID"]): e for e in cal.walk("VEVENT")}
    day14 = found[after["checkin_day14:2"].uid]
    assert day14["DTSTART"].dt == MOVED + dt.timedelta(days=14)
    description = str(day14["DESCRIPTION"])
    new_until = after["checkin_day14:2"].latest
    old_until = before["checkin_day14:2"].latest
    assert new_until is not None
    assert old_until is not None
    assert f"Until {new_until.day} {new_until:%b %Y}." in description
    assert f"{old_until.day} {old_until:%b %Y}" not in description
    questionnaire = found[after["questionnaire:1"].uid]
    assert f"Until {MOVED.day} {MOVED:%b %Y}." in str(questionnaire["DESCRIPTION"])


def test_the_patients_calendar_page_shows_the_moved_check_ins(cast: Cast) -> None:
    _move_second_session(cast)
    page = client_for(cast, "patient_user").get(reverse("patient-calendar")).content.decode()
    day3 = MOVED + dt.timedelta(days=3)
    assert f"{day3.day} {day3:%B}" in page or f"{day3.day} {day3:%b}" in page


def test_check_in_reminders_follow_the_moved_session(cast: Cast, sweep: SweepFn) -> None:
    _move_second_session(cast)
    checkin = "How have you been since your treatment?"
    sweep(at(2026, 5, 7, 12))  # day 3 of the session as first planned: no check-in due
    assert checkin not in [m.subject for m in mail.outbox]
    sweep(at(2026, 5, 17, 12))  # day 3 after the moved session
    assert [m.subject for m in mail.outbox].count(checkin) == 1


def test_links_in_feeds_and_emails_use_the_served_address(cast: Cast) -> None:
    give_session(cast.patient, S1)
    actions.sync_plan(patient=cast.patient, today=S1)
    token = actions.issue_feed_token(patient=cast.patient, by=cast.patient_user)
    with override_settings(SITE_URL="http://127.0.0.1:8201"):
        body = Client().get(reverse("patient-feed", args=[actions.feed_token_value(token)]))
    text = body.content.decode().replace("\r\n ", "")
    assert "http://127.0.0.1:8201/" in text
    assert ":8000" not in text
    # `make run PORT=8201` serves on 8201 and tells the app so (SITE_URL).
    dry = subprocess.run(
        ["make", "-n", "run", "PORT=8201"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    served = [line for line in dry.splitlines() if "runserver" in line or "devserver" in line]
    assert served
    assert all("SITE_URL=http://127.0.0.1:8201" in line for line in served)
    sweeps = [line for line in dry.splitlines() if "cephalog demo" in line]
    assert all("SITE_URL=http://127.0.0.1:8201" in line for line in sweeps)
