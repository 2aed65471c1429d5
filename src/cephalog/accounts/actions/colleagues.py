"""Clinic admins manage their colleagues (issue 17.5): invitations, accounts,
the clinic's settings."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from cephalog.accounts.actions.common import (
    _active_admins,
    _admin_clinic,
    _member,
    _record_role,
    _tell,
    _username_from,
    staff_invitation_link,
)
from cephalog.accounts.models import Clinic, Membership, Role, RoleChange, RoleChangeStatus, User
from cephalog.audit.actions import record
from cephalog.core.writes import update_audited


@transaction.atomic
def invite_colleague(
    *, clinic: Clinic, by: Any, email: str, role: str, first_name: str, last_name: str
) -> User:
    """A new staff login for the clinic; a one-time link to choose a password goes by email.

    The colleague sets up their second factor at first sign-in. An address that already
    has a login is refused (a login is never re-issued by invitation).
    """
    _admin_clinic(by, clinic)
    email = (email or "").strip().lower()
    if role not in Role.values:
        raise ValidationError({"role": "Choose a role."})
    if not email:
        raise ValidationError({"email": "Enter the colleague's email address."})
    if User.objects.filter(email__iexact=email).exists():
        raise ValidationError(
            {
                "email": "A login with this email address exists already. A colleague here "
                "who has not signed in yet: open their page under Staff to send the "
                "invitation again."
            }
        )
    user = User(
        username=_username_from(email),
        email=email,
        first_name=(first_name or "").strip()[:150],
        last_name=(last_name or "").strip()[:150],
    )
    user.set_unusable_password()
    user.full_clean(exclude=["password"])
    user.save()
    Membership.objects.create(user=user, clinic=clinic, role=role)
    _record_role(clinic.pk, user.pk, by, {"before": None, "after": role, "invited": True})
    _send_invitation(clinic=clinic, by=by, user=user, role=role)
    return user


def _send_invitation(*, clinic: Clinic, by: Any, user: User, role: str) -> None:
    link = staff_invitation_link(user)
    inviter = by.get_full_name() or by.username
    _tell(
        f"You are invited to cephalog at {clinic.name}",
        f"Hello {user.first_name or user.username},\n\n{inviter} has invited you to cephalog at "
        f"{clinic.name} as {Role(role).label.lower()}.\nYour username is {user.username}.\n"
        f"Open this link to choose a password (it works once, for three days):\n\n{link}\n\n"
        "At your first sign-in you will also set up an authenticator app.\n",
        [user.email or ""],
    )


def _record_account(clinic: Clinic, by: Any, user: User, detail: dict[str, Any]) -> None:
    """The audit row of a change an admin made to a colleague's login."""
    record(
        action="privilege",
        category="account",
        clinic_id=clinic.pk,
        user=by,
        object_ref=f"user:{user.pk}",
        detail=detail,
    )


@transaction.atomic
def resend_invitation(*, clinic: Clinic, by: Any, user: User) -> User:
    """A new invitation link by email to a colleague who has not chosen a password yet.

    The first link works once, for three days; an expired or lost one left the colleague
    told to "ask your clinic for a new invitation" and the admin no way to send one
    (inviting the address again is refused: it has a login). Once a password is chosen,
    a forgotten one is reset from the sign-in page instead.
    """
    _admin_clinic(by, clinic)
    user = User.objects.select_for_update().get(pk=user.pk)
    membership = _member(clinic, user)
    if not user.is_active:
        raise ValidationError("This account is disabled: enable it again first.")
    if not user.invitation_pending:
        raise ValidationError(
            "They have chosen a password already: a forgotten one is reset from the sign-in "
            "page (Forgotten your password?)."
        )
    if not user.email:
        raise ValidationError("This login has no email address to send the invitation to.")
    _record_account(clinic, by, user, {"invitation": "sent again"})
    _send_invitation(clinic=clinic, by=by, user=user, role=membership.role)
    return user


@transaction.atomic
def set_account_active(*, clinic: Clinic, by: Any, user: User, active: bool) -> User:
    """Disable (or enable again) a colleague's login.

    A disabled login cannot sign in, and its open sessions end at their next request
    (Django's ModelBackend refuses inactive users). Only for people who work at no
    other clinic (an admin of one clinic does not lock someone out of another), never
    oneself, never the last active clinic admin.
    """
    _admin_clinic(by, clinic)
    user = User.objects.select_for_update().get(pk=user.pk)
    _member(clinic, user)
    if user.pk == getattr(by, "pk", None):
        raise ValidationError("You cannot disable your own account.")
    if user.is_superuser:
        raise ValidationError("This account is managed by the operators.")
    if Membership.objects.filter(user=user).exclude(clinic=clinic).exists():
        raise ValidationError("This person also works at another clinic; ask its admin too.")
    if not active and user in _active_admins(clinic) and len(_active_admins(clinic)) <= 1:
        raise ValidationError("The clinic would have no clinic admin left.")
    if user.is_active == active:
        return user
    user.is_active = active
    user.save(update_fields=["is_active"])
    if not active:
        RoleChange.objects.filter(user=user, status=RoleChangeStatus.PENDING).update(
            status=RoleChangeStatus.WITHDRAWN, decided_by=by, decided_at=timezone.now()
        )
    _record_account(
        clinic,
        by,
        user,
        {
            "before": "active" if not active else "disabled",
            "after": "active" if active else "disabled",
        },
    )
    _tell(
        f"Your cephalog account at {clinic.name}",
        f"Hello,\n\nYour cephalog account at {clinic.name} has been "
        f"{'enabled again' if active else 'disabled'} by "
        f"{by.get_full_name() or by.username}.\n",
        [user.email or ""],
    )
    return user


CLINIC_SETTINGS = (
    "name",
    "country",
    "address",
    "phone",
    "safety_email",
    "time_zone",
    "backfill_days",
    "minimum_interval_days",
)


@transaction.atomic
def update_clinic_settings(*, clinic: Clinic, by: Any, **fields: Any) -> list[str]:
    """Change the clinic's own settings (clinic admins); audited with before and after."""
    _admin_clinic(by, clinic)
    clinic = Clinic.objects.select_for_update().get(pk=clinic.pk)
    unknown = set(fields) - set(CLINIC_SETTINGS)
    if unknown:
        raise ValueError(f"update_clinic_settings: not settings: {sorted(unknown)}")
    return update_audited(clinic, fields, category="clinic", clinic_id=clinic.pk, user=by)
