"""Loading the demo clinics: `load_demo` and the `cephalog demo` command."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from io import StringIO
from typing import Any

import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command
from django.db import transaction
from django.db.models import Count

from cephalog.accounts.models import Clinic, Membership, User
from cephalog.audit.actions import record
from cephalog.audit.models import AuditEvent
from cephalog.demo.load import DEMO_PASSWORD, DemoError, DemoExists, DemoResult, load_demo
from cephalog.diary.models import AcuteMedicationTaken, DiaryEntry
from cephalog.eligibility.models import Preventive
from cephalog.patients.models import Patient
from cephalog.safety.models import AdverseEvent
from cephalog.treatment.models import Session

TODAY = dt.date(2026, 6, 30)

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="class")
def loaded(django_db_setup: None, django_db_blocker: Any) -> Iterator[DemoResult]:
    """One load (10 patients, seed 1) for the tests of TestOneLoad, which only read what it
    wrote: inside a transaction rolled back after them, each test in a savepoint of it
    (pytest-django's db), so what a test writes (a login) is undone before the next."""
    with django_db_blocker.unblock(), transaction.atomic():
        result = load_demo(n_patients=10, seed=1, today=TODAY)
        try:
            yield result
        finally:
            transaction.set_rollback(True)


class TestOneLoad:
    def test_it_creates_both_clinics_with_staff_patients_and_histories(
        self, loaded: DemoResult
    ) -> None:
        result = loaded

        demo = Clinic.objects.get(slug="demo")
        northside = Clinic.objects.get(slug="northside")
        assert demo.name == "Demo Headache Centre"
        assert demo.phone
        assert demo.safety_email
        assert northside.name == "Northside Neurology"
        assert Patient.objects.filter(clinic=demo).count() == 10
        assert Patient.objects.filter(clinic=northside).count() == 3
        assert set(Patient.objects.filter(clinic=demo).values_list("mrn", flat=True)) == {
            f"DEMO-{i:05d}" for i in range(1, 11)
        }
        roles = dict(Membership.objects.filter(clinic=demo).values_list("user__username", "role"))
        assert roles == {"physician": "physician", "nurse": "nurse", "admin": "clinic_admin"}
        assert Membership.objects.get(clinic=northside).user.username == "other-physician"
        physician = User.objects.get(username="physician")
        assert physician.get_full_name() == "Alex Morgan"

        assert (
            result.diary_entries == DiaryEntry.objects.filter(patient__clinic=demo).count() > 2000
        )
        assert result.sessions == Session.objects.filter(patient__clinic=demo).count() > 0
        assert AcuteMedicationTaken.objects.filter(entry__patient__clinic=demo).exists()
        assert Preventive.objects.filter(patient__clinic=demo).count() >= 20
        assert result.adverse_events == AdverseEvent.objects.filter(patient__clinic=demo).count()
        assert not Session.objects.filter(injector__isnull=True).exists()
        assert {login.username for login in result.logins} == {
            "physician",
            "nurse",
            "admin",
            "patient",
            "other-physician",
        }

    def test_every_demo_login_authenticates(self, loaded: DemoResult) -> None:
        for username in ("physician", "nurse", "admin", "patient", "other-physician"):
            assert authenticate(username=username, password=DEMO_PASSWORD) is not None, username
        assert authenticate(username="physician", password="wrong") is None

    def test_the_patient_login_is_the_first_patient_mid_treatment(self, loaded: DemoResult) -> None:
        patient = Patient.objects.get(user__username="patient")
        assert patient.mrn == "DEMO-00001"
        assert patient.clinic.slug == "demo"
        assert patient.sessions.count() == 4
        recent = patient.diary_entries.filter(date__gt=TODAY - dt.timedelta(days=28)).count()
        assert recent >= 22

    def test_diary_entries_are_unique_per_day_and_sessions_per_date(
        self, loaded: DemoResult
    ) -> None:
        assert (
            not DiaryEntry.objects.values("patient", "date").annotate(n=Count("id")).filter(n__gt=1)
        )
        assert not Session.objects.values("patient", "date").annotate(n=Count("id")).filter(n__gt=1)
        free = DiaryEntry.objects.filter(headache_hours=0)
        assert free.exists()
        assert not free.exclude(peak_intensity="").exists()
        assert not DiaryEntry.objects.exclude(source="demo").exists()

    def test_it_writes_one_import_audit_row_per_patient(self, loaded: DemoResult) -> None:
        imports = AuditEvent.objects.filter(action="import", category="demo")
        assert imports.count() == 13
        assert imports.values("patient_id").distinct().count() == 13
        first = imports.get(patient_id=Patient.objects.get(mrn="DEMO-00001").pk)
        assert first.detail["sessions"] == 4


def test_it_is_deterministic_for_a_seed() -> None:
    def snapshot() -> list[tuple[object, ...]]:
        return list(
            DiaryEntry.objects.order_by("patient__mrn", "date").values_list(
                "patient__mrn", "date", "headache_hours", "peak_intensity", "nausea"
            )
        )

    load_demo(n_patients=5, seed=7, today=TODAY)
    first = snapshot()
    load_demo(n_patients=5, seed=7, today=TODAY, reset=True)
    assert snapshot() == first


def test_a_second_load_refuses_without_reset() -> None:
    load_demo(n_patients=3, seed=1, today=TODAY)
    with pytest.raises(DemoExists, match="--reset"):
        load_demo(n_patients=3, seed=1, today=TODAY)
    assert Clinic.objects.count() == 2
    assert Patient.objects.count() == 6


def test_reset_replaces_the_demo_cleanly_even_after_logins_were_used() -> None:
    load_demo(n_patients=4, seed=1, today=TODAY)
    physician = User.objects.get(username="physician")
    record(action="login", category="session", user=physician)  # a used login: audit rows
    old_patients = set(Patient.objects.values_list("pk", flat=True))

    result = load_demo(n_patients=6, seed=2, today=TODAY, reset=True)

    assert Clinic.objects.count() == 2
    assert Patient.objects.filter(clinic=result.clinic).count() == 6
    assert not Patient.objects.filter(pk__in=old_patients).exists()
    assert not DiaryEntry.objects.filter(patient_id__in=old_patients).exists()
    assert User.objects.get(username="physician").pk == physician.pk  # kept and reused
    assert authenticate(username="physician", password=DEMO_PASSWORD) is not None
    assert authenticate(username="patient", password=DEMO_PASSWORD) is not None
    assert Patient.objects.get(user__username="patient").clinic == result.clinic
    assert AuditEvent.objects.filter(action="delete", category="demo").count() == 2


def test_it_refuses_to_take_over_a_login_that_is_not_a_demo_login() -> None:
    User.objects.create_user(username="admin", email="root@example.org", password="x" * 20)
    with pytest.raises(DemoError, match="'admin' exists and is not a demo login"):
        load_demo(n_patients=3, seed=1, today=TODAY)
    assert not Clinic.objects.exists()
    assert User.objects.get(username="admin").check_password("x" * 20)


def test_the_command_prints_progress_and_the_logins() -> None:
    out, err = StringIO(), StringIO()
    call_command(
        "demo", "--patients", "5", "--seed", "3", "--today", "2026-06-30", stdout=out, stderr=err
    )
    text = out.getvalue()
    assert "Loaded 5 patients into Demo Headache Centre" in text
    assert DEMO_PASSWORD in text
    assert "write    [##############################] 5/5 patients" in err.getvalue()
    for username in ("physician", "nurse", "admin", "patient", "other-physician"):
        assert f"  {username} " in text


def test_the_command_refuses_a_second_load_and_skips_with_if_empty() -> None:
    call_command("demo", "--patients", "3", "--today", "2026-06-30", stdout=StringIO())
    with pytest.raises(CommandError, match="already loaded"):
        call_command("demo", "--patients", "3", "--today", "2026-06-30", stdout=StringIO())
    out = StringIO()
    call_command("demo", "--if-empty", "--patients", "3", stdout=out)
    assert "demo not loaded" in out.getvalue()
    call_command("demo", "--reset", "--patients", "4", "--today", "2026-06-30", stdout=StringIO())
    assert Patient.objects.filter(clinic__slug="demo").count() == 4


def test_the_command_rejects_a_bad_date() -> None:
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("demo", "--today", "30/06/2026", stdout=StringIO())


def test_the_demo_is_alive_on_day_one() -> None:
    """Issue 17.8: a new user sees a red flag to acknowledge, a patient due this week and an
    overdue one; patients whose treatment stopped are not shown as months overdue."""
    from cephalog.outcomes.models import ContinuationDecision
    from cephalog.safety.models import SafetyAlert
    from cephalog.scheduling import actions as scheduling
    from cephalog.scheduling import queries as schedule

    result = load_demo(n_patients=12, seed=1, today=TODAY)
    demo = Clinic.objects.get(slug="demo")
    alert = SafetyAlert.objects.get(patient__clinic=demo)
    assert alert.acknowledged_at is None
    assert alert.event.red_flag
    assert alert.event.onset == TODAY
    scheduling.sync_stale_plans(clinic_ids=[demo.pk], today=TODAY)
    week = schedule.clinic_schedule([demo.pk], TODAY, weeks=1)
    due = [r for r in week.upcoming if r.appt.kind == "session"]
    assert [r.appt.date for r in due] == [TODAY + dt.timedelta(days=4)]
    assert [r.days_overdue for r in week.overdue] == [5]
    assert due[0].appt.patient.email.endswith(".invalid")
    stopped = ContinuationDecision.objects.filter(patient__clinic=demo, decision="stop")
    assert stopped.exists()
    assert {mrn for mrn, _ in result.highlights} == {
        due[0].appt.patient.mrn,
        week.overdue[0].appt.patient.mrn,
        alert.patient.mrn,
    }


def test_the_demo_physician_can_inject_without_a_supervisor() -> None:
    """The demo physician had given every demo session but had no recorded training, so a
    new session asked for a supervising physician; the demo clinic has no other physician,
    so no session could be recorded in the demo."""
    from cephalog.treatment.actions.checks import needs_supervision
    from cephalog.treatment.queries.staff import injector_experience

    load_demo(n_patients=3, seed=1, today=TODAY)
    physician = User.objects.get(username="physician")
    experience = injector_experience([(physician, "physician")])[physician.pk]
    assert experience.trainings
    assert all(t.completed_on <= TODAY for t in experience.trainings)
    assert needs_supervision(experience) == ""
