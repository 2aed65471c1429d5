"""Named people for permission tests: every page test says who may and may not see it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.test import Client

from cephalog.accounts import actions as account_actions
from cephalog.accounts.models import Clinic, Role, User
from cephalog.patients import actions as patient_actions
from cephalog.patients.models import Patient

PASSWORD = "correct horse battery staple"


@dataclass
class Cast:
    clinic: Clinic
    other_clinic: Clinic
    physician: User
    nurse: User
    clinic_admin: User
    other_physician: User
    patient_user: User
    patient: Patient
    other_patient_user: User
    other_patient: Patient
    other_clinic_patient: Patient

    def user(self, name: str) -> User | None:
        return None if name == "anonymous" else getattr(self, name)


ALL_PERSONAS = (
    "anonymous",
    "patient_user",
    "other_patient_user",
    "nurse",
    "physician",
    "clinic_admin",
    "other_physician",
)
STAFF = ("nurse", "physician", "clinic_admin")


def make_patient(
    clinic: Clinic, mrn: str, given: str, family: str, username: str | None
) -> Patient:
    patient = patient_actions.create_patient(
        clinic=clinic,
        mrn=mrn,
        given_name=given,
        family_name=family,
        birth_date=dt.date(1982, 3, 14),
        sex="female",
        email=f"{mrn.lower()}@example.org",
        time_zone="Europe/London",
    )
    if username:
        user = User.objects.create_user(
            username=username, email=f"{username}@example.org", password=PASSWORD
        )
        patient.user = user
        patient.save(update_fields=["user"])
    return patient


def make_cast() -> Cast:
    clinic = account_actions.create_clinic(
        slug="leeds", name="Leeds Headache Centre", phone="0113 000 0000"
    )
    other = account_actions.create_clinic(slug="york", name="York Neurology")

    def staff(username: str, role: str, at: Clinic) -> User:
        return account_actions.create_staff(
            clinic=at,
            username=username,
            email=f"{username}@example.org",
            role=role,
            password=PASSWORD,
        )

    patient = make_patient(clinic, "MRN-1001", "Ada", "Quill", "ada")
    other_patient = make_patient(clinic, "MRN-1002", "Brook", "Tarrant", "brook")
    other_clinic_patient = make_patient(other, "Y-77", "Cyrus", "Vantablack", None)
    return Cast(
        clinic=clinic,
        other_clinic=other,
        physician=staff("dr-house", Role.PHYSICIAN, clinic),
        nurse=staff("nurse-joy", Role.NURSE, clinic),
        clinic_admin=staff("admin-ann", Role.CLINIC_ADMIN, clinic),
        other_physician=staff("dr-other", Role.PHYSICIAN, other),
        patient_user=patient.user,  # type: ignore[arg-type]
        patient=patient,
        other_patient_user=other_patient.user,  # type: ignore[arg-type]
        other_patient=other_patient,
        other_clinic_patient=other_clinic_patient,
    )


def verified_device(user: User) -> Any:
    """The user's confirmed TOTP device (created for staff on first use in tests)."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    return device or TOTPDevice.objects.create(user=user, name="test", confirmed=True)


def login_client(client: Client, user: User) -> Client:
    """Log `user` in; staff also pass their second factor (as after entering a TOTP code)."""
    from django_otp import DEVICE_ID_SESSION_KEY

    from cephalog.accounts.mfa import needs_mfa

    client.force_login(user)
    if needs_mfa(user):
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = verified_device(user).persistent_id
        session.save()
    return client


def pass_second_factor(client: Client, user: User) -> None:
    """After a real password login, enter the code of the user's authenticator (staff only)."""
    from django_otp.oath import totp

    from cephalog.accounts.mfa import needs_mfa

    if not needs_mfa(user):
        return
    device = verified_device(user)
    code = str(totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits))
    response = client.post("/accounts/mfa/", {"token": code.zfill(device.digits)})
    assert response.status_code == 302, response.content.decode()[:500]


def client_for(cast: Cast, persona: str, **client_kwargs: Any) -> Client:
    client = Client(**client_kwargs)
    user = cast.user(persona)
    if user is not None:
        login_client(client, user)
    return client


def assert_refused(
    cast: Cast,
    url: str,
    personas: Iterable[str],
    *,
    method: str = "get",
    data: dict[str, Any] | None = None,
    secrets: Iterable[str] = (),
) -> None:
    """Assert every persona named is refused `url`: 403/404 (or the login page for anonymous),
    and the body shows none of `secrets` (names, MRNs of the patient concerned)."""
    for persona in personas:
        response = getattr(client_for(cast, persona), method)(url, data or {})
        if persona == "anonymous":
            assert response.status_code in (302, 401, 403, 404), (
                persona,
                url,
                response.status_code,
            )
            if response.status_code == 302:
                assert "/accounts/login/" in response["Location"], (persona, url)
        else:
            assert response.status_code in (403, 404), (persona, url, response.status_code)
        body = response.content.decode(errors="replace")
        for secret in secrets:
            assert secret not in body, (persona, url, secret)


def assert_allowed(cast: Cast, url: str, personas: Iterable[str], *, contains: str = "") -> None:
    for persona in personas:
        response = client_for(cast, persona).get(url)
        assert response.status_code == 200, (persona, url, response.status_code)
        if contains:
            assert contains in response.content.decode(), (persona, url)
