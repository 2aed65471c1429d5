"""Role changes: one clinic admin asks, another decides (issue 17.5)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from cephalog.accounts.access import forget_memberships
from cephalog.accounts.actions.common import (
    _active_admins,
    _admin_clinic,
    _member,
    _record_role,
    _tell,
)
from cephalog.accounts.models import Clinic, Role, RoleChange, RoleChangeStatus, User


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


def _role_detail(change: RoleChange) -> dict[str, Any]:
    return {"before": change.old_role, "after": change.new_role, "status": change.status}


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
    _record_role(clinic.pk, user.pk, by, _role_detail(change))
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
    _record_role(change.clinic_id, change.user_id, by, _role_detail(change))
    decider = by.get_full_name() or by.username
    _tell(
        f"Role change at {change.clinic.name}: {change.get_status_display().lower()}",
        f"Hello,\n\n{decider} {'confirmed' if confirm else 'did not confirm'} a role change at "
        f"{change.clinic.name}.\n\n{_role_words(change)}\n",
        [change.user.email or "", *(a.email or "" for a in _active_admins(change.clinic))],
    )
    return change
