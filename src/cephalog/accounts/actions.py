"""All writes to clinics, users and roles."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from cephalog.accounts.access import forget_memberships
from cephalog.accounts.models import Clinic, Membership, User
from cephalog.audit.actions import record


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
    membership, _ = Membership.objects.update_or_create(
        user=user, clinic=clinic, defaults={"role": role}
    )
    membership.full_clean()
    forget_memberships(user)
    record(
        action="privilege",
        category="role",
        clinic_id=clinic.pk,
        object_ref=f"user:{user.pk}",
        detail={"role": role},
    )
    return membership
