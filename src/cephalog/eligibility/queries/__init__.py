"""Reads for eligibility: the screening with its evidence, the gate. (The clinic's policies
and ruleset are read by `cephalog.accounts.rules_queries`.)

Every screening builds the patient's case with `eligibility.case.build_case` and
runs `domain.assess.assess` on it, so the page, the letter, the gate and
`cephalog assess` compute the same eligibility (spec section 6). The
evidence (windows, preventives, overuse figures) is recomputed with the same
domain functions the assessment uses.

The package: `evidence` (the rows behind each criterion, and the gate), `gate` (evaluate, start_gate) and `screenings` (the screening).
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
    "PreventiveRow",
    "Screening",
    "covering_decision",
    "decision_history",
    "evaluate",
    "latest_sign_offs",
    "overuse_rows",
    "preventive_rows",
    "problems_of",
    "screening",
    "screening_date",
    "sign_off_history",
    "start_gate",
    "trial_days",
    "window_evidence",
]
