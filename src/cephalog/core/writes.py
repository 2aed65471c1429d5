"""Validate, save and audit a model instance in one step (issue 20.1).

Actions keep their own rules (who may, what is allowed); this is the part they all
repeat: `full_clean()` turned into an `AppError` naming the fields, the save, and the
audit row written in the same transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction

from cephalog.audit.actions import record
from cephalog.core.errors import AppError


def validate(instance: models.Model, exclude: Sequence[str] = ()) -> None:
    """`full_clean()`, refused as an `AppError` field by field."""
    try:
        instance.full_clean(exclude=list(exclude))
    except ValidationError as error:
        raise AppError.from_validation(error) from None


def full_clean(instance: models.Model, exclude: Sequence[str] = ()) -> None:
    """`full_clean()` with its `ValidationError` as raised, for the actions whose forms and
    API show Django's errors (`save_recorded`'s default)."""
    instance.full_clean(exclude=list(exclude))


type Clean = Callable[[Any, Sequence[str]], None]


def assign_fields(
    instance: models.Model, values: Mapping[str, Any], clean: Clean = full_clean
) -> tuple[list[str], dict[str, Any]]:
    """Set `values` on `instance` and `clean` it (by default `full_clean()`, its
    `ValidationError` as raised).

    Returns the fields whose value changed and the audit detail of the change: those
    fields with their values before and after (settings only, never patient data)."""
    before = {name: getattr(instance, name) for name in values}
    for name, value in values.items():
        setattr(instance, name, value)
    clean(instance, ())
    changed = [name for name in values if getattr(instance, name) != before[name]]
    detail = {
        "changed": changed,
        "before": {name: before[name] for name in changed},
        "after": {name: getattr(instance, name) for name in changed},
    }
    return changed, detail


def audit_ref(instance: models.Model, ref: str | None = None) -> str:
    """The audit row's `object_ref` for `instance`: `ref` when it is a whole reference
    (`"session:12"`, naming another row), else `"<ref>:<pk>"` (`ref` a kind such as
    `"session_check"`), by default `"<app>.<model>:<pk>"`."""
    if ref is not None and ":" in ref:
        return ref
    return f"{ref or instance._meta.label_lower}:{instance.pk}"


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


def save_audited[M: models.Model](
    instance: M,
    *,
    action: str,
    category: str,
    ref: str | None = None,
    patient: Any = None,
    clinic_id: int | None = None,
    user: Any = None,
    detail: dict[str, Any] | Callable[[M], dict[str, Any]] | None = None,
    exclude: Sequence[str] = (),
    update_fields: Iterable[str] | None = None,
    clean: Clean | None = validate,
) -> M:
    """Validate and save `instance` and append its audit row, committed together.

    `clean` refuses an invalid instance before anything is written: `validate` (an
    `AppError`), `full_clean` (Django's `ValidationError`), an app's own, or None (the
    caller has checked what it changes). The save and the row are one transaction (a
    savepoint inside the caller's: a refusal leaves the caller's transaction usable).
    `ref` names the row's object (`audit_ref`). `detail` (or a function of the saved
    instance, for a detail naming its pk) must never hold patient data (ids, counts and
    field names only).
    """
    if clean is not None:
        clean(instance, exclude)
    with transaction.atomic():
        instance.save(update_fields=update_fields)
        record(
            action=action,
            category=category,
            patient=patient,
            clinic_id=clinic_id,
            object_ref=audit_ref(instance, ref),
            user=user,
            detail=detail(instance) if callable(detail) else detail,
        )
    return instance


def save_recorded[M: models.Model](
    instance: M,
    *,
    category: str,
    ref: str | None = None,
    clean: Clean | None = full_clean,
    **row: Any,
) -> M:
    """`save_audited` as the actions that show Django's `ValidationError` write: `clean` is
    `full_clean` unless given, and the row's object is `"<category>:<pk>"` unless `ref`
    names another. `row`: `save_audited`'s other arguments (`action`, `patient`, ...)."""
    return save_audited(instance, category=category, ref=ref or category, clean=clean, **row)


def update_audited(
    instance: models.Model,
    values: Mapping[str, Any],
    *,
    category: str,
    ref: str | None = None,
    patient: Any = None,
    clinic_id: int | None = None,
    user: Any = None,
    clean: Clean = full_clean,
) -> list[str]:
    """Change settings: `assign_fields`, then save the fields that changed with an
    `update` audit row holding their values before and after (nothing written when none
    changed; a new instance is saved whole, and audited only when a value changed). The
    row's object is `"<category>:<pk>"` unless `ref` names another. Returns the names of
    the fields changed."""
    changed, detail = assign_fields(instance, values, clean)
    if changed:
        save_audited(
            instance,
            action="update",
            category=category,
            ref=ref or category,
            patient=patient,
            clinic_id=clinic_id,
            user=user,
            detail=detail,
            update_fields=None if instance._state.adding else changed,
            clean=None,  # validated by assign_fields
        )
    elif instance._state.adding:
        instance.save()
    return changed
