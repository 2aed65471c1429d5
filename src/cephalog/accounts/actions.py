"""All writes to clinics, users and roles."""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from cephalog.accounts.access import forget_memberships, require_role
from cephalog.accounts.models import (
    Clinic,
    Membership,
    Role,
    RoleChange,
    RoleChangeStatus,
    User,
)
from cephalog.audit.actions import record
from cephalog.core.writes import assign_fields
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
    record(
        action="privilege",
        category="role",
        clinic_id=clinic.pk,
        object_ref=f"user:{user.pk}",
        detail={"role": role, "before": old, "after": role},
    )
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
    """A new sign-in address (unique in any case); a patient's record follows it, so the
    clinic's messages go to the address the patient signs in with."""
    user.email = email.strip()
    user.full_clean(exclude=["password"])
    user.save(update_fields=["email"])
    patient = Patient.objects.filter(user=user).first()
    if patient is not None and patient.email != user.email:
        patient.email = user.email
        patient.save(update_fields=["email", "updated_at"])
    _account_changed(user, patient, "email")
    return user


# --- clinic admins manage their colleagues (issue 17.5) -------------------------------------


def _admin_clinic(by: Any, clinic: Clinic) -> None:
    """Refuse unless `by` is a clinic admin of `clinic` (views check too; actions never trust)."""
    require_role(by, clinic, (Role.CLINIC_ADMIN,), "do this")


def _member(clinic: Clinic, user: User) -> Membership:
    membership = Membership.objects.select_for_update().filter(clinic=clinic, user=user).first()
    if membership is None:
        raise ValidationError("This person does not work at this clinic.")
    return membership


def _tell(subject: str, body: str, to: list[str]) -> None:
    to = sorted({address for address in to if address})
    if to:
        transaction.on_commit(
            lambda: send_mail(subject=subject, message=body, from_email=None, recipient_list=to)
        )


def _active_admins(clinic: Clinic) -> list[User]:
    return list(
        User.objects.filter(
            memberships__clinic=clinic, memberships__role=Role.CLINIC_ADMIN, is_active=True
        ).order_by("pk")
    )


def _username_from(email: str) -> str:
    base = re.sub(r"[^a-z0-9._-]", "", email.split("@", 1)[0].lower())[:30] or "staff"
    candidate, n = base, 1
    while User.objects.filter(username=candidate).exists():
        n += 1
        candidate = f"{base}{n}"
    return candidate


def staff_invitation_link(user: User) -> str:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return settings.SITE_URL.rstrip("/") + reverse(
        "invite-accept", kwargs={"uidb64": uid, "token": token}
    )


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
        raise ValidationError({"email": "A login with this email address exists already."})
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
    record(
        action="privilege",
        category="role",
        clinic_id=clinic.pk,
        user=by,
        object_ref=f"user:{user.pk}",
        detail={"before": None, "after": role, "invited": True},
    )
    link = staff_invitation_link(user)
    inviter = by.get_full_name() or by.username
    _tell(
        f"You are invited to cephalog at {clinic.name}",
        f"Hello {user.first_name or user.username},\n\n{inviter} has invited you to cephalog at "
        f"{clinic.name} as {Role(role).label.lower()}.\nYour username is {user.username}.\n"
        f"Open this link to choose a password (it works once, for three days):\n\n{link}\n\n"
        "At your first sign-in you will also set up an authenticator app.\n",
        [email],
    )
    return user


@transaction.atomic
def change_password(*, user: User, password: str) -> User:
    """A new password (validated by the caller's form against AUTH_PASSWORD_VALIDATORS)."""
    user.set_password(password)
    user.save(update_fields=["password"])
    patient = Patient.objects.filter(user=user).first()
    _account_changed(user, patient, "password")
    return user


def _apply_role(change: RoleChange, by: Any) -> None:
    membership = _member(change.clinic, change.user)
    if membership.role != change.old_role:
        raise ValidationError("The role has changed since this was asked; ask again.")
    if change.old_role == Role.CLINIC_ADMIN and len(_active_admins(change.clinic)) <= 1:
        raise ValidationError("The clinic would have no clinic admin left.")
    membership.role = change.new_role
    membership.full_clean()
    membership.save(update_fields=["role"])
    forget_memberships(change.user)
    change.status = RoleChangeStatus.APPLIED
    change.decided_by = by if getattr(by, "pk", None) else None
    change.decided_at = timezone.now()
    change.save(update_fields=["status", "decided_by", "decided_at"])


