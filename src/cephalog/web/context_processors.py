from typing import Any

from django.http import HttpRequest

from cephalog import __version__
from cephalog.accounts.access import memberships
from cephalog.accounts.models import Role


def cephalog(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    roles = {role for _, role in memberships(user)} if user is not None else set()
    return {
        "cephalog_version": __version__,
        "is_staff_member": bool(roles),
        "is_clinic_admin": Role.CLINIC_ADMIN in roles,
        "is_clinician": bool(roles & {Role.PHYSICIAN, Role.NURSE}),
    }
