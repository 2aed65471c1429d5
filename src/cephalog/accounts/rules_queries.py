"""The clinic's ruleset and policies, and the rules a clinic counts days by.

Read by the diary (its day counts), the screening, the sessions' intervals and the plan:
they are the clinic's settings, so they sit with the clinic, below all of those.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from django.db import connection

from cephalog.accounts.models import Clinic, ClinicPolicy, ClinicRuleset
from cephalog.domain.intervals import EARLIEST_INTERVAL_DAYS
from cephalog.domain.policies import POLICIES, Policy, PolicyError, policy_label
from cephalog.domain.rulesets import DEFAULT_RULESET, RULESETS, Rules, Ruleset
from cephalog.ops import authcache, clinic_cache
from cephalog.patients.models import Patient
from cephalog.patients.queries import (
    OWN_CLINIC_FIELDS,
    OWN_PATIENT_FIELDS,
    own_fields,
    own_patient,
    own_patient_of,
    own_patient_row,
    own_patient_values,
)


class UnknownPolicy(LookupError):
    """A policy name that is neither built in nor defined by the clinic."""


def clinic_ruleset(clinic: Clinic) -> Ruleset:
    """The ruleset the clinic assesses with (spec section 11): its choice, else standard-2."""
    name = (
        ClinicRuleset.objects.filter(clinic=clinic).values_list("ruleset", flat=True).first()
        or DEFAULT_RULESET
    )
    return RULESETS.get(name, RULESETS[DEFAULT_RULESET])


@dataclass(frozen=True)
class PolicyOption:
    name: str
    title: str
    builtin: bool
    is_default: bool

    @property
    def label(self) -> str:
        """The short name staff see: "US label" ..., or the clinic's own policy's title."""
        return policy_label(self.name, self.title)


def policy_for(clinic: Clinic, name: str | None = None) -> Policy:
    """The domain policy called `name`, or the clinic's default (Clinic.default_policy).

    A built-in name (`us-label`, `us-payer`, `nice-ta260`, `ehf-2018`) always
    means the built-in policy; any other name is one of the clinic's own
    ClinicPolicy rows. Raises UnknownPolicy otherwise.
    """
    name = name or clinic.default_policy
    if name in POLICIES:
        return POLICIES[name]
    row = ClinicPolicy.objects.filter(clinic=clinic, name=name).first()
    if row is None:
        known = ", ".join(option.name for option in policy_options(clinic))
        raise UnknownPolicy(f"unknown policy {name!r}; choose one of {known}")
    try:
        return row.to_policy()
    except PolicyError as error:  # only if a row was written around the actions
        raise UnknownPolicy(f"policy {name!r} has a bad definition: {error}") from None


def earliest_interval_days(clinic: Clinic) -> int:
    """The earliest-next-session interval of the clinic's policy (spec §9: 77 or 84 days);
    the domain's default when the clinic's policy is unknown."""
    try:
        return policy_for(clinic).earliest_interval_days
    except UnknownPolicy:
        return EARLIEST_INTERVAL_DAYS


def clinic_rules(clinic: Clinic, policy_name: str | None = None) -> Rules:
    """The clinic's ruleset with the day definition of its default policy (or `policy_name`):
    what every page counting a patient's days uses (spec section 11.1)."""
    ruleset = clinic_ruleset(clinic)
    try:
        definition = policy_for(clinic, policy_name).day_definition
    except UnknownPolicy:
        definition = "label"
    return Rules.of(ruleset, definition)


def clinic_rules_by_id(
    *, clinic_id: int | None = None, patient_id: uuid.UUID | None = None
) -> Rules:
    """`clinic_rules` of a clinic (or a patient's clinic) not loaded yet, in one query, for
    the busiest API paths; by clinic from the shared cache (cephalog.ops.clinic_cache)."""
    if clinic_id is not None:
        ruleset, definition = clinic_cache.cached(
            clinic_id, "rules", lambda: _rules_of(Clinic.objects.filter(pk=clinic_id))
        )
    elif patient_id is not None:
        ruleset, definition = _rules_of(Clinic.objects.filter(patients__pk=patient_id))
    else:
        raise TypeError("clinic_rules_by_id needs clinic_id or patient_id")
    return Rules.of(ruleset, definition)


def own_patient_and_rules(user_id: int) -> tuple[Patient, Rules] | None:
    """The logged-in user's patient record (patients.queries.own_patient) and the clinic's
    rules (clinic_rules_by_id). None when the user has no patient record.

    With the shared cache, from the cache: the record and the clinic's diary settings
    (its backfill window, ruleset and day definition) read with the request's session
    (cephalog.ops.sessions), for this user only, and dropped on every change
    (cephalog.ops.authcache, cephalog.ops.clinic_cache); else read from the database as
    without it, and cached."""
    if not authcache.patients_enabled():
        return _own_patient_and_rules(user_id)
    found = _cached_patient_and_rules(user_id, authcache.take_prefetched_patient(user_id))
    if found is not None:
        return found
    found = _own_patient_and_rules(user_id)
    if found is not None:
        patient, rules = found
        patient_values, clinic_values = own_patient_values(patient)
        authcache.keep_patient(
            user_id,
            patient_values,
            patient.clinic_id,
            (clinic_values, rules.ruleset.name, rules.definition.value),
        )
        clinic_cache.remember_clinic(user_id, patient.clinic_id)
    return found


