"""Validate, save and audit a model instance in one step (issue 20.1).

Actions keep their own rules (who may, what is allowed); this is the part they all
repeat: `full_clean()` turned into an `AppError` naming the fields, the save, and the
audit row written in the same transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction

from cephalog.audit.actions import record
from cephalog.core.errors import AppError


def validate(instance: models.Model, *, exclude: Sequence[str] = ()) -> None:
    """`full_clean()`, refused as an `AppError` field by field."""
    try:
        instance.full_clean(exclude=list(exclude))
    except ValidationError as error:
        raise AppError.from_validation(error) from None


def assign_fields(
    instance: models.Model, values: Mapping[str, Any]
) -> tuple[list[str], dict[str, Any]]:
    """Set `values` on `instance` and `full_clean()` it (its `ValidationError` as raised).

    Returns the fields whose value changed and the audit detail of the change: those
    fields with their values before and after (settings only, never patient data)."""
    before = {name: getattr(instance, name) for name in values}
    for name, value in values.items():
        setattr(instance, name, value)
    instance.full_clean()
    changed = [name for name in values if getattr(instance, name) != before[name]]
    detail = {
        "changed": changed,
        "before": {name: before[name] for name in changed},
        "after": {name: getattr(instance, name) for name in changed},
    }
    return changed, detail


def save_validated[M: models.Model](
    instance: M,
    *,
    exclude: Sequence[str] = (),
    update_fields: Iterable[str] | None = None,
) -> M:
    """Validate `instance`, then save it."""
    validate(instance, exclude=exclude)
    instance.save(update_fields=update_fields)
    return instance


@transaction.atomic
def save_audited[M: models.Model](
    instance: M,
    *,
    action: str,
    category: str,
    patient: Any = None,
    clinic_id: int | None = None,
    user: Any = None,
    detail: dict[str, Any] | None = None,
    exclude: Sequence[str] = (),
    update_fields: Iterable[str] | None = None,
) -> M:
    """Validate and save `instance` and append its audit row, committed together.

    `detail` must never hold patient data (ids, counts and field names only).
    """
    save_validated(instance, exclude=exclude, update_fields=update_fields)
    record(
        action=action,
        category=category,
        patient=patient,
        clinic_id=clinic_id,
        object_ref=f"{instance._meta.label_lower}:{instance.pk}",
        user=user,
        detail=detail,
    )
    return instance
