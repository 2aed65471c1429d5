"""Completing a session moves the patient's calendar on (issue 5: the calendar the patient lives by)."""

from cephalog.scheduling.models import Appointment
from tests.personas import Cast
from tests.treatment.helpers import full_session


def test_it_plans_the_next_session_and_check_ins_when_a_session_is_completed(cast: Cast) -> None:
    session = full_session(cast.patient, cast.physician)
    done = Appointment.objects.get(patient=cast.patient, kind="session", status="done")
    assert done.date == session.date
    upcoming = {}
    for a in Appointment.objects.filter(patient=cast.patient, status="planned").order_by("-date"):
        upcoming[a.kind] = a  # the earliest of each kind wins
    assert (upcoming["session"].date - session.date).days == 84
    assert (upcoming["checkin_day3"].date - session.date).days == 3
    assert (upcoming["checkin_day14"].date - session.date).days == 14
