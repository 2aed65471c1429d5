"""Who may see what. Every patient-data view and endpoint goes through here.

Rules: a patient sees only their own record; staff see only the patients of
the clinics they hold a role in. Anything else is answered 404 so that the
existence of another patient is not revealed.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable, Iterable
from typing import Any, Concatenate

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from django.http.response import HttpResponseBase as HttpResponse
from django.urls import reverse
from django.utils.http import urlencode

from cephalog.accounts.models import Clinic, Membership, Role, User
from cephalog.patients.models import Patient

STAFF_ROLES = (Role.PHYSICIAN, Role.NURSE, Role.CLINIC_ADMIN)
CLINICAL_ROLES = (Role.PHYSICIAN, Role.NURSE)


def memberships(user: Any) -> list[tuple[int, str]]:
    """The user's (clinic id, role) pairs, read once per user object (so once per request)."""
    if not getattr(user, "is_authenticated", False):
        return []
    cached: list[tuple[int, str]] | None = getattr(user, "_cephalog_memberships", None)
    if cached is None:
        cached = list(Membership.objects.filter(user=user).values_list("clinic_id", "role"))
        user._cephalog_memberships = cached
    return cached


def forget_memberships(user: Any) -> None:
    """Drop the cached roles after a change (see accounts.actions.grant_role)."""
    vars(user).pop("_cephalog_memberships", None)


def staff_clinic_ids(user: Any, roles: tuple[str, ...] = STAFF_ROLES) -> list[int]:
    return [clinic_id for clinic_id, role in memberships(user) if role in roles]


def working_clinic(request: HttpRequest, roles: tuple[str, ...] = STAFF_ROLES) -> Clinic:
    """The clinic a staff member is working in on this request.

    A member of several clinics names it with `?clinic=<slug>` (a page's clinic
    chooser, and every link and form on a clinic page carries it on); without one,
    the first of their clinics by name. A clinic where the user has none of `roles`
    is answered 404, as any other clinic's object is.
    """
    ids = staff_clinic_ids(request.user, roles)
    clinics = Clinic.objects.filter(pk__in=ids).order_by("name", "pk")
    slug = request.GET.get("clinic") or request.POST.get("clinic")
    clinic = clinics.filter(slug=slug).first() if slug else clinics.first()
    if clinic is None:
        raise Http404("Not found")
    return clinic


def in_clinic(clinic: Clinic, name: str, *args: Any) -> str:
    """The address of a clinic page, naming the clinic the staff member is working in."""
    return f"{reverse(name, args=args)}?{urlencode({'clinic': clinic.slug})}"


def working_clinics(request: HttpRequest, roles: tuple[str, ...] = STAFF_ROLES) -> list[Clinic]:
    """Every clinic where the user has one of `roles`, by name (for a clinic chooser)."""
    ids = staff_clinic_ids(request.user, roles)
    return list(Clinic.objects.filter(pk__in=ids).order_by("name", "pk"))


def is_staff_member(user: Any) -> bool:
    return bool(staff_clinic_ids(user))


def visible_patients(user: Any) -> QuerySet[Patient]:
    """The patients this user may see (an empty queryset for strangers)."""
    if not getattr(user, "is_authenticated", False):
        return Patient.objects.none()
    clinic_ids = staff_clinic_ids(user)
    if clinic_ids:
        return Patient.objects.filter(clinic_id__in=clinic_ids)
    return Patient.objects.filter(user=user)


def get_visible_patient(user: Any, patient_id: uuid.UUID | str) -> Patient:
    try:
        pid = uuid.UUID(str(patient_id))
    except ValueError:
        raise Http404("No such patient") from None
    patient = visible_patients(user).select_related("clinic").filter(pk=pid).first()
    if patient is None:
        raise Http404("No such patient")
    return patient


def role_in(user: User, clinic: Clinic) -> str | None:
    return next((role for clinic_id, role in memberships(user) if clinic_id == clinic.pk), None)


def require_role(
    user: User,
    clinic: Clinic,
    roles: Iterable[str],
    doing: str | None = None,
    *,
    error: Callable[[str], Exception] = PermissionDenied,
) -> str:
    """The user's role in `clinic`, refused unless it is one of `roles` (the one role check
    of every app's actions). The refusal says who may do what (`Only a physician or nurse
    of Leeds may start a session.`) when `doing` is given; `error` shapes it (default
    `PermissionDenied`, a 403; an app error shows it on the page instead)."""
    roles = tuple(roles)
    role = role_in(user, clinic)
    if role in roles and role is not None:
        return role
    if doing is None:
        raise error("Your role in this clinic does not allow this.")
    allowed = " or ".join(str(Role(r).label).split(" (")[0].lower() for r in roles)
    raise error(f"Only a {allowed} of {clinic.name} may {doing}.")


type PatientView = Callable[Concatenate[HttpRequest, Patient, ...], HttpResponse]


def patient_view(
    *, staff_only: bool = False, roles: tuple[str, ...] = STAFF_ROLES
) -> Callable[[PatientView], Callable[..., HttpResponse]]:
    """Load the patient named by `patient_id` in the URL and check the user may see it.

    `staff_only` refuses the patient themselves; `roles` narrows the staff roles.
    """

    def decorator(view: PatientView) -> Callable[..., HttpResponse]:
        @functools.wraps(view)
        def wrapper(
            request: HttpRequest, patient_id: uuid.UUID, *args: Any, **kwargs: Any
        ) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            patient = get_visible_patient(request.user, patient_id)
            if patient.user_id == request.user.pk:
                if staff_only:
                    raise Http404("No such patient")
            elif role_in(request.user, patient.clinic) not in roles:
                raise Http404("No such patient")
            return view(request, patient, *args, **kwargs)

        return wrapper

    return decorator


def staff_view(
    roles: tuple[str, ...] = STAFF_ROLES,
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Pages for clinic staff only; patients and strangers get 404 / the login page."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not staff_clinic_ids(request.user, roles):
                raise Http404("Not found")
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


def patient_only(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Pages for a logged-in patient about themselves."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        patient = Patient.objects.select_related("clinic").filter(user=request.user).first()
        if patient is None:
            raise Http404("Not found")
        # Cached on the user: the menu (user.is_patient) and the safety prompt read
        # user.patient on every patient page, and would each load it again.
        request.user.patient = patient
        return view(request, patient, *args, **kwargs)

    return wrapper
