"""All writes to patient records and the history kept with them."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from cephalog.accounts.models import Clinic, User
from cephalog.audit.actions import record
from cephalog.patients.models import Patient


@transaction.atomic
def create_patient(*, clinic: Clinic, **fields: Any) -> Patient:
    patient = Patient(clinic=clinic, **fields)
    patient.full_clean()
    patient.save()
    record(action="create", category="patient", patient=patient, object_ref=f"patient:{patient.pk}")
    return patient


@transaction.atomic
def record_consent(*, patient: Patient, on: dt.date, version: str) -> Patient:
    patient.consent_date = on
    patient.consent_version = version
    patient.full_clean()
    patient.save(update_fields=["consent_date", "consent_version", "updated_at"])
    record(action="update", category="consent", patient=patient, detail={"version": version})
    return patient


def invitation_link(user: User) -> str:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    path = reverse("invite-accept", kwargs={"uidb64": uid, "token": token})
    return settings.SITE_URL.rstrip("/") + path


@transaction.atomic
def invite_patient(*, patient: Patient, email: str | None = None) -> User:
    """Create (or reuse) the patient's login and email a one-time link that sets a password.

    The link is Django's password-reset token: it stops working once a password is set.
    """
    email = (email or patient.email).strip().lower()
    if not email:
        raise ValueError("The patient has no email address to invite.")
    user = patient.user
    if user is None:
        user = User(username=f"p-{patient.pk.hex[:12]}", email=email)
        user.set_unusable_password()
        user.full_clean(exclude=["password"])
        user.save()
        patient.user = user
        patient.save(update_fields=["user", "updated_at"])
    elif (user.email or "").casefold() != email.casefold():
        # The email says "log in with this address": make it the account's address.
        user.email = email
        user.full_clean(exclude=["password"])
        user.save(update_fields=["email"])
    link = invitation_link(user)
    clinic = patient.clinic
    transaction.on_commit(
        lambda: send_mail(
            subject=f"Your headache diary at {clinic.name}",
            message=(
                f"Hello,\n\n{clinic.name} has invited you to keep your headache diary in cephalog.\n"
                f"Open this link to choose a password (it works once, for three days):\n\n{link}\n\n"
                f"Then log in with this email address, {email}, and your password.\n\n"
                f"If you did not expect this message, you can ignore it.\n"
            ),
            from_email=None,
            recipient_list=[email],
        )
    )
    record(action="update", category="account", patient=patient, detail={"invited": True})
    return user
