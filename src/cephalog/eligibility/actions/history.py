"""Migraine history."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from cephalog.accounts.access import require_role
from cephalog.accounts.models import User
from cephalog.core.writes import save_recorded
from cephalog.eligibility.actions.common import CLINICAL, EligibilityError, _changed, _full_clean
from cephalog.patients.models import (
    Patient,
)

HISTORY_FIELDS = (
    "migraine_onset_year",
    "migraine_with_aura",
    "chronic_headache_since",
    "intractable",
    "status_migrainosus",
)


@transaction.atomic
def update_history(
    *,
    patient: Patient,
    by: User,
    today: dt.date,
    migraine_onset_year: int | None,
    migraine_with_aura: bool,
    chronic_headache_since: dt.date | None,
    intractable: bool,
    status_migrainosus: bool,
) -> Patient:
    """Migraine onset, aura, the date since which headache is on >= 15 days a month, and the
    intractable / status migrainosus axes of the ICD-10-CM code (clinical reference 9.1)."""
    require_role(by, patient.clinic, CLINICAL, "edit the consultation record")
    problems = []
    if migraine_onset_year is not None and not (
        patient.birth_date.year <= migraine_onset_year <= today.year
    ):
        problems.append(
            f"migraine_onset_year: must be between the year of birth "
            f"{patient.birth_date.year} and {today.year}, got {migraine_onset_year}"
        )
    if chronic_headache_since is not None and not (
        patient.birth_date <= chronic_headache_since <= today
    ):
        problems.append(
            "chronic_headache_since: must be between the date of birth and today, "
            f"got {chronic_headache_since.isoformat()}"
        )
    if problems:
        raise EligibilityError(problems)
    before = {f: getattr(patient, f) for f in HISTORY_FIELDS}
    patient.migraine_onset_year = migraine_onset_year
    patient.migraine_with_aura = migraine_with_aura
    patient.chronic_headache_since = chronic_headache_since
    patient.intractable = intractable
    patient.status_migrainosus = status_migrainosus
    return save_recorded(
        patient,
        action="update",
        category="migraine_history",
        ref="patient",
        patient=patient,
        detail={"fields": _changed(patient, before, HISTORY_FIELDS)},
        update_fields=[*HISTORY_FIELDS, "updated_at"],
        clean=_full_clean,
    )
