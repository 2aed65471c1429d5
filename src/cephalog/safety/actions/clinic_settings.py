"""The clinic's safety settings (the Safety settings page, clinic admins)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from cephalog.accounts.access import require_role
from cephalog.accounts.models import Clinic, Role, User
from cephalog.core.writes import update_audited
from cephalog.safety.models import SafetySettings

#: The settings a clinic admin changes on the Safety settings page.
SAFETY_SETTINGS = (
    "urgent_phone",
    "out_of_hours_number",
    "emergency_number",
    "escalation_minutes",
    "max_escalations",
    "physicians_only_acknowledge",
)
PHONE_FIELDS = ("urgent_phone", "out_of_hours_number", "emergency_number")
#: Bounds of the alert settings: at least a minute, at most a day between escalations.
ESCALATION_MINUTES = range(1, 24 * 60 + 1)
MAX_ESCALATIONS = range(0, 51)
_PHONE_CHARS = frozenset("0123456789 +-().")
#: The longest each number may be (the model's column lengths).
_PHONE_LIMITS = {"urgent_phone": 40, "out_of_hours_number": 20, "emergency_number": 20}


def phone_problem(value: str, *, limit: int) -> str | None:
    """Why `value` is not a number a patient can dial, in plain words; None when it is.

    Digits with spaces, brackets, dots or dashes between them; a `+` only in front
    (international form). From 3 digits (999, 111, 112) to 15 (the longest number).
    The patient's page dials the digits alone (`tel:`), so nothing else may be in it.
    """
    if len(value) > limit:
        return f"Use at most {limit} characters."
    if not set(value) <= _PHONE_CHARS:
        return (
            "Use digits only, with spaces, brackets or dashes if you like "
            "(for example 0113 496 0000, or +44 113 496 0000)."
        )
    if "+" in value[1:]:
        return "A + may only come first, as in +44 113 496 0000."
    digits = sum(c.isdigit() for c in value)
    if digits < 3:
        return "This is too short to be a phone number: give at least 3 digits."
    if digits > 15:
        return "This is too long to be a phone number: give at most 15 digits."
    return None


def _checked(fields: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """The settings as they will be stored (numbers tidied), and the problem with each wrong one."""
    wanted = dict(fields)
    problems: dict[str, str] = {}
    for name in PHONE_FIELDS:
        if name in wanted:
            value = " ".join(str(wanted[name] or "").split())
            wanted[name] = value
            limit = _PHONE_LIMITS[name]
            if not value:
                if name == "emergency_number":
                    problems[name] = (
                        "Give the emergency number patients should call (999 in the UK)."
                    )
                continue
            problem = phone_problem(value, limit=limit)
            if problem:
                problems[name] = problem
    for name, bounds, words in (
        ("escalation_minutes", ESCALATION_MINUTES, "between 1 and 1440 minutes (a day)"),
        ("max_escalations", MAX_ESCALATIONS, "between 0 and 50"),
    ):
        if name in wanted:
            value = wanted[name]
            if not isinstance(value, int) or isinstance(value, bool) or value not in bounds:
                problems[name] = f"Give a whole number {words}."
    if "physicians_only_acknowledge" in wanted:
        wanted["physicians_only_acknowledge"] = bool(wanted["physicians_only_acknowledge"])
    return wanted, problems


@transaction.atomic
def update_safety_settings(*, clinic: Clinic, by: User, **fields: Any) -> list[str]:
    """Change the clinic's safety settings (clinic admins): the numbers shown to patients in
    the urgent guidance, and the red-flag alert settings. Every problem is refused with the
    field it concerns, and nothing is stored unless all are right. Audited with before and
    after; returns the names of the settings changed."""
    require_role(by, clinic, (Role.CLINIC_ADMIN,), "change the clinic's safety settings")
    unknown = set(fields) - set(SAFETY_SETTINGS)
    if unknown:
        raise ValueError(f"update_safety_settings: not settings: {sorted(unknown)}")
    row = SafetySettings.objects.select_for_update().filter(clinic=clinic).first()
    if row is None:
        row = SafetySettings(clinic=clinic)
    wanted, problems = _checked(fields)
    if problems:
        raise ValidationError(problems)
    return update_audited(row, wanted, category="safety_settings", clinic_id=clinic.pk, user=by)
