"""Reads for the Staff page: the clinic's people, their roles, training and sessions given."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Max
from django.shortcuts import get_object_or_404

from cephalog.accounts.models import Clinic, Membership, RoleChange, RoleChangeStatus, User
from cephalog.treatment.models import InjectorTraining, Session, SessionStatus


@dataclass(frozen=True)
class Member:
    user: User
    role: str
    role_label: str
    trainings: list[InjectorTraining]
    sessions_given: int
    last_session: dt.date | None
    pending: RoleChange | None

    @property
    def name(self) -> str:
        return self.user.get_full_name() or self.user.username


@dataclass(frozen=True)
class Team:
    clinic: Clinic
    members: list[Member]
    pending: list[RoleChange]


def _members(clinic: Clinic, users: list[int] | None = None) -> list[Member]:
    memberships = Membership.objects.filter(clinic=clinic).select_related("user")
    if users is not None:
        memberships = memberships.filter(user_id__in=users)
    rows = list(memberships.order_by("user__last_name", "user__first_name", "user__username"))
    ids = [m.user_id for m in rows]
    trainings: dict[int, list[InjectorTraining]] = {}
    for t in InjectorTraining.objects.filter(clinic=clinic, user_id__in=ids).order_by(
        "completed_on"
    ):
        trainings.setdefault(t.user_id, []).append(t)
    given: dict[int, dict[str, Any]] = {
        row["injector_id"]: dict(row)
        for row in Session.objects.filter(
            injector_id__in=ids, status=SessionStatus.COMPLETED, patient__clinic=clinic
        )
        .values("injector_id")
        .annotate(n=Count("id"), last=Max("date"))
        .order_by()
    }
    pending = {
        c.user_id: c
        for c in RoleChange.objects.filter(
            clinic=clinic, user_id__in=ids, status=RoleChangeStatus.PENDING
        ).select_related("requested_by")
    }
    return [
        Member(
            user=m.user,
            role=m.role,
            role_label=m.get_role_display(),
            trainings=trainings.get(m.user_id, []),
            sessions_given=given.get(m.user_id, {}).get("n", 0),
            last_session=given.get(m.user_id, {}).get("last"),
            pending=pending.get(m.user_id),
        )
        for m in rows
    ]


def team(clinic: Clinic) -> Team:
    members = _members(clinic)
    return Team(clinic, members, [m.pending for m in members if m.pending is not None])


def member(clinic: Clinic, user: User) -> Member:
    return _members(clinic, [user.pk])[0]


def member_of(clinic: Clinic, user_id: int) -> User:
    """A member of the clinic's staff by id; 404 for anyone else."""
    return get_object_or_404(User, pk=user_id, memberships__clinic=clinic)
