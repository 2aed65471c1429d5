from typing import Any

from django.http import HttpRequest

from cephalog import __version__
from cephalog.accounts.models import Membership, Role


def cephalog(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    roles: set[str] = set()
    if user is not None and user.is_authenticated:
        roles = set(Membership.objects.filter(user=user).values_list("role", flat=True))
    return {
        "cephalog_version": __version__,
        "is_staff_member": bool(roles),
        "is_clinic_admin": Role.CLINIC_ADMIN in roles,
        "is_clinician": bool(roles & {Role.PHYSICIAN, Role.NURSE}),
    }