def _role_words(change: RoleChange) -> str:
    name = change.user.get_full_name() or change.user.username
    return f"{name}: {Role(change.old_role).label} → {Role(change.new_role).label}"


@transaction.atomic
def request_role_change(*, clinic: Clinic, by: Any, user: User, role: str) -> RoleChange:
    """A clinic admin changes a colleague's role.

    Nobody changes their own role (so no one raises it). With a second active clinic
    admin the change waits for their confirmation; otherwise it applies at once. Audited
    with the role before and after; the colleague and the clinic admins are told.
    """
    _admin_clinic(by, clinic)
    if role not in Role.values:
        raise ValidationError({"role": "Choose a role."})
    if user.pk == getattr(by, "pk", None):
        raise ValidationError("You cannot change your own role: ask another clinic admin.")
    membership = _member(clinic, user)
    if membership.role == role:
        raise ValidationError({"role": "That is already their role."})
    RoleChange.objects.filter(clinic=clinic, user=user, status=RoleChangeStatus.PENDING).update(
        status=RoleChangeStatus.WITHDRAWN, decided_by=by, decided_at=timezone.now()
    )
    change = RoleChange.objects.create(
        clinic=clinic, user=user, old_role=membership.role, new_role=role, requested_by=by
    )
    confirmers = [a for a in _active_admins(clinic) if a.pk not in (by.pk, user.pk)]
    if not confirmers:
        _apply_role(change, by)
    record(
        action="privilege",
        category="role",
        clinic_id=clinic.pk,
        user=by,
        object_ref=f"user:{user.pk}",
        detail={"before": change.old_role, "after": change.new_role, "status": change.status},
    )
    asker = by.get_full_name() or by.username
    if change.status == RoleChangeStatus.APPLIED:
        text = f"{asker} changed a role at {clinic.name}.\n\n{_role_words(change)}\n"
    else:
        text = (
            f"{asker} asked to change a role at {clinic.name}. It applies once another clinic "
            f"admin confirms it on the Staff page.\n\n{_role_words(change)}\n"
        )
    _tell(
        f"Role change at {clinic.name}",
        f"Hello,\n\n{text}\nIf this is unexpected, tell your clinic's management.\n",
        [user.email or "", *(a.email or "" for a in _active_admins(clinic))],
    )
    return change


@transaction.atomic
def decide_role_change(*, change: RoleChange, by: Any, confirm: bool) -> RoleChange:
    """Another clinic admin confirms (or turns down) a pending role change.

    The admin who asked and the colleague concerned cannot confirm it themselves;
    the one who asked may withdraw it (confirm=False)."""
    change = (
        RoleChange.objects.select_for_update().select_related("clinic", "user").get(pk=change.pk)
    )
    _admin_clinic(by, change.clinic)
    if change.status != RoleChangeStatus.PENDING:
        raise ValidationError("This role change has been decided already.")
    if by.pk == change.user_id:
        raise ValidationError("You cannot decide a change of your own role.")
    if confirm:
        if by.pk == change.requested_by_id:
            raise ValidationError("Another clinic admin must confirm the change you asked for.")
        _apply_role(change, by)
    else:
        change.status = (
            RoleChangeStatus.WITHDRAWN
            if by.pk == change.requested_by_id
            else RoleChangeStatus.REJECTED
        )
        change.decided_by, change.decided_at = by, timezone.now()
        change.save(update_fields=["status", "decided_by", "decided_at"])
    record(
        action="privilege",
        category="role",
        clinic_id=change.clinic_id,
        user=by,
        object_ref=f"user:{change.user_id}",
        detail={"before": change.old_role, "after": change.new_role, "status": change.status},
    )
    decider = by.get_full_name() or by.username
    _tell(
        f"Role change at {change.clinic.name}: {change.get_status_display().lower()}",
        f"Hello,\n\n{decider} {'confirmed' if confirm else 'did not confirm'} a role change at "
        f"{change.clinic.name}.\n\n{_role_words(change)}\n",
        [change.user.email or "", *(a.email or "" for a in _active_admins(change.clinic))],
    )
    return change


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
    record(
        action="privilege",
        category="account",
        clinic_id=clinic.pk,
        user=by,
        object_ref=f"user:{user.pk}",
        detail={
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
    changed, detail = assign_fields(clinic, fields)
    if changed:
        clinic.save(update_fields=changed)
        record(
            action="update",
            category="clinic",
            clinic_id=clinic.pk,
            user=by,
            object_ref=f"clinic:{clinic.pk}",
            detail=detail,
        )
    return changed
