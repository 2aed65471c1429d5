"""The clinic admin's Staff page (invite, roles, disable; training posts to treatment) and
Clinic settings page.

Everything the Django admin did for clinic admins that they still need; the
Django admin is for superusers (operators) only.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from cephalog.accounts import actions, staff_queries
from cephalog.accounts.access import in_clinic, staff_view, working_clinic, working_clinics
from cephalog.accounts.models import Clinic, RoleChange, RoleChangeStatus
from cephalog.accounts.staff_forms import (
    ClinicSettingsForm,
    InviteColleagueForm,
    RoleForm,
    TrainingForm,
)
from cephalog.audit.actions import record
from cephalog.core.http import add_messages, add_validation_to_form

ADMIN = staff_view(roles=("clinic_admin",))


def _admin_clinics(request: HttpRequest) -> list[Clinic]:
    return working_clinics(request, ("clinic_admin",))


def _clinic(request: HttpRequest) -> Clinic:
    """The clinic the admin is working in (`?clinic=<slug>`; 404 for a clinic not theirs)."""
    return working_clinic(request, ("clinic_admin",))


@ADMIN
def staff_list(request: HttpRequest) -> HttpResponse:
    clinics = _admin_clinics(request)
    teams = [staff_queries.team(clinic) for clinic in clinics]
    for team in teams:
        record(
            action="read",
            category="staff",
            clinic_id=team.clinic.pk,
            detail={"count": len(team.members)},
        )
    return render(request, "accounts/staff_list.html", {"teams": teams})


@ADMIN
def staff_invite(request: HttpRequest) -> HttpResponse:
    clinic = _clinic(request)
    form = InviteColleagueForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = actions.invite_colleague(clinic=clinic, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_validation_to_form(form, error)
        else:
            messages.success(
                request,
                f"Invitation sent to {user.email}. The link works once, for three days.",
            )
            return redirect(in_clinic(clinic, "staff-member", user.pk))
    return render(
        request,
        "accounts/staff_invite.html",
        {"form": form, "clinic": clinic, "clinics": _admin_clinics(request)},
    )


@ADMIN
def staff_member(request: HttpRequest, user_id: int) -> HttpResponse:
    clinic = _clinic(request)
    member = staff_queries.member(clinic, staff_queries.member_of(clinic, user_id))
    record(action="read", category="staff", clinic_id=clinic.pk, object_ref=f"user:{user_id}")
    return render(
        request,
        "accounts/staff_member.html",
        {
            "clinic": clinic,
            "m": member,
            "is_me": member.user.pk == request.user.pk,
            "role_form": RoleForm(initial={"role": member.role}),
            "training_form": TrainingForm(),
        },
    )


def _back(clinic: Clinic, user_id: int) -> HttpResponse:
    return redirect(in_clinic(clinic, "staff-member", user_id))


@require_POST
@ADMIN
def staff_role(request: HttpRequest, user_id: int) -> HttpResponse:
    clinic = _clinic(request)
    user = staff_queries.member_of(clinic, user_id)
    form = RoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose a role.")
        return _back(clinic, user_id)
    try:
        change = actions.request_role_change(
            clinic=clinic, by=request.user, user=user, role=form.cleaned_data["role"]
        )
    except ValidationError as error:
        add_messages(request, error)
    else:
        if change.status == RoleChangeStatus.APPLIED:
            messages.success(request, "Role changed. They and the clinic admins were told.")
        else:
            messages.success(
                request, "Asked. The change applies once another clinic admin confirms it."
            )
    return _back(clinic, user_id)


@require_POST
@ADMIN
def staff_role_decide(request: HttpRequest, change_id: int) -> HttpResponse:
    clinic = _clinic(request)
    change = get_object_or_404(RoleChange, pk=change_id, clinic=clinic)
    confirm = request.POST.get("decision") == "confirm"
    try:
        actions.decide_role_change(change=change, by=request.user, confirm=confirm)
    except ValidationError as error:
        add_messages(request, error)
    else:
        messages.success(request, "Role change confirmed." if confirm else "Role change not made.")
    return _back(clinic, change.user_id)


@require_POST
@ADMIN
def staff_active(request: HttpRequest, user_id: int) -> HttpResponse:
    clinic = _clinic(request)
    user = staff_queries.member_of(clinic, user_id)
    active = request.POST.get("active") == "1"
    try:
        actions.set_account_active(clinic=clinic, by=request.user, user=user, active=active)
    except ValidationError as error:
        add_messages(request, error)
    else:
        messages.success(
            request,
            "Account enabled again."
            if active
            else "Account disabled: it cannot sign in, and its open sessions have ended.",
        )
    return _back(clinic, user_id)


@require_POST
@ADMIN
def staff_invite_again(request: HttpRequest, user_id: int) -> HttpResponse:
    clinic = _clinic(request)
    user = staff_queries.member_of(clinic, user_id)
    try:
        actions.resend_invitation(clinic=clinic, by=request.user, user=user)
    except ValidationError as error:
        add_messages(request, error)
    else:
        messages.success(
            request,
            f"Invitation sent again to {user.email}. The new link works once, for three days.",
        )
    return _back(clinic, user_id)


@ADMIN
def clinic_settings(request: HttpRequest) -> HttpResponse:
    clinic = _clinic(request)
    form = ClinicSettingsForm(request.POST or None, instance=Clinic.objects.get(pk=clinic.pk))
    if request.method == "POST" and form.is_valid():
        try:
            changed = actions.update_clinic_settings(
                clinic=clinic, by=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            add_validation_to_form(form, error)
        else:
            messages.success(request, "Settings saved." if changed else "Nothing was changed.")
            return redirect(in_clinic(clinic, "clinic-settings"))
    return render(
        request,
        "accounts/clinic_settings.html",
        {
            "form": form,
            "clinic": clinic,
            "clinics": _admin_clinics(request),
            "paperwork": clinic.paperwork,
        },
    )
