"""Reminders sent by the server, each once (issue 5: reminders)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import smtplib
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.tasks import Task
from django.urls import reverse

from cephalog.audit.models import AuditEvent
from cephalog.core.jobs import Retry
from cephalog.diary.models import DiaryEntry
from cephalog.patients.models import Patient
from cephalog.scheduling import actions, reminder_actions, reminders, tasks
from cephalog.scheduling.models import Appointment, ReminderSent
from tests.personas import Cast, client_for
from tests.scheduling.conftest import SweepFn, at, give_session

S1 = dt.date(2026, 2, 9)
DUE = S1 + dt.timedelta(days=84)  # Monday 4 May 2026


@pytest.fixture
def planned(cast: Cast) -> Cast:
    """Ada had her first session; the second is due on 4 May. Brook has no plan yet."""
    give_session(cast.patient, S1)
    actions.sync_plan(patient=cast.patient, today=S1)
    return cast


QUESTIONNAIRES = "Two short questionnaires before your next treatment"


def subjects() -> list[str]:
    return [m.subject for m in mail.outbox]


def session_mails() -> list[Any]:
    return [m for m in mail.outbox if m.subject.startswith("Reminder: your treatment session")]


def set_reminder_time(patient: Patient, when: dt.time, tz: str = "Europe/London") -> None:
    Patient.objects.filter(pk=patient.pk).update(diary_reminder_time=when, time_zone=tz)
    patient.refresh_from_db()


def test_a_session_reminder_goes_a_week_and_a_day_before_once_each(
    planned: Cast, sweep: SweepFn
) -> None:
    sweep(at(2026, 4, 27, 10))  # 7 days before (and the questionnaires open)
    sweep(at(2026, 4, 27, 10, 5))  # the next sweep: nothing new
    assert sorted(subjects()) == ["Reminder: your treatment session", QUESTIONNAIRES]
    sweep(at(2026, 5, 3, 9, 30))  # the day before
    sweep(at(2026, 5, 3, 18))
    assert [m.subject for m in session_mails()] == [
        "Reminder: your treatment session",
        "Reminder: your treatment session tomorrow",
    ]
    assert len(mail.outbox) == 3
    message = session_mails()[0]
    assert message.to == ["mrn-1001@example.org"]
    assert "Monday 4 May 2026" in message.body
    assert "can be from 27 April 2026" in message.body
    assert reverse("patient-calendar") in message.body
    for word in ("Botox", "botulinum", "migraine", "Quill"):
        assert word not in message.body + message.subject
    assert ReminderSent.objects.filter(status="sent").count() == 3
    assert AuditEvent.objects.filter(category="reminder").count() == 3


def test_no_reminder_at_night(planned: Cast, sweep: SweepFn) -> None:
    sweep(at(2026, 4, 27, 7, 30))
    sweep(at(2026, 4, 27, 21))
    assert mail.outbox == []


def test_a_moved_session_is_reminded_again_for_its_new_date(planned: Cast, sweep: SweepFn) -> None:
    sweep(at(2026, 4, 27, 10))
    nxt = Appointment.objects.get(patient=planned.patient, plan_key="session:2")
    actions.reschedule(
        appointment=nxt, new_date=DUE - dt.timedelta(days=1), by=planned.nurse, reason="Room"
    )
    sweep(at(2026, 4, 27, 10, 5))
    assert len(session_mails()) == 2
    assert "Sunday 3 May 2026" in session_mails()[1].body


def test_check_ins_and_questionnaires_are_reminded_in_their_window(
    planned: Cast, sweep: SweepFn
) -> None:
    sweep(at(2026, 2, 12, 9, 5))  # day 3 after the first session
    sweep(at(2026, 2, 13, 9, 5))
    sweep(at(2026, 2, 23, 12))  # day 14
    sweep(at(2026, 2, 26, 12))  # still in the day-14 window: already reminded
    assert subjects() == ["How have you been since your treatment?"] * 2
    sweep(at(2026, 4, 26, 12))  # the day before the questionnaires open
    assert len(mail.outbox) == 2
    sweep(at(2026, 4, 28, 12))  # questionnaires open 27 April until the session
    sweep(at(2026, 4, 29, 12))
    assert subjects().count(QUESTIONNAIRES) == 1
    assert "by Monday 4 May 2026" in next(
        m.body for m in mail.outbox if m.subject == QUESTIONNAIRES
    )


def test_the_diary_reminder_needs_the_local_time_and_no_entry(cast: Cast, sweep: SweepFn) -> None:
    set_reminder_time(cast.patient, dt.time(20, 0), tz="America/New_York")
    # 00:30 UTC on 11 March is 20:30 on 10 March in New York (EDT from 8 March).
    sweep(at(2026, 3, 10, 23, 30, tz="UTC"))  # 19:30 in New York: too early
    assert mail.outbox == []
    sweep(at(2026, 3, 11, 0, 30, tz="UTC"))
    assert subjects() == ["Your headache diary for today"]
    reminder = ReminderSent.objects.get(kind="diary")
    assert reminder.for_date == dt.date(2026, 3, 10)  # the patient's date, not UTC's
    sweep(at(2026, 3, 11, 1, 30, tz="UTC"))
    assert len(mail.outbox) == 1


def test_no_diary_reminder_when_the_day_is_filled_in(cast: Cast, sweep: SweepFn) -> None:
    set_reminder_time(cast.patient, dt.time(19, 0))
    DiaryEntry.objects.create(patient=cast.patient, date=dt.date(2026, 3, 10), headache_hours=0)
    sweep(at(2026, 3, 10, 21))
    assert mail.outbox == []
    sweep(at(2026, 3, 11, 21))  # the next evening, nothing entered yet
    assert subjects() == ["Your headache diary for today"]


def test_an_entry_made_after_the_claim_cancels_the_reminder(
    cast: Cast, sweep: SweepFn, monkeypatch: pytest.MonkeyPatch
) -> None:
    set_reminder_time(cast.patient, dt.time(19, 0))
    monkeypatch.setattr(reminders, "_enqueue", lambda reminder_id: None)  # worker down
    sweep(at(2026, 3, 10, 21))
    reminder = ReminderSent.objects.get()
    DiaryEntry.objects.create(patient=cast.patient, date=dt.date(2026, 3, 10), headache_hours=0)
    with time_machine.travel(at(2026, 3, 10, 21, 1), tick=False):
        assert reminders.deliver(reminder.pk) == "skipped"
    assert mail.outbox == []


def test_a_failed_email_is_retried_on_the_next_sweep_and_shown_to_staff(
    planned: Cast, sweep: SweepFn, monkeypatch: pytest.MonkeyPatch
) -> None:
    sent = mail.EmailMessage.send

    def refuse(self: Any, *args: Any, **kwargs: Any) -> int:
        raise smtplib.SMTPServerDisconnected("relay down")

    monkeypatch.setattr(mail.EmailMessage, "send", refuse)
    sweep(at(2026, 2, 12, 10))
    reminder = ReminderSent.objects.get()
    assert (reminder.status, reminder.attempts) == ("failed", 1)
    assert reminder.last_error == "SMTPServerDisconnected"
    page = client_for(planned, "nurse").get(
        reverse("staff-patient-calendar", args=[planned.patient.pk])
    )
    assert "not sent" in page.content.decode()
    monkeypatch.setattr(mail.EmailMessage, "send", sent)
    sweep(at(2026, 2, 12, 10, 5))
    sweep(at(2026, 2, 12, 10, 10))
    reminder.refresh_from_db()
    assert (reminder.status, reminder.attempts) == ("sent", 2)
    assert len(mail.outbox) == 1


def test_it_gives_up_after_max_attempts(
    planned: Cast, sweep: SweepFn, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(self: Any, *args: Any, **kwargs: Any) -> int:
        raise OSError("no route")

    monkeypatch.setattr(mail.EmailMessage, "send", refuse)
    for minute in range(0, 60, 5):
        sweep(at(2026, 2, 12, 10, minute))
    assert len(mail.outbox) == 0
    reminder = ReminderSent.objects.get()
    assert (reminder.status, reminder.attempts) == ("failed", reminders.MAX_ATTEMPTS)


def test_staff_see_gave_up_when_the_job_gives_up_not_at_a_fixed_count(
    planned: Cast, sweep: SweepFn, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The page asks the reminders' job whether a failed row is final (its own Retry), so a
    changed MAX_ATTEMPTS cannot leave the page saying "gave up" too early or never."""
    monkeypatch.setattr(
        reminder_actions,
        "JOB",
        dataclasses.replace(reminder_actions.JOB, retry=Retry(max_attempts=2)),
    )

    def refuse(self: Any, *args: Any, **kwargs: Any) -> int:
        raise OSError("no route")

    monkeypatch.setattr(mail.EmailMessage, "send", refuse)
    nurse = client_for(planned, "nurse")
    url = reverse("staff-patient-calendar", args=[planned.patient.pk])
    sweep(at(2026, 2, 12, 10))
    assert ReminderSent.objects.get().attempts == 1
    page = nurse.get(url).content.decode()
    assert "not sent" in page
    assert "gave up" not in page
    reminder = ReminderSent.objects.get()
    reminder.attempts = 2
    reminder.save(update_fields=["attempts"])
    page = nurse.get(url).content.decode()
    assert "not sent, gave up" in page


