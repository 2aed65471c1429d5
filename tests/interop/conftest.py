"""A patient with one of everything cephalog records, built through the actions."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from django.db import transaction

from cephalog.accounts import actions as account_actions
from cephalog.accounts.models import Clinic, Role, User
from cephalog.diary.actions import save_days_bulk
from cephalog.diary.attack_actions import save_attack
from cephalog.domain import dosing
from cephalog.domain.diary import AcuteMedication, DiaryDay
from cephalog.eligibility.models import Allergy, Condition, Medication, Preventive, ToxinExposure
from cephalog.outcomes.actions import record_bridging, record_questionnaire
from cephalog.patients.models import Patient
from cephalog.safety.actions import ReportedSymptom, record_adverse_event, submit_checkin
from cephalog.scheduling.actions import sync_plan
from cephalog.treatment import actions as treatment
from cephalog.treatment.models import Session
from tests.personas import PASSWORD, Cast

LONDON = zoneinfo.ZoneInfo("Europe/London")
SESSION_AT = dt.datetime(2026, 3, 10, 9, 0, tzinfo=LONDON)
TODAY = dt.date(2026, 4, 20)


@dataclass
class Rich:
    patient: Patient
    session: Session


def _diary(patient: Patient, by: User) -> None:
    days = []
    start = dt.date(2026, 2, 1)
    for i in range(60):
        date = start + dt.timedelta(days=i)
        if i % 9 == 8:
            continue  # an unrecorded day
        if i % 3 == 0:
            days.append(DiaryDay(date=date, headache_hours=0))
            continue
        days.append(
            DiaryDay(
                date=date,
                headache_hours=[2.5, 6.0, 11.25][i % 3],
                peak_intensity=["mild", "moderate", "severe"][i % 3],
                unilateral=i % 2 == 0,
                pulsating=True,
                nausea=i % 4 == 1,
                photophobia=True,
                phonophobia=i % 5 == 0,
                aura_minutes=20 if i % 7 == 0 else 0,
                acute_medications=(
                    (AcuteMedication("sumatriptan 50 mg", "triptan", True),)
                    if i % 2
                    else (
                        AcuteMedication("ibuprofen", "simple_analgesic", None),
                        AcuteMedication("=cmd|' /C calc'!A0", "other", False),
                    )
                ),
            )
        )
    save_days_bulk(patient=patient, days=days, by=by, today=TODAY, source="patient")


def build_rich(cast: Cast) -> Rich:
    patient, physician = cast.patient, cast.physician
    Patient.objects.filter(pk=patient.pk).update(
        chronic_headache_since=dt.date(2024, 5, 1),
        migraine_onset_year=2009,
        migraine_with_aura=False,
        intractable=True,
        status_migrainosus=False,
        consent_date=dt.date(2026, 1, 15),
        consent_version="v2",
        phone="+44 7700 900123",
        diary_reminder_time=dt.time(21, 30),
    )
    patient.refresh_from_db()
    _diary(patient, physician)
    save_attack(
        patient=patient,
        start=dt.datetime(2026, 2, 3, 22, 0, tzinfo=LONDON),
        end=dt.datetime(2026, 2, 4, 3, 30, tzinfo=LONDON),
        peak_intensity="severe",
        by=physician,
        external_id="mb-77",
        notes="Woke me up",
        today=TODAY,
        reason="Attack from the patient's app",
        source="import",
    )

    from tests.treatment.helpers import supervisor_for

    session = treatment.start_session(
        patient=patient,
        by=physician,
        injector=physician,
        supervisor=supervisor_for(patient, physician),
        infection_at_sites=False,
        red_flags_since_last=False,
        pregnant=False,
        precheck_reason="Eligibility confirmed by the headache physician.",
        now=SESSION_AT,
    )
    treatment.add_vial(
        session=session,
        by=physician,
        lot="C1234AB",
        expiry=dt.date(2026, 9, 30),
        size_units=200,
        diluent_ml=Decimal("4.0"),
        reconstituted_at=SESSION_AT - dt.timedelta(minutes=20),
        now=SESSION_AT,
    )
    sites = [
        dosing.RecordedSite(s.code, dosing.SiteStatus.DONE, 5)
        for s in dosing.FIXED_SITES
        if s.code != "frontalis-R-2"
    ]
    sites.append(
        dosing.RecordedSite("frontalis-R-2", dosing.SiteStatus.SKIPPED, 0, "Bruise from last time")
    )
    sites += [
        dosing.RecordedSite(code, dosing.SiteStatus.ADDED, 5)
        for code in ("temporalis-L-5", "occipitalis-L-4")
    ]
    treatment.complete_session(
        session=session,
        by=physician,
        sites=sites,
        ended_at=SESSION_AT + dt.timedelta(minutes=14),
        topical_anaesthetic="ice",
        immediate_reactions="Brief light-headedness",
        notes="Tolerated well",
        now=SESSION_AT + dt.timedelta(minutes=15),
    )
    session.refresh_from_db()
    # History recorded after the session (an allergy before it would stop the session).
    Condition.objects.create(patient=patient, code="dysphagia", noted_on=dt.date(2025, 6, 1))
    Condition.objects.create(
        patient=patient,
        code="pregnancy",
        noted_on=dt.date(2023, 1, 1),
        resolved_on=dt.date(2023, 9, 1),
    )
    Allergy.objects.create(patient=patient, reaction="Rash and facial swelling")
    Preventive.objects.create(
        patient=patient,
        name="topiramate",
        drug_class="antiepileptic",
        dose="50 mg twice daily",
        start=dt.date(2024, 1, 1),
        stop=dt.date(2024, 4, 1),
        outcome="intolerance",
    )
    Preventive.objects.create(
        patient=patient, name="candesartan", drug_class="arb_ace", outcome="ongoing"
    )
    Medication.objects.create(
        patient=patient, name="gentamicin", drug_class="aminoglycoside", start=dt.date(2026, 1, 3)
    )
    ToxinExposure.objects.create(
        patient=patient,
        date=dt.date(2025, 10, 1),
        product="onabotulinumtoxinA",
        units=50,
        indication="cervical_dystonia",
    )
    treatment.add_addendum(session=session, by=physician, text="Lot number confirmed with pharmacy")

    checkin = submit_checkin(
        patient=patient,
        session=session,
        kind="day3",
        symptoms=[
            ReportedSymptom(
                "neck_pain",
                onset=dt.date(2026, 3, 11),
                severity="mild",
                still_present=False,
                resolved_on=dt.date(2026, 3, 12),
            )
        ],
        note="Stiff neck for a day",
        now=dt.datetime(2026, 3, 13, 19, 0, tzinfo=LONDON),
    )
    assert checkin.events
    record_adverse_event(
        patient=patient,
        user=physician,
        symptom="eyelid_ptosis",
        onset=dt.date(2026, 3, 20),
        severity="moderate",
        session=session,
        relatedness="possibly",
        outcome="recovering",
        site_codes=["frontalis-L-1"],
        description="Left upper lid droop",
        actions="Reviewed; avoid the lateral frontalis next time",
        avoid_sites=["frontalis-L-2"],
        relevant_tests="None",
        relevant_history="None relevant",
    )
    record_questionnaire(
        patient=patient,
        by=cast.patient_user,
        instrument="hit6",
        items={f"hit6_{i}": v for i, v in enumerate([13, 11, 11, 10, 13, 8], start=1)},
        completed_on=dt.date(2026, 3, 5),
        source="patient",
    )
    record_questionnaire(
        patient=patient,
        by=physician,
        instrument="midas",
        items={
            "midas_1": 10,
            "midas_2": 5,
            "midas_3": 4,
            "midas_4": 3,
            "midas_5": 8,
            "midas_a": 20,
            "midas_b": 7,
        },
        completed_on=dt.date(2026, 3, 5),
        source="staff",
    )
    record_bridging(
        patient=patient,
        by=physician,
        date=dt.date(2026, 2, 20),
        kind="nerve_block",
        notes="Greater occipital nerve block",
    )
    sync_plan(patient=patient, today=TODAY)
    return Rich(patient=patient, session=session)


@pytest.fixture
def rich(cast: Cast) -> Rich:
    return build_rich(cast)


@pytest.fixture(scope="module")
def rich_bundle(django_db_setup: None, django_db_blocker: Any) -> dict[str, Any]:
    """The full record's bundle, built once per module in a transaction that is rolled
    back: tests that only read the JSON share it."""
    from cephalog.interop import fhir
    from tests.personas import make_cast

    with django_db_blocker.unblock(), transaction.atomic():
        cast = make_cast()
        build_rich(cast)
        bundle = fhir.patient_bundle(cast.patient)
        transaction.set_rollback(True)
    return bundle


@pytest.fixture
def new_clinic(db: None) -> tuple[Clinic, User]:
    """An empty clinic and its admin, to import into."""
    clinic = account_actions.create_clinic(slug="bristol", name="Bristol Migraine Service")
    admin = account_actions.create_staff(
        clinic=clinic,
        username="bristol-admin",
        email="bristol-admin@example.org",
        role=Role.CLINIC_ADMIN,
        password=PASSWORD,
    )
    return clinic, admin
