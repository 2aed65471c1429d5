"""Clinic dashboards and the cohort table: a clinic's data loaded into Polars in a fixed
number of queries, computed with `cephalog.analytics` (no per-patient ORM loop).

Queries: patients, diary days (with their medication flags computed in SQL),
sessions, decisions, adverse events or authorisation dates: one each,
whatever the number of patients.

The package: `frames` (the clinic's data as frames), `board` (the dashboard) and `table`
(the cohort table).
"""

from __future__ import annotations

from cephalog.outcomes.dashboard.board import (
    Dashboard,
    Row,
    dashboard,
)
from cephalog.outcomes.dashboard.frames import (
    DUE_SOON_DAYS,
    LOW_COMPLIANCE_PCT,
    RENEWAL_LEAD_DAYS,
    ClinicFrames,
    change_words,
    load_frames,
    rules_for,
)
from cephalog.outcomes.dashboard.table import (
    CSV_COLUMNS,
    Cohort,
    cohort,
)

__all__ = [
    "CSV_COLUMNS",
    "ClinicFrames",
    "Cohort",
    "DUE_SOON_DAYS",
    "Dashboard",
    "LOW_COMPLIANCE_PCT",
    "RENEWAL_LEAD_DAYS",
    "Row",
    "change_words",
    "cohort",
    "dashboard",
    "load_frames",
    "rules_for",
]
