"""The clinic's own settings: injector training (the Staff page, issue 17.5) and aftercare."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from cephalog.accounts.access import require_role
from cephalog.accounts.models import Clinic, Role, User
from cephalog.audit.actions import record
from cephalog.core.errors import AppError
from cephalog.core.writes import save_recorded, validate
from cephalog.domain.safety import DEFAULT_AFTERCARE, Evidence
from cephalog.treatment.models import LOCKED_AFTERCARE, AftercareText, InjectorTraining


@transaction.atomic
def record_injector_training(
    *,
    clinic: Clinic,
    by: Any,
    user: User,
    course: str,
    completed_on: dt.date,
    provider: str = "",
    today: dt.date | None = None,
) -> InjectorTraining:
    """Record a training course a physician (injector) of the clinic completed."""
    require_role(by, clinic, (Role.CLINIC_ADMIN,), "record training")
    today = today or timezone.localdate()
    if completed_on > today:
        raise ValidationError({"completed_on": "The course date cannot be in the future."})
    training = InjectorTraining(
        clinic=clinic,
        user=user,
        course=(course or "").strip(),
        provider=(provider or "").strip(),
        completed_on=completed_on,
    )
    return save_recorded(
        training,
        action="create",
        category="injector_training",
        ref=f"user:{user.pk}",
        clinic_id=clinic.pk,
        user=by,
        detail=lambda row: {"training": row.pk},
    )


# --- the clinic's aftercare advice (the Aftercare page, clinic admins) --------------------------

#: Longest aftercare item, in characters.
AFTERCARE_TEXT_MAX = 1000
_DEFAULTS = {i.key: i for i in DEFAULT_AFTERCARE}


def _require_admin(by: Any, clinic: Clinic, doing: str) -> None:
    require_role(by, clinic, (Role.CLINIC_ADMIN,), doing)


@transaction.atomic
def save_aftercare(*, clinic: Clinic, by: Any, items: Sequence[dict[str, str]]) -> AftercareText:
    """Replace the clinic's aftercare advice (clinical-reference §10). Clinic admins only.

    `items` are `{"key", "text"}` in the order shown, with `"evidence"` for the clinic's
    own. The label's items keep their `label_guidance` marking and may be reworded but not
    removed, except the signs of spread of toxin effect (`LOCKED_AFTERCARE`), which are
    always the label's words; anything the clinic adds is an `optional_precaution`.
    Refused whole (nothing stored) with each problem; audited with the keys changed.
    """
    _require_admin(by, clinic, "change the aftercare advice")
    stored, problems = _aftercare_items(items)
    if problems:
        raise AppError(problems)
    row = AftercareText.objects.select_for_update().filter(clinic=clinic).first()
    # Compared with what patients read until now (the standard advice when the clinic had none).
    before = (
        {str(i.get("key")): i.get("text") for i in row.items}
        if row is not None and row.items
        else {i.key: i.text for i in DEFAULT_AFTERCARE}
    )
    if row is None:
        row = AftercareText(clinic=clinic)
    row.items = stored
    after = {i["key"]: i["text"] for i in stored}
    return save_recorded(
        row,
        action="update",
        category="aftercare",
        clinic_id=clinic.pk,
        user=by,
        detail={
            "items": len(stored),
            "added": sorted(set(after) - set(before)),
            "removed": sorted(set(before) - set(after)),
            "reworded": sorted(k for k in after if k in before and before[k] != after[k]),
        },
        clean=validate,
    )


def _aftercare_items(
    items: Sequence[dict[str, str]],
) -> tuple[list[dict[str, str]], list[tuple[str, str]]]:
    """The items to store (the label's advice always kept) and the problems, per key."""
    problems: list[tuple[str, str]] = []
    stored: list[dict[str, str]] = []
    seen: set[str] = set()
    for item in items:
        key = str(item.get("key", "")).strip()
        text = " ".join(str(item.get("text", "")).split())
        default = _DEFAULTS.get(key)
        if not key or key in seen:
            raise ValueError(f"save_aftercare: missing or repeated key {key!r}")
        seen.add(key)
        label = default is not None and default.evidence is Evidence.LABEL_GUIDANCE
        if key in LOCKED_AFTERCARE:
            text = LOCKED_AFTERCARE[key]
        if not text:
            if label:
                problems.append(
                    (
                        key,
                        "This advice is from the medicine's label: it cannot be removed. "
                        "Reword it, or put back the label's words.",
                    )
                )
            continue  # an emptied optional precaution is removed
        if len(text) > AFTERCARE_TEXT_MAX:
            problems.append((key, f"Use at most {AFTERCARE_TEXT_MAX} characters."))
        stored.append(
            {
                "key": key,
                "text": text,
                "evidence": (
                    Evidence.LABEL_GUIDANCE if label else Evidence.OPTIONAL_PRECAUTION
                ).value,
                "source": default.source if default is not None else "",
            }
        )
    for default in DEFAULT_AFTERCARE:  # the label's advice always stays
        if default.evidence is Evidence.LABEL_GUIDANCE and default.key not in seen:
            stored.append(
                {
                    "key": default.key,
                    "text": default.text,
                    "evidence": default.evidence.value,
                    "source": default.source,
                }
            )
    return stored, problems


@transaction.atomic
def reset_aftercare(*, clinic: Clinic, by: Any) -> bool:
    """Go back to cephalog's standard advice (the domain's); True when the clinic had its own."""
    _require_admin(by, clinic, "change the aftercare advice")
    deleted, _ = AftercareText.objects.filter(clinic=clinic).delete()
    if deleted:
        record(
            action="delete",
            category="aftercare",
            clinic_id=clinic.pk,
            user=by,
            detail={"reset": "standard advice"},
        )
    return bool(deleted)


# --- the clinic's protocol templates (the Protocol templates page) ------------------------------
