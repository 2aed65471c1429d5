"""The checks before every treatment session starts (issues 14.3, 14.4, 14.5, 14.7).

Pure Python, the session date passed in. The app gathers the patient's record
(a spec-section-1 Case built on the session date, the toxin exposures with
their products, the previous session's date) and the injector's answers; this
module decides:

- hard stops (refuse, no override): age under the policy minimum, a botulinum
  toxin allergy, infection at the injection sites (recorded or seen today);
- flags, each needing its own physician sign-off before the first site:
  spec section 6's flags evaluated on the session date
  (`policies.eligibility_flags`, the same function as `next_injection.flags`
  of ruleset standard-2, spec 11.4), plus pregnancy and new red-flag symptoms
  reported at the check, and the answer to "any new medicines or illnesses
  since your last treatment?";
- the retreatment interval: before the earliest day only with a structured
  reason (a choice of reasons, the antibody-risk acknowledgement, and text),
  never because a word appears in free text;
- the 400 U per 90 days cap, counting onabotulinumtoxinA units only (spec
  11.5: units of different products are not interchangeable); a recent
  exposure to another product is a flag, not a refusal.

Sources: BOTOX US label §2, §4, §5, §7 and Medication Guide; clinical-reference
§2.2–§2.6, §2.8, §6.5, §11.2; spec/assessment.md sections 6, 9 and 11.

The package: `inputs`, `findings` (hard stops and flags), `interval` and `cap`.
"""

from __future__ import annotations

from cephalog.domain.point_of_care.cap import (
    cap_exposures,
    check_cap,
)
from cephalog.domain.point_of_care.findings import (
    Finding,
    hard_stops,
    session_flags,
)
from cephalog.domain.point_of_care.inputs import (
    NEW_SINCE_LAST,
    PRODUCT_LABELS,
    RED_FLAGS_SINCE_LAST,
    SRC_AGE,
    SRC_ALLERGY,
    SRC_CAP,
    SRC_CONDITIONS,
    SRC_FLAGS,
    SRC_INFECTION,
    SRC_INTERACTIONS,
    SRC_INTERVAL,
    SRC_RED_FLAGS,
    SRC_TOXIN,
    Answers,
    Exposure,
    product_of,
)
from cephalog.domain.point_of_care.interval import (
    ANTIBODY_ACKNOWLEDGEMENT,
    EarlyInjection,
    EarlyReason,
    check_interval,
    due_day,
    earliest_day,
)

__all__ = [
    "ANTIBODY_ACKNOWLEDGEMENT",
    "NEW_SINCE_LAST",
    "PRODUCT_LABELS",
    "RED_FLAGS_SINCE_LAST",
    "SRC_AGE",
    "SRC_ALLERGY",
    "SRC_CAP",
    "SRC_CONDITIONS",
    "SRC_FLAGS",
    "SRC_INFECTION",
    "SRC_INTERACTIONS",
    "SRC_INTERVAL",
    "SRC_RED_FLAGS",
    "SRC_TOXIN",
    "Answers",
    "EarlyInjection",
    "EarlyReason",
    "Exposure",
    "Finding",
    "cap_exposures",
    "check_cap",
    "check_interval",
    "due_day",
    "earliest_day",
    "hard_stops",
    "product_of",
    "session_flags",
]
