"""Clinic policies, the default policy and the clinic's ruleset."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction

from cephalog.accounts.access import require_role
from cephalog.accounts.models import Clinic, ClinicPolicy, ClinicRuleset, Role, User
from cephalog.audit.actions import record
from cephalog.core.writes import save_recorded
from cephalog.domain.policies import POLICIES
from cephalog.domain.rulesets import DEFAULT_RULESET, RULESET_NAMES
from cephalog.eligibility.actions.common import EligibilityError, _full_clean


@transaction.atomic
def save_clinic_policy(
    *,
    clinic: Clinic,
    by: User,
    name: str,
    title: str,
    definition: Any,
    policy: ClinicPolicy | None = None,
) -> ClinicPolicy:
    """Add (or change) a clinic policy; the definition is checked by `Policy.from_dict`.

    Renaming a policy that is the clinic's default is refused: the default
    would then name nothing.
    """
    require_role(by, clinic, (Role.CLINIC_ADMIN,), "change the clinic's policies")
    if policy is not None and policy.clinic_id != clinic.pk:
        raise PermissionDenied("That policy belongs to another clinic.")
    if policy is not None and policy.name != name and clinic.default_policy == policy.name:
        raise EligibilityError(
            [f"name: {policy.name!r} is the clinic's default policy; choose another default first"]
        )
    creating = policy is None
    target = policy if policy is not None else ClinicPolicy(clinic=clinic)
    target.name, target.title, target.definition = name.strip(), title.strip(), definition
    return save_recorded(
        target,
        action="create" if creating else "update",
        category="clinic_policy",
        clinic_id=clinic.pk,
        detail={"name": target.name},
        clean=_full_clean,
    )


@transaction.atomic
def delete_clinic_policy(*, policy: ClinicPolicy, by: User) -> None:
    clinic = policy.clinic
    require_role(by, clinic, (Role.CLINIC_ADMIN,), "change the clinic's policies")
    if clinic.default_policy == policy.name:
        raise EligibilityError(
            [f"{policy.name!r} is the clinic's default policy; choose another default first"]
        )
    ref, name = f"clinic_policy:{policy.pk}", policy.name
    policy.delete()
    record(
        action="delete",
        category="clinic_policy",
        clinic_id=clinic.pk,
        object_ref=ref,
        detail={"name": name},
    )


@transaction.atomic
def set_default_policy(*, clinic: Clinic, by: User, name: str) -> Clinic:
    """Choose the clinic's default policy: a built-in one or one of the clinic's own."""
    require_role(by, clinic, (Role.CLINIC_ADMIN,), "change the clinic's policies")
    if name not in POLICIES and not ClinicPolicy.objects.filter(clinic=clinic, name=name).exists():
        raise EligibilityError([f"default_policy: unknown policy {name!r}"])
    previous = clinic.default_policy
    clinic.default_policy = name
    return save_recorded(
        clinic,
        action="update",
        category="clinic_policy",
        ref="clinic",
        clinic_id=clinic.pk,
        detail={"default_policy": name, "previous": previous},
        update_fields=["default_policy"],
        clean=_full_clean,
    )


@transaction.atomic
def set_clinic_ruleset(*, clinic: Clinic, by: User, name: str) -> ClinicRuleset:
    """Choose the version of the clinical rules the clinic assesses with (spec section 11).

    Clinic admins only. Records already made keep the ruleset they name.
    """
    require_role(by, clinic, (Role.CLINIC_ADMIN,), "change the clinic's policies")
    if name not in RULESET_NAMES:
        raise EligibilityError(
            [f"ruleset: unknown ruleset {name!r}; choose one of {', '.join(RULESET_NAMES)}"]
        )
    row, _ = ClinicRuleset.objects.select_for_update().get_or_create(clinic=clinic)
    previous = row.ruleset if row.pk else DEFAULT_RULESET
    row.ruleset = name
    return save_recorded(
        row,
        action="update",
        category="clinic_policy",
        ref=f"clinic:{clinic.pk}",
        clinic_id=clinic.pk,
        detail={"ruleset": name, "previous": previous},
        clean=_full_clean,
    )
