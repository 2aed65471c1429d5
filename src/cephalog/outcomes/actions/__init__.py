"""Every write of the outcomes app: one function per use case, atomic, validated, audited.

Views, tests and commands call these; none save models themselves.

The package: `decisions` (continuation decisions, bridging treatments),
`questionnaires` (HIT-6, MIDAS), `packs` (content packs, item labels) and `common`.
"""

from __future__ import annotations

from cephalog.domain.decisions import HIGH_DOSE_UNITS as HIGH_DOSE
from cephalog.domain.decisions import STANDARD_DOSE_UNITS as STANDARD_DOSE
from cephalog.domain.decisions import DecisionEffect
from cephalog.domain.intervals import DUE_INTERVAL_DAYS as STANDARD_INTERVAL
from cephalog.outcomes.actions.decisions import (
    recommendation_snapshot,
    record_bridging,
    record_decision,
    withdraw_bridging,
)
from cephalog.outcomes.actions.packs import (
    load_content_pack,
    set_content_pack_active,
    set_item_labels,
)
from cephalog.outcomes.actions.questionnaires import (
    record_questionnaire,
    score,
)

# `domain_decision`, `effect_of` and `decision_effect` are read by the session pages too:
# they live in `treatment.queries` (below outcomes) and are re-exported here.
from cephalog.treatment.queries import decision_effect, domain_decision, effect_of

__all__ = [
    "HIGH_DOSE",
    "STANDARD_DOSE",
    "STANDARD_INTERVAL",
    "DecisionEffect",
    "decision_effect",
    "domain_decision",
    "effect_of",
    "load_content_pack",
    "recommendation_snapshot",
    "record_bridging",
    "record_decision",
    "record_questionnaire",
    "score",
    "set_content_pack_active",
    "set_item_labels",
    "withdraw_bridging",
]
