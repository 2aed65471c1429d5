from typing import Any

from django.http import HttpRequest

from cephalog import __version__
from cephalog.accounts.access import staff_clinic_ids


def cephalog(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    is_staff_member = bool(user and user.is_authenticated and staff_clinic_ids(user))
    return {"cephalog_version": __version__, "is_staff_member": is_staff_member}
