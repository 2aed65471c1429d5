"""The treatment calendar, what to expect, and when treatment wears off.

Implements clinical-reference.md §11 (derived calendar and monitoring rules:
baseline, 12-weekly sessions, outcome windows, decision points, safety
follow-up), §5 (review after cycles 2 and 3; EHF pause and reassessment),
§6 and §7 (expectations; wearing-off), §2.2 and §2.8 (12-week interval,
antibodies) and spec/assessment.md §7 and §9 (outcome windows; due and
earliest next injection). Decisions where the reference is silent are in
docs/domain-decisions.md.

Dates are the patient's local calendar dates; `today` is always a parameter.

The package: `events` (the numbers and types), `dates`, `plan` (`treatment_plan`),
`expectations` (`what_to_expect`) and `wearing_off`.
"""

from __future__ import annotations

from cephalog.domain.intervals import DUE_INTERVAL_DAYS
from cephalog.domain.schedule.dates import (
    format_date,
)
from cephalog.domain.schedule.events import (
    BASELINE_DAYS,
    OUTCOME_WINDOW_LAST_DAY,
    QUESTIONNAIRE_LEAD_DAYS,
    REASSESS_AFTER_DAYS,
    RENEWAL_LEAD_DAYS,
    SESSION_LATE_TOLERANCE_DAYS,
    EventKind,
    PlanDecision,
    PlannedEvent,
    Recommendation,
)
from cephalog.domain.schedule.expectations import (
    what_to_expect,
)
from cephalog.domain.schedule.plan import (
    plan_decision,
    treatment_plan,
)
from cephalog.domain.schedule.wearing_off import (
    NO_WEARING_OFF,
    NOT_ENOUGH_DATA,
    WEARING_OFF_FIRST_WEEK,
    WEARING_OFF_MIN_CYCLES,
    WEARING_OFF_MIN_WEEKS,
    WEARING_OFF_REFERENCE_WEEKS,
    WEARING_OFF_RISE,
    WearingOffEstimate,
    wearing_off_estimate,
)

__all__ = [
    "BASELINE_DAYS",
    "DUE_INTERVAL_DAYS",
    "NOT_ENOUGH_DATA",
    "NO_WEARING_OFF",
    "OUTCOME_WINDOW_LAST_DAY",
    "QUESTIONNAIRE_LEAD_DAYS",
    "REASSESS_AFTER_DAYS",
    "RENEWAL_LEAD_DAYS",
    "SESSION_LATE_TOLERANCE_DAYS",
    "WEARING_OFF_FIRST_WEEK",
    "WEARING_OFF_MIN_CYCLES",
    "WEARING_OFF_MIN_WEEKS",
    "WEARING_OFF_REFERENCE_WEEKS",
    "WEARING_OFF_RISE",
    "EventKind",
    "PlanDecision",
    "PlannedEvent",
    "Recommendation",
    "WearingOffEstimate",
    "format_date",
    "plan_decision",
    "treatment_plan",
    "wearing_off_estimate",
    "what_to_expect",
]
