"""What the clinic admin's writes share: the admin check, the membership, the email."""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from cephalog.accounts.access import require_role
from cephalog.accounts.models import Clinic, Membership, Role, User
from cephalog.audit.actions import record


def _admin_clinic(by: Any, clinic: Clinic) -> None:
    """Refuse unless `by` is a clinic admin of `clinic` (views check too; actions never trust)."""
    require_role(by, clinic, (Role.CLINIC_ADMIN,), "do this")


def _member(clinic: Clinic, user: User) -> Membership:
    membership = Membership.objects.select_for_update().filter(clinic=clinic, user=user).first()
    if membership is None:
        raise ValidationError("This person does not work at this clinic.")
    return membership


def _record_role(clinic_id: int, user_id: int, by: Any, detail: dict[str, Any]) -> None:
    """The audit row of a role given, asked for or decided: whose (`user_id`), by whom."""
    record(
        action="privilege",
        category="role",
        clinic_id=clinic_id,
        user=by,
        object_ref=f"user:{user_id}",
        detail=detail,
    )


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
