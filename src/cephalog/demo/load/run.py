"""`load_demo`: generate the cohorts, then write the clinics, logins and patients in one
transaction."""

from __future__ import annotations

import datetime as dt
import time

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import transaction

from cephalog.accounts.actions import create_clinic
from cephalog.accounts.models import Clinic, User
from cephalog.demo import generate as gen
from cephalog.demo.actions import delete_demo, enrol_demo_authenticator
from cephalog.demo.load.alive import _bring_to_life
from cephalog.demo.load.base import (
    DEMO_CLINIC_NAME,
    DEMO_DOMAIN,
    DEMO_PASSWORD,
    DEMO_STAFF,
    OTHER_CLINIC_NAME,
    OTHER_CLINIC_PATIENTS,
    OTHER_CLINIC_SLUG,
    OTHER_DOMAIN,
    OTHER_STAFF,
    PATIENT_USERNAME,
    DemoLogin,
    DemoResult,
    LoadProgress,
    _check_usernames,
    _email,
    _login,
    _patient_login,
    _refuse_if_loaded,
    _staff,
)
from cephalog.demo.load.history import _write_cohort
from cephalog.safety.models import AdverseEvent
from cephalog.treatment.actions import record_injector_training


def _make_room(clinic_slug: str, *, reset: bool) -> None:
    """Delete the demo clinics (`reset`) or refuse when loaded; refuse taken usernames."""
    if reset:
        delete_demo(Clinic.objects.filter(slug__in=[clinic_slug, OTHER_CLINIC_SLUG]))
    else:
        _refuse_if_loaded(clinic_slug)
    _check_usernames()


def _create_clinics(clinic_slug: str) -> tuple[Clinic, Clinic]:
    """The demo clinic and the other clinic (for trying cross-clinic isolation)."""
    clinic = create_clinic(
        slug=clinic_slug,
        name=DEMO_CLINIC_NAME,
        phone="+44 20 7946 0123",
        safety_email=_email("safety", DEMO_DOMAIN),
        address="Headache Unit, Level 2\n1 Demo Street\nLondon EC1A 1AA",
    )
    other = create_clinic(
        slug=OTHER_CLINIC_SLUG,
        name=OTHER_CLINIC_NAME,
        phone="+44 161 496 0456",
        safety_email=_email("safety", OTHER_DOMAIN),
    )
    return clinic, other


def _create_logins(
    clinic: Clinic, other: Clinic, cohort: gen.Cohort, n_patients: int
) -> tuple[list[DemoLogin], dict[str, User], User]:
    """The staff logins of both clinics and the patient login: (logins shown, staff by
    username, the patient's user)."""
    # One hash for all demo logins (one public password): hashing is the slow part.
    password_hash = make_password(DEMO_PASSWORD)
    logins: list[DemoLogin] = []
    staff: dict[str, User] = {}
    for spec in DEMO_STAFF:
        staff[spec.username] = _staff(clinic, spec, DEMO_DOMAIN, password_hash)
        logins.append(_login(spec, clinic))
    for spec in OTHER_STAFF:
        staff[spec.username] = _staff(other, spec, OTHER_DOMAIN, password_hash)
    if settings.DEV and not settings.SECURE:  # where `cephalog mfa-code` works
        for user in staff.values():
            enrol_demo_authenticator(user)
    patient_user = _patient_login(cohort, password_hash)
    patient = cohort.patients
    logins.append(
        DemoLogin(
            username=PATIENT_USERNAME,
            password=DEMO_PASSWORD,
            name=f"{patient.given_name[0]} {patient.family_name[0]}" if n_patients else "",
            role="Patient",
            clinic=clinic.name,
        )
    )
    logins.append(_login(OTHER_STAFF[0], other))
    return logins, staff, patient_user


def _record_training(clinic: Clinic, staff: dict[str, User], today: dt.date) -> None:
    """The demo physician's injector training: without it every new session asks for a
    supervising physician, and the demo clinic has no other physician to name."""
    record_injector_training(
        clinic=clinic,
        by=staff["admin"],
        user=staff["physician"],
        course="PREEMPT injection technique (demo record)",
        provider="Demo Headache Centre",
        completed_on=today - dt.timedelta(days=3 * 365),
        today=today,
    )


def load_demo(
    *,
    n_patients: int,
    seed: int,
    today: dt.date,
    clinic_slug: str = "demo",
    progress: LoadProgress | None = None,
    reset: bool = False,
    alive: bool = True,
) -> DemoResult:
    """Create the demo clinics, their logins and `n_patients` generated patients.

    Refuses with DemoExists when either demo clinic exists, unless `reset`,
    which deletes both clinics (and their patients) first. Deterministic for
    (n_patients, seed, today). Patient 0 of the cohort gets the `patient` login.
    `alive` (the default) adds what a new user should see working on day one
    (`_bring_to_life`); without it the database holds exactly the generated cohort.
    """
    if not reset:
        _refuse_if_loaded(clinic_slug)  # before generating; checked again when writing
    started = time.perf_counter()
    on_chunk = None if progress is None else (lambda d, t: progress("generate", d, t))
    cohort = gen.generate_cohort(n_patients, seed, today, progress=on_chunk)
    other_cohort = gen.generate_cohort(OTHER_CLINIC_PATIENTS, seed + 1, today, mrn_prefix="NN")
    generated = time.perf_counter()

    with transaction.atomic():
        _make_room(clinic_slug, reset=reset)

        clinic, other = _create_clinics(clinic_slug)
        logins, staff, patient_user = _create_logins(clinic, other, cohort, n_patients)

        on_write = None if progress is None else (lambda d, t: progress("write", d, t))
        counts = _write_cohort(
            clinic,
            cohort,
            injector=staff["physician"],
            first_patient_user=patient_user if n_patients else None,
            seed=seed,
            progress=on_write,
        )
        _write_cohort(other, other_cohort, injector=staff["other-physician"], seed=seed + 1)
        _record_training(clinic, staff, today)
        highlights = (
            _bring_to_life(clinic, cohort, physician=staff["physician"], today=today)
            if alive
            else ()
        )

    return DemoResult(
        clinic=clinic,
        other_clinic=other,
        logins=tuple(logins),
        patients=n_patients,
        diary_entries=counts["diary_entries"],
        sessions=counts["sessions"],
        adverse_events=AdverseEvent.objects.filter(patient__clinic=clinic).count(),
        generate_seconds=generated - started,
        write_seconds=time.perf_counter() - generated,
        highlights=highlights,
    )
