"""The demo loader's writes (`cephalog.demo.actions`, issue 20.2): bulk history with its
audit rows, and moving a patient's sessions, each audited as demo data."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from cephalog.audit.models import AuditEvent
from cephalog.demo.actions import DiaryBatch, shift_sessions, store_cohort_history
from cephalog.diary.models import AcuteMedicationTaken, DiaryEntry, EntrySource
from cephalog.eligibility.models import Preventive
from cephalog.safety.models import AdverseEvent
from cephalog.treatment.models import Session
from tests.personas import Cast

DAY = dt.date(2025, 3, 10)


def test_a_cohort_s_history_is_written_in_batches_with_one_audit_row_per_patient(
    cast: Cast,
) -> None:
    patient = cast.patient
    session = Session(patient=patient, date=DAY, status="completed", total_units=155)
    asked: list[int] = []

    def diary() -> Iterator[DiaryBatch]:
        for week in range(2):
            entries = [
                DiaryEntry(
                    patient=patient,
                    date=DAY + dt.timedelta(days=7 * week + k),
                    headache_hours=0,
                    source=EntrySource.DEMO,
                )
                for k in range(7)
            ]
            taken = [
                AcuteMedicationTaken(entry=entries[0], name="Sumatriptan", drug_class="triptan")
            ]
            yield entries, taken
            asked.append(DiaryEntry.objects.filter(patient=patient).count())

    days = store_cohort_history(
        history=[
            Preventive(
                patient=patient,
                name="Topiramate",
                drug_class="antiepileptic",
                outcome="intolerance",
            )
        ],
        sessions=[session],
        adverse_events=[
            AdverseEvent(patient=patient, session=session, symptom="neck_pain", onset=DAY)
        ],
        diary=diary(),
        audit=[(patient, {"seed": 1, "sessions": 1})],
    )
    assert days == 14
    assert asked == [7, 14]  # each batch is written before the next is asked for
    assert AcuteMedicationTaken.objects.filter(entry__patient=patient).count() == 2
    assert AdverseEvent.objects.get(patient=patient).session == session
    assert Preventive.objects.filter(patient=patient).count() == 1
    event = AuditEvent.objects.get(action="import", category="demo")
    assert (event.patient_id, event.detail) == (patient.pk, {"seed": 1, "sessions": 1})


def test_moving_a_patient_s_sessions_moves_their_adverse_events_and_is_audited(
    cast: Cast,
) -> None:
    session = Session.objects.create(patient=cast.patient, date=DAY, status="completed")
    AdverseEvent.objects.create(
        patient=cast.patient, session=session, symptom="neck_pain", onset=DAY, resolved_on=DAY
    )
    shift_sessions(cast.patient, 3)
    moved = DAY + dt.timedelta(days=3)
    assert Session.objects.get(pk=session.pk).date == moved
    event = AdverseEvent.objects.get(session=session)
    assert (event.onset, event.resolved_on) == (moved, moved)
    audit = AuditEvent.objects.get(action="update", category="demo")
    assert audit.detail == {"shifted_days": 3, "sessions": 1}


def test_a_demo_staff_login_gets_the_authenticator_mfa_code_reads_once(cast: Cast) -> None:
    """On a development install the demo's staff sign in with `cephalog mfa-code`'s code:
    no first enrolment (whose mailbox code a demo address cannot receive)."""
    from django.test import Client
    from django.urls import reverse
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from cephalog.demo.actions import enrol_demo_authenticator
    from tests.personas import PASSWORD

    enrol_demo_authenticator(cast.physician)
    enrol_demo_authenticator(cast.physician)
    assert TOTPDevice.objects.filter(user=cast.physician, confirmed=True).count() == 1
    assert AuditEvent.objects.filter(category="mfa", detail__demo=True).count() == 1
    client = Client()
    client.post(reverse("login"), {"username": "dr-house", "password": PASSWORD})
    page = client.get(reverse("mfa-verify"))
    assert page.status_code == 200
    assert 'name="token"' in page.content.decode()
