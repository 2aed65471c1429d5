"""Reads for eligibility: the clinic's policies, the screening with its evidence, the gate.

Every screening builds the patient's case with `eligibility.case.build_case` and
runs `domain.assess.assess` on it, so the page, the letter, the gate and
`cephalog assess` compute the same eligibility (spec section 6). The
evidence (windows, preventives, overuse figures) is recomputed with the same
domain functions the assessment uses.

The package: `rules` (ruleset and policies), `evidence` (the rows behind each
criterion, and the gate), `gate` (evaluate, start_gate) and `screenings` (the screening).
"""

from __future__ import annotations

from cephalog.eligibility.queries.evidence import (
    CriterionRow,
    FlagRow,
    Gate,
    OveruseRow,
    PreventiveRow,
    overuse_rows,
    preventive_rows,
    trial_days,
    window_evidence,
)
from cephalog.eligibility.queries.gate import (
    Evaluation,
    covering_decision,
    evaluate,
    latest_sign_offs,
    problems_of,
    start_gate,
)
from cephalog.eligibility.queries.rules import (
    PolicyOption,
    UnknownPolicy,
    clinic_rules,
    clinic_rules_by_id,
    clinic_ruleset,
    earliest_interval_days,
    own_patient_and_rules,
    policy_for,
    policy_options,
)
from cephalog.eligibility.queries.screenings import (
    Screening,
    decision_history,
    screening,
    screening_date,
    sign_off_history,
)

__all__ = [
    "CriterionRow",
    "Evaluation",
    "FlagRow",
    "Gate",
    "OveruseRow",
    "PolicyOption",
    "PreventiveRow",
    "Screening",
    "UnknownPolicy",
    "clinic_rules",
    "clinic_rules_by_id",
    "own_patient_and_rules",
    "clinic_ruleset",
    "covering_decision",
    "decision_history",
    "earliest_interval_days",
    "evaluate",
    "latest_sign_offs",
    "overuse_rows",
    "policy_for",
    "policy_options",
    "preventive_rows",
    "problems_of",
    "screening",
    "screening_date",
    "sign_off_history",
    "start_gate",
    "trial_days",
    "window_evidence",
]