def _cached_patient_and_rules(
    user_id: int, prefetched: authcache.Prefetched | None
) -> tuple[Patient, Rules] | None:
    """own_patient_and_rules from what was read with the session: the user's cached
    record, with their clinic's diary settings (read now if the session did not bring
    those of the record's clinic). None when the record is not cached."""
    if prefetched is None or prefetched.patient is None:
        return None
    patient_values = prefetched.patient
    fields = own_fields(Patient, OWN_PATIENT_FIELDS)
    if patient_values[fields.index("user_id")] != user_id:  # never another login's record
        return None
    clinic_id = patient_values[fields.index("clinic_id")]
    diary = prefetched.clinic if prefetched.clinic_id == clinic_id else None
    if diary is None:
        diary = clinic_cache.cached(clinic_id, clinic_cache.DIARY, lambda: _clinic_diary(clinic_id))
        if diary is None:
            return None
        clinic_cache.remember_clinic(user_id, clinic_id)
    clinic_values, ruleset, definition = diary
    return own_patient_of(patient_values, clinic_values), Rules.of(ruleset, definition)


def _clinic_diary(clinic_id: int) -> tuple[tuple[Any, ...], str, str] | None:
    """What own_patient_and_rules reads of a clinic: its OWN_CLINIC_FIELDS' values and
    its (ruleset name, day definition); None for no such clinic."""
    fields = own_fields(Clinic, OWN_CLINIC_FIELDS)
    row = (
        Clinic.objects.filter(pk=clinic_id)
        .values_list("default_policy", "ruleset_setting__ruleset", *fields)
        .first()
    )
    if row is None:
        return None
    policy_name, ruleset, *clinic_values = row
    return (tuple(clinic_values), *_rules_from(clinic_id, policy_name, ruleset))


def _own_patient_and_rules(user_id: int) -> tuple[Patient, Rules] | None:
    """own_patient_and_rules from the database: on PostgreSQL in one statement, the
    clinic's default policy and ruleset setting read with the patient (a clinic's own
    policy, not built in, is then read as clinic_rules_by_id reads it)."""
    if connection.vendor != "postgresql":
        patient = own_patient(user_id)
        if patient is None:
            return None
        return patient, clinic_rules_by_id(clinic_id=patient.clinic_id)
    found = own_patient_row(user_id, *_rules_sql())
    if found is None:
        return None
    patient, (policy_name, ruleset) = found
    builtin = _builtin_rules(policy_name, ruleset)
    if builtin is None:
        return patient, clinic_rules_by_id(clinic_id=patient.clinic_id)
    return patient, Rules.of(*builtin)


def _rules_sql() -> tuple[str, str]:
    """own_patient_and_rules' extra columns (the clinic's default policy, its ruleset
    setting or NULL) and join."""
    qn = connection.ops.quote_name
    clinic, setting = Clinic._meta, ClinicRuleset._meta
    c, r = qn(clinic.db_table), qn(setting.db_table)
    columns = (
        f"{c}.{qn(str(clinic.get_field('default_policy').column))}, "
        f"{r}.{qn(str(setting.get_field('ruleset').column))}"
    )
    join = (
        f"LEFT JOIN {r} ON ({r}.{qn(str(setting.get_field('clinic').column))} = "
        f"{c}.{qn(str(clinic.pk.column))}) "
    )
    return columns, join


def _builtin_rules(policy_name: str, ruleset: str | None) -> tuple[str, str] | None:
    """(ruleset name, day definition) of a clinic whose default policy is built in (its
    ruleset setting, or the default when it has none or an unknown one); None when the
    clinic's default is one of its own policies, which must be read."""
    if policy_name not in POLICIES:
        return None
    ruleset = ruleset if ruleset in RULESETS else DEFAULT_RULESET
    return ruleset, POLICIES[policy_name].day_definition


def _rules_of(clinics: Any) -> tuple[str, str]:
    """(ruleset name, day definition) of the one clinic in `clinics`."""
    row = clinics.values_list("id", "default_policy", "ruleset_setting__ruleset").first()
    if row is None:
        return DEFAULT_RULESET, "label"
    return _rules_from(*row)


def _rules_from(clinic_id: int, policy_name: str, ruleset: str | None) -> tuple[str, str]:
    """(ruleset name, day definition) of a clinic, from its default policy's name and its
    ruleset setting (or None), reading its own policy when the default is not built in."""
    builtin = _builtin_rules(policy_name, ruleset)
    if builtin is not None:
        return builtin
    ruleset = ruleset if ruleset in RULESETS else DEFAULT_RULESET
    own = ClinicPolicy.objects.filter(clinic_id=clinic_id, name=policy_name).first()
    try:
        definition = own.to_policy().day_definition if own is not None else "label"
    except PolicyError:
        definition = "label"
    return ruleset, definition


def policy_options(clinic: Clinic) -> list[PolicyOption]:
    """The built-in policies, then the clinic's own, each marked when it is the default."""
    options = [
        PolicyOption(p.name, p.title, True, p.name == clinic.default_policy)
        for p in POLICIES.values()
    ]
    for row in ClinicPolicy.objects.filter(clinic=clinic).only("name", "title"):
        options.append(PolicyOption(row.name, row.title, False, row.name == clinic.default_policy))
    return options