def test_a_crash_between_claim_and_send_sends_once_after_the_lease(
    planned: Cast, sweep: SweepFn, monkeypatch: pytest.MonkeyPatch
) -> None:
    def crash(*args: Any, **kwargs: Any) -> Any:
        raise SystemExit("worker killed")  # not an Exception: nothing records a failure

    monkeypatch.setattr(reminders, "compose", crash)
    sweep(at(2026, 2, 12, 10))
    reminder = ReminderSent.objects.get()
    assert (reminder.status, reminder.attempts) == ("sending", 1)
    monkeypatch.undo()
    sweep(at(2026, 2, 12, 10, 5))  # within the lease: the first worker may still be sending
    assert mail.outbox == []
    sweep(at(2026, 2, 12, 10, 11))  # the lease is over: the claim is presumed dead
    sweep(at(2026, 2, 12, 10, 16))
    assert len(mail.outbox) == 1
    reminder.refresh_from_db()
    assert (reminder.status, reminder.attempts) == ("sent", 2)


def test_a_lost_task_is_enqueued_again(
    planned: Cast, sweep: SweepFn, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(reminders, "_enqueue", lambda reminder_id: None)  # lost on the way
    sweep(at(2026, 2, 12, 10))
    assert ReminderSent.objects.get().status == "pending"
    monkeypatch.undo()
    sweep(at(2026, 2, 12, 10, 5))
    assert mail.outbox == []
    sweep(at(2026, 2, 12, 10, 15))
    sweep(at(2026, 2, 12, 10, 30))
    assert len(mail.outbox) == 1


def test_a_task_run_twice_sends_once(
    planned: Cast, sweep: SweepFn, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(reminders, "_enqueue", lambda reminder_id: None)
    sweep(at(2026, 2, 12, 10))
    reminder = ReminderSent.objects.get()
    with time_machine.travel(at(2026, 2, 12, 10, 1), tick=False):
        assert tasks.deliver_reminder.call(reminder.pk) == "sent"
        assert tasks.deliver_reminder.call(reminder.pk) == "not claimed"
    assert len(mail.outbox) == 1


def test_a_reminder_not_sent_by_its_day_expires(
    planned: Cast, sweep: SweepFn, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(reminders, "_enqueue", lambda reminder_id: None)
    sweep(at(2026, 2, 12, 10))  # the day-3 check-in (answer by 16 February), never delivered
    monkeypatch.undo()
    result = sweep(at(2026, 2, 17, 10))
    assert result.expired == 1
    assert ReminderSent.objects.get().status == "skipped"
    assert mail.outbox == []


def test_the_tasks_use_djangos_task_framework(planned: Cast) -> None:
    assert isinstance(tasks.deliver_reminder, Task)
    assert isinstance(tasks.send_due_reminders, Task)
    with time_machine.travel(at(2026, 2, 12, 10), tick=False):
        result = tasks.send_due_reminders.enqueue()
    assert result.return_value == {"claimed": 1, "retried": 0, "expired": 0}


def test_the_command_sweeps_and_can_deliver_itself(
    planned: Cast, capsys: pytest.CaptureFixture[str], django_capture_on_commit_callbacks: Any
) -> None:
    with (
        time_machine.travel(at(2026, 2, 12, 10), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        call_command("send-reminders", "--deliver")
        call_command("send-reminders", "--deliver")
    assert len(mail.outbox) == 1
    out = capsys.readouterr().out.splitlines()
    assert out == [
        '{"claimed": 1, "retried": 0, "expired": 0}',
        '{"claimed": 0, "retried": 0, "expired": 0}',
    ]


def test_a_check_in_marked_done_is_not_reminded(planned: Cast, sweep: SweepFn) -> None:
    done = actions.mark_done(patient=planned.patient, kind="checkin_day3", cycle=1)
    assert done is not None
    assert (done.status, done.sequence) == ("done", 1)
    assert actions.mark_done(patient=planned.patient, kind="checkin_day3", cycle=1) is None
    sweep(at(2026, 2, 12, 10))
    assert mail.outbox == []
