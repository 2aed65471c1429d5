"""Clinics, staff logins, roles, email addresses and passwords."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from cephalog.accounts.access import forget_memberships
from cephalog.accounts.actions.common import _record_role
from cephalog.accounts.models import Clinic, Membership, User
from cephalog.audit.actions import record
from cephalog.patients.models import Patient


@transaction.atomic
def create_clinic(*, slug: str, name: str, **fields: Any) -> Clinic:
    clinic = Clinic(slug=slug, name=name, **fields)
    clinic.full_clean()
    clinic.save()
    record(
        action="create", category="clinic", clinic_id=clinic.pk, object_ref=f"clinic:{clinic.pk}"
    )
    return clinic


@transaction.atomic
def create_staff(
    *,
    clinic: Clinic,
    username: str,
    email: str,
    role: str,
    password: str | None,
    first_name: str = "",
    last_name: str = "",
) -> User:
    user = User(username=username, email=email, first_name=first_name, last_name=last_name)
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.full_clean(exclude=["password"])
    user.save()
    grant_role(user=user, clinic=clinic, role=role)
    return user


@transaction.atomic
def grant_role(*, user: User, clinic: Clinic, role: str) -> Membership:
    """Set a role directly (set-up: `create_staff`, the demo). People use request_role_change."""
    before = Membership.objects.filter(user=user, clinic=clinic).values_list("role", flat=True)
    old = before.first()
    membership, _ = Membership.objects.update_or_create(
        user=user, clinic=clinic, defaults={"role": role}
    )
    membership.full_clean()
    forget_memberships(user)
    _record_role(clinic.pk, user.pk, None, {"role": role, "before": old, "after": role})
    return membership


def _account_changed(user: User, patient: Patient | None, what: str) -> None:
    """Audit a change the user made to their own account (`what`: "email", "password")."""
    record(
        action="update",
        category="account",
        patient=patient,
        object_ref=f"user:{user.pk}",
        detail={what: "changed"},
    )


@transaction.atomic
def change_email(*, user: User, email: str) -> User:
    """A new sign-in address at once (unique in any case); a patient's record follows it, so
    the clinic's messages go to the address the patient signs in with. For set-up and
    operators: a person changing their own address asks with `request_email_change` and
    confirms it from the new mailbox (accounts.actions.emails)."""
    user.email = email.strip()
    user.full_clean(exclude=["password"])
    user.save(update_fields=["email"])
    patient = Patient.objects.filter(user=user).first()
    if patient is not None and patient.email != user.email:
        patient.email = user.email
        patient.save(update_fields=["email", "updated_at"])
    _account_changed(user, patient, "email")
    return user


@transaction.atomic
def change_password(*, user: User, password: str) -> User:
    """A new password (validated by the caller's form against AUTH_PASSWORD_VALIDATORS)."""
    user.set_password(password)
    user.save(update_fields=["password"])
    patient = Patient.objects.filter(user=user).first()
    _account_changed(user, patient, "password")
    return user
