"""Reads for the outcome pages, computed with the domain exactly as `cephalog assess` does.

Every per-patient figure comes from one `build_case` + `domain.assess` (the
implementation of `cephalog.eligibility.case.assess_patient`), so the outcomes
page, the cycle summary, the renewal letter and the progress page show the
numbers the command prints for the same record.

The package: `weekly` (labels, weekly headache days and wearing-off), `page` (the outcomes
page), `questionnaires`, `progress` (the patient's progress page) and `summary` (the
one-page cycle summary).
"""

from __future__ import annotations

from cephalog.domain.windows import WINDOW_DAYS
from cephalog.outcomes.queries.page import (
    CycleRow,
    PatientOutcomes,
    TimelineItem,
    bridging_treatment,
    decision_title,
    patient_outcomes,
    policy_or_default,
    timeline,
)
from cephalog.outcomes.queries.progress import (
    Period,
    Progress,
    progress,
)
from cephalog.outcomes.queries.questionnaires import (
    QuestionnaireDue,
    active_pack,
    interval_rule,
    item_labels,
    plan_decisions,
    questionnaire_due,
)
from cephalog.outcomes.queries.summary import (
    AdverseEventRow,
    CycleSummary,
    adverse_events_between,
    cycle_summary,
)
from cephalog.outcomes.queries.weekly import (
    MIN_RECORDED_PER_WEEK,
    REASON_LABELS,
    RECOMMENDATION_LABELS,
    WEEKS_PER_CYCLE,
    band_label,
    clinician_wearing_off,
    weekly_headache_days,
)

__all__ = [
    "bridging_treatment",
    "AdverseEventRow",
    "CycleRow",
    "CycleSummary",
    "MIN_RECORDED_PER_WEEK",
    "PatientOutcomes",
    "Period",
    "Progress",
    "QuestionnaireDue",
    "REASON_LABELS",
    "RECOMMENDATION_LABELS",
    "TimelineItem",
    "WEEKS_PER_CYCLE",
    "WINDOW_DAYS",
    "active_pack",
    "adverse_events_between",
    "band_label",
    "clinician_wearing_off",
    "cycle_summary",
    "decision_title",
    "interval_rule",
    "item_labels",
    "patient_outcomes",
    "plan_decisions",
    "policy_or_default",
    "progress",
    "questionnaire_due",
    "timeline",
    "weekly_headache_days",
]
