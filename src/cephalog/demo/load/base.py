"""The demo's clinics, logins and errors: the fixed names, the staff and patient logins,
refusing a second load, deleting the demo; and the generator's dates as Python dates."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from cephalog.accounts.actions import create_staff
from cephalog.accounts.models import Clinic, Role, User
from cephalog.demo import generate as gen
from cephalog.demo.actions import restore_demo_staff, save_patient_login, set_demo_password

#: The password of every demo login (printed by `cephalog demo` and `make run`).
DEMO_PASSWORD = "demo-cephalog-2026"
DEMO_CLINIC_NAME = "Demo Headache Centre"
OTHER_CLINIC_SLUG = "northside"
OTHER_CLINIC_NAME = "Northside Neurology"
OTHER_CLINIC_PATIENTS = 3
#: Email domains of the demo logins (reserved .invalid TLD: mail can never go out).
DEMO_DOMAIN = "demo-headache-centre.invalid"
OTHER_DOMAIN = "northside-neurology.invalid"
PATIENT_USERNAME = "patient"
#: Progress callback: (phase, done, total); phase is "generate" or "write".
LoadProgress = Callable[[str, int, int], None]


@dataclass(frozen=True, slots=True)
class _StaffSpec:
    username: str
    role: str
    first_name: str
    last_name: str
    title: str = ""


DEMO_STAFF = (
    _StaffSpec("physician", Role.PHYSICIAN, "Alex", "Morgan", "Dr"),
    _StaffSpec("nurse", Role.NURSE, "Sam", "Patel"),
    _StaffSpec("admin", Role.CLINIC_ADMIN, "Jordan", "Lee"),
)
OTHER_STAFF = (_StaffSpec("other-physician", Role.PHYSICIAN, "Casey", "Brooks", "Dr"),)
DEMO_USERNAMES = frozenset([s.username for s in DEMO_STAFF + OTHER_STAFF] + [PATIENT_USERNAME])


class DemoError(Exception):
    """The demo cannot be loaded; the message says why and what to do."""


class DemoExists(DemoError):
    """The demo clinics are already loaded (use reset=True to replace them)."""


@dataclass(frozen=True, slots=True)
class DemoLogin:
    username: str
    password: str
    name: str
    role: str
    clinic: str


@dataclass(frozen=True, slots=True)
class DemoResult:
    clinic: Clinic
    other_clinic: Clinic
    logins: tuple[DemoLogin, ...]
    patients: int
    diary_entries: int
    sessions: int
    adverse_events: int
    generate_seconds: float
    write_seconds: float
    #: What a new user sees working on day one: (MRN, what), e.g. a red flag to acknowledge.
    highlights: tuple[tuple[str, str], ...] = ()


def _refuse_if_loaded(clinic_slug: str) -> None:
    existing = Clinic.objects.filter(slug__in=[clinic_slug, OTHER_CLINIC_SLUG])
    names = sorted(existing.values_list("name", flat=True))
    if names:
        raise DemoExists(
            f"The demo is already loaded ({', '.join(names)}); use --reset to replace it."
        )


def _check_usernames() -> None:
    """Refuse to take over a login that is not a demo login (e.g. a superuser named admin)."""
    expected = {spec.username: _email(spec.username, DEMO_DOMAIN) for spec in DEMO_STAFF}
    expected |= {spec.username: _email(spec.username, OTHER_DOMAIN) for spec in OTHER_STAFF}
    expected[PATIENT_USERNAME] = _email(PATIENT_USERNAME, DEMO_DOMAIN)
    for username, email in User.objects.filter(username__in=expected).values_list(
        "username", "email"
    ):
        if email != expected[username]:
            raise DemoError(
                f"A user named {username!r} exists and is not a demo login; "
                "the demo needs that username. Rename or remove that user first."
            )


def _email(username: str, domain: str) -> str:
    return f"{username}@{domain}"


def _login(spec: _StaffSpec, clinic: Clinic) -> DemoLogin:
    name = f"{spec.first_name} {spec.last_name}"
    return DemoLogin(
        username=spec.username,
        password=DEMO_PASSWORD,
        name=f"{spec.title} {name}" if spec.title else name,
        role=Role(spec.role).label,
        clinic=clinic.name,
    )


def _staff(clinic: Clinic, spec: _StaffSpec, domain: str, password_hash: str) -> User:
    email = _email(spec.username, domain)
    user = User.objects.filter(username=spec.username).first()
    if user is None:
        user = create_staff(
            clinic=clinic,
            username=spec.username,
            email=email,
            role=spec.role,
            password=None,
            first_name=spec.first_name,
            last_name=spec.last_name,
        )
        return set_demo_password(user, password_hash)
    # Kept from an earlier load (see delete_demo): bring it back to its demo state.
    return restore_demo_staff(
        user=user,
        clinic=clinic,
        role=spec.role,
        email=email,
        first_name=spec.first_name,
        last_name=spec.last_name,
        password_hash=password_hash,
    )


def _patient_login(cohort: gen.Cohort, password_hash: str) -> User:
    named = cohort.n_patients > 0
    return save_patient_login(
        username=PATIENT_USERNAME,
        email=_email(PATIENT_USERNAME, DEMO_DOMAIN),
        first_name=str(cohort.patients.given_name[0]) if named else None,
        last_name=str(cohort.patients.family_name[0]) if named else None,
        password_hash=password_hash,
    )


def _dates(values: np.ndarray[Any, Any]) -> list[dt.date | None]:
    """datetime64[D] to dates, NaT to None."""
    dates: list[dt.date | None] = values.astype("datetime64[D]").astype(object).tolist()
    return dates


def _required_dates(values: np.ndarray[Any, Any]) -> list[dt.date]:
    """datetime64[D] without NaT to dates."""
    assert not np.isnat(values).any()
    dates: list[dt.date] = values.astype("datetime64[D]").astype(object).tolist()
    return dates
