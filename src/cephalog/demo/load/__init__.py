"""Load the demo clinics into the database (`cephalog demo`, `make run`).

Two clinics: "Demo Headache Centre" with fixed staff logins and a generated
cohort (see `cephalog.demo.generate`), and "Northside Neurology" with one
physician and 3 patients, so cross-clinic isolation can be tried in the
browser. Clinics, staff and patients are created through their actions;
the bulk rows (diary, medicines taken, sessions, adverse events, history)
through `cephalog.demo.actions` with `bulk_create`, all in one transaction,
with one `import` audit row per patient.

The package: `base` (clinics, logins, errors), `run` (`load_demo`), `history` (the
patients and their bulk rows), `diary` and `alive`.
"""

from __future__ import annotations

from cephalog.demo.actions import BATCH_ROWS, delete_demo
from cephalog.demo.load.alive import (
    DUE_IN_DAYS,
    OVERDUE_BY_DAYS,
)
from cephalog.demo.load.base import (
    DEMO_CLINIC_NAME,
    DEMO_DOMAIN,
    DEMO_PASSWORD,
    DEMO_STAFF,
    DEMO_USERNAMES,
    OTHER_CLINIC_NAME,
    OTHER_CLINIC_PATIENTS,
    OTHER_CLINIC_SLUG,
    OTHER_DOMAIN,
    OTHER_STAFF,
    PATIENT_USERNAME,
    DemoError,
    DemoExists,
    DemoLogin,
    DemoResult,
    LoadProgress,
)
from cephalog.demo.load.run import (
    load_demo,
)

__all__ = [
    "BATCH_ROWS",
    "DEMO_CLINIC_NAME",
    "DEMO_DOMAIN",
    "DEMO_PASSWORD",
    "DEMO_STAFF",
    "DEMO_USERNAMES",
    "DUE_IN_DAYS",
    "DemoError",
    "DemoExists",
    "DemoLogin",
    "DemoResult",
    "LoadProgress",
    "OTHER_CLINIC_NAME",
    "OTHER_CLINIC_PATIENTS",
    "OTHER_CLINIC_SLUG",
    "OTHER_DOMAIN",
    "OTHER_STAFF",
    "OVERDUE_BY_DAYS",
    "PATIENT_USERNAME",
    "delete_demo",
    "load_demo",
]
