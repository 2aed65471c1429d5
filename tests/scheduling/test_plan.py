"""The plan from cephalog.domain.schedule, stored as appointments (issue 5: the calendar)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from cephalog.audit.models import AuditEvent
from cephalog.domain.schedule import treatment_plan
from cephalog.scheduling import actions
from cephalog.scheduling.models import Appointment, AppointmentChange
from tests.personas import Cast
from tests.scheduling.conftest import ADDED, give_session

S1 = dt.date(2026, 2, 9)
S2 = S1 + dt.timedelta(days=84)
TODAY = dt.date(2026, 2, 20)


def rows(cast: Cast) -> dict[str, Appointment]:
    return {a.plan_key: a for a in Appointment.objects.filter(patient=cast.patient)}


def test_it_stores_every_event_of_the_domain_plan(cast: Cast) -> None:
    give_session(cast.patient, S1)
    result = actions.sync_plan(patient=cast.patient, today=TODAY)
    plan = treatment_plan(consultation_date=ADDED, session_dates=[S1])
    stored = rows(cast)
    assert result.created == len(plan) == len(stored)
    for event in plan:
        appt = stored[actions.plan_key(event)]
        assert (appt.kind, appt.date, appt.earliest, appt.latest, appt.cycle) == (
            event.kind,
            event.date,
            min(event.earliest, event.date),
            event.latest,
            event.cycle,
        )
        assert appt.title_patient == event.title_patient
        assert appt.uid.endswith("@cephalog")
        assert appt.sequence == 0
    assert stored["session:1"].status == "done"
    nxt = stored["session:2"]
    assert nxt.status == "planned"
    # NICE policy (the cast's clinic default): due at 84 days, earliest at 77.
    assert (nxt.date, nxt.earliest) == (S1 + dt.timedelta(84), S1 + dt.timedelta(77))
    assert {"consultation", "baseline_diary", "checkin_day3:1", "checkin_day14:1"} <= set(stored)
    assert AuditEvent.objects.filter(category="treatment_calendar", action="update").count() == 1


def test_it_does_nothing_the_second_time(cast: Cast) -> None:
    give_session(cast.patient, S1)
    actions.sync_plan(patient=cast.patient, today=TODAY)
    before = {k: (a.uid, a.sequence, a.date) for k, a in rows(cast).items()}
    audits = AuditEvent.objects.count()
    result = actions.sync_plan(patient=cast.patient, today=TODAY)
    assert not result.changed
    assert {k: (a.uid, a.sequence, a.date) for k, a in rows(cast).items()} == before
    assert AuditEvent.objects.count() == audits
    assert not AppointmentChange.objects.exists()


def test_it_moves_planned_rows_when_a_session_is_given_off_plan(cast: Cast) -> None:
    give_session(cast.patient, S1)
    actions.sync_plan(patient=cast.patient, today=TODAY)
    planned = rows(cast)
    given = S1 + dt.timedelta(days=80)  # four days before due
    give_session(cast.patient, given)
    result = actions.sync_plan(patient=cast.patient, today=given)
    after = rows(cast)
    session = after["session:2"]
    assert (session.status, session.date, session.sequence) == ("done", given, 1)
    assert session.uid == planned["session:2"].uid
    checkin = after["checkin_day3:2"]
    assert checkin.uid == planned["checkin_day3:2"].uid
    assert (checkin.date, checkin.sequence) == (given + dt.timedelta(days=3), 1)
    change = checkin.changes.get()
    assert (change.old_date, change.new_date, change.by, change.change) == (
        S2 + dt.timedelta(days=3),
        given + dt.timedelta(days=3),
        None,
        "moved",
    )
    assert result.done == 1
    assert result.moved >= 2
    # A third session and the review after cycle 2 are now planned; nothing duplicated.
    assert after["session:3"].date == given + dt.timedelta(days=84)
    assert "review:2" in after
    assert Appointment.objects.filter(patient=cast.patient, plan_key="session:2").count() == 1


def test_it_leaves_a_date_set_by_hand_where_it_is(cast: Cast) -> None:
    give_session(cast.patient, S1)
    actions.sync_plan(patient=cast.patient, today=TODAY)
    nxt = rows(cast)["session:2"]
    booked = nxt.date + dt.timedelta(days=3)
    actions.reschedule(
        appointment=nxt,
        new_date=booked,
        new_time=dt.time(10, 30),
        by=cast.nurse,
        reason="Clinic day",
    )
    actions.sync_plan(patient=cast.patient, today=TODAY)
    nxt.refresh_from_db()
    assert (nxt.date, nxt.time, nxt.pinned, nxt.sequence) == (booked, dt.time(10, 30), True, 1)


def test_it_reschedules_with_history_and_a_higher_sequence(cast: Cast) -> None:
    give_session(cast.patient, S1)
    actions.sync_plan(patient=cast.patient, today=TODAY)
    nxt = rows(cast)["session:2"]
    uid, old = nxt.uid, nxt.date
    moved = actions.reschedule(
        appointment=nxt, new_date=old + dt.timedelta(days=5), by=cast.nurse, reason="Holiday"
    )
    moved = actions.reschedule(
        appointment=moved, new_date=old + dt.timedelta(days=6), by=cast.physician, reason="Room"
    )
    assert moved.uid == uid
    assert moved.sequence == 2
    history = list(moved.changes.order_by("id").values_list("old_date", "new_date", "by", "reason"))
    assert history == [
        (old, old + dt.timedelta(days=5), cast.nurse.pk, "Holiday"),
        (old + dt.timedelta(days=5), old + dt.timedelta(days=6), cast.physician.pk, "Room"),
    ]
    audit = AuditEvent.objects.filter(category="appointment").first()
    assert audit is not None
    assert "Holiday" not in str(audit.detail)


def test_it_refuses_a_session_before_its_earliest_date(cast: Cast) -> None:
    give_session(cast.patient, S1)
    actions.sync_plan(patient=cast.patient, today=TODAY)
    nxt = rows(cast)["session:2"]
    with pytest.raises(ValidationError, match="Not before"):
        actions.reschedule(
            appointment=nxt,
            new_date=nxt.earliest - dt.timedelta(days=1),
            by=cast.nurse,
            reason="Sooner",
        )
    with pytest.raises(ValidationError, match="reason"):
        actions.reschedule(appointment=nxt, new_date=nxt.earliest, by=cast.nurse, reason="  ")
    nxt.refresh_from_db()
    assert nxt.sequence == 0


def test_a_moved_first_session_moves_the_baseline_diary(cast: Cast) -> None:
    actions.sync_plan(patient=cast.patient, today=ADDED)
    first = rows(cast)["session:1"]
    assert first.date == ADDED + dt.timedelta(days=28)
    new = dt.date(2026, 3, 2)
    actions.reschedule(appointment=first, new_date=new, by=cast.nurse, reason="Booked")
    after = rows(cast)
    assert after["baseline_diary"].date == new - dt.timedelta(days=28)
    assert after["baseline_diary"].sequence == 1
    assert after["questionnaire:0"].date == new - dt.timedelta(days=7)


def test_cancel_marks_it_cancelled_and_the_plan_does_not_bring_it_back(cast: Cast) -> None:
    give_session(cast.patient, S1)
    actions.sync_plan(patient=cast.patient, today=TODAY)
    nxt = rows(cast)["session:2"]
    cancelled = actions.cancel(appointment=nxt, by=cast.nurse, reason="Patient unwell")
    assert (cancelled.status, cancelled.sequence) == ("cancelled", 1)
    actions.sync_plan(patient=cast.patient, today=TODAY)
    assert rows(cast)["session:2"].status == "cancelled"
    with pytest.raises(ValidationError):
        actions.cancel(appointment=cancelled, by=cast.nurse, reason="again")
    restored = actions.reschedule(
        appointment=cancelled, new_date=cancelled.date, by=cast.nurse, reason="Better"
    )
    assert (restored.status, restored.sequence) == ("planned", 2)
    assert list(restored.changes.values_list("change", flat=True)) == ["cancelled", "moved"]


def test_a_given_session_is_never_moved(cast: Cast) -> None:
    give_session(cast.patient, S1)
    actions.sync_plan(patient=cast.patient, today=TODAY)
    with pytest.raises(ValidationError, match="already happened"):
        actions.reschedule(
            appointment=rows(cast)["session:1"], new_date=TODAY, by=cast.nurse, reason="x"
        )


def test_the_authorisation_end_joins_the_plan(cast: Cast) -> None:
    give_session(cast.patient, S1)
    end = dt.date(2026, 6, 30)
    appt = actions.set_authorisation_end(patient=cast.patient, end=end, by=cast.clinic_admin)
    assert (appt.date, appt.earliest) == (end, end - dt.timedelta(days=30))
    assert "renewal" in appt.title_clinic
    again = actions.set_authorisation_end(
        patient=cast.patient, end=end + dt.timedelta(days=90), by=cast.clinic_admin
    )
    assert again.pk == appt.pk
    assert again.sequence == 1


def test_sync_plans_command_syncs_every_patient(cast: Cast) -> None:
    from django.core.management import call_command

    call_command("sync-plans")
    assert Appointment.objects.filter(patient=cast.other_clinic_patient).exists()
    assert Appointment.objects.filter(patient=cast.patient, plan_key="session:1").exists()


def test_a_patient_added_after_treatment_began_has_the_consultation_before_it(
    cast: Cast,
) -> None:
    actions.sync_plan(patient=cast.patient, today=ADDED)
    assert rows(cast)["consultation"].date == ADDED
    earlier = ADDED - dt.timedelta(days=200)  # a session from before cephalog
    give_session(cast.patient, earlier)
    actions.sync_plan(patient=cast.patient, today=ADDED)
    stored = rows(cast)
    assert stored["consultation"].date == earlier - dt.timedelta(days=28)
    assert stored["baseline_diary"].date == earlier - dt.timedelta(days=28)
    # A consultation date set by hand is what the plan starts from.
    consult = actions.reschedule(
        appointment=stored["consultation"],
        new_date=earlier - dt.timedelta(days=60),
        by=cast.physician,
        reason="From the referral letter",
    )
    actions.sync_plan(patient=cast.patient, today=ADDED)
    consult.refresh_from_db()
    assert consult.date == earlier - dt.timedelta(days=60)
