from typing import Any

from django.http import HttpRequest

from cephalog import __version__
from cephalog.accounts.access import memberships
from cephalog.accounts.mfa import past_second_factor
from cephalog.accounts.models import Role

#: The patient menu's sections (issue 16.4) by the start of the page's path, longest first.
PATIENT_SECTIONS = (
    ("/me/diary/", "diary"),
    ("/me/diary-data/", "more"),
    ("/me/calendar/", "treatment"),
    ("/me/sessions/", "treatment"),
    ("/me/care-team/", "treatment"),
    ("/me/eligibility/", "treatment"),
    ("/me/progress/", "progress"),
    ("/me/side-effect/", "report"),
    ("/me/checkin/", "report"),
    ("/me/reports/", "report"),
    ("/me/", "more"),
    ("/accounts/passkeys/", "more"),
    ("/accounts/confirm/", "more"),
)


def patient_section(path: str) -> str:
    """Which menu item a patient page belongs to; /me/ itself is "today"."""
    if path == "/me/":
        return "today"
    if path == "/me/reports/":  # the list of reports is under More; one report is not
        return "more"
    return next((name for prefix, name in PATIENT_SECTIONS if path.startswith(prefix)), "")


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
        "is_physician": Role.PHYSICIAN in roles,
        "patient_section": patient_section(request.path),
    }
