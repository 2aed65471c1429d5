from typing import Any

from django.http import HttpRequest

from cephalog import __version__
from cephalog.accounts.access import memberships
from cephalog.accounts.mfa import past_second_factor
from cephalog.accounts.models import Role


def cephalog(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    roles = {role for _, role in memberships(user)} if user is not None else set()
    if roles and not past_second_factor(user):
        roles = set()  # no staff menu before the second factor (issue 18.2)
    return {
        "cephalog_version": __version__,
        "is_staff_member": bool(roles),
        "is_clinic_admin": Role.CLINIC_ADMIN in roles,
        "is_clinician": bool(roles & {Role.PHYSICIAN, Role.NURSE}),
    }
