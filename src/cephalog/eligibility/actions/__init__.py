"""All writes of the consultation record, clinic policies, sign-offs and decisions to start.

Each function is one use case: keyword-only arguments, one transaction,
`full_clean()`, and an audit row written in the same transaction. Values
the case format knows (preventives, medicines, toxin exposures) are checked
with the domain's own validators, so the consultation page refuses exactly
what `cephalog assess` would refuse, with the same messages (spec section 1).
Audit details hold ids, codes of what changed and counts, never names.

The package: `common` (the refusal and shared checks), `history` (migraine history),
`consultation` (preventives, medicines, toxin exposures, cautions), `policies` (clinic policies
and rulesets) and `decisions` (sign-offs and the decision to start).
"""

from __future__ import annotations

from cephalog.eligibility.actions.common import (
    CLINICAL,
    REASON_MAX,
    EligibilityError,
)
from cephalog.eligibility.actions.consultation import (
    MEDICATION_FIELDS,
    PREVENTIVE_FIELDS,
    add_toxin_exposure,
    remove_medication,
    remove_preventive,
    remove_toxin_exposure,
    save_medication,
    save_preventive,
    set_cautions,
)
from cephalog.eligibility.actions.decisions import (
    decide_to_start,
    sign_off_flag,
)
from cephalog.eligibility.actions.history import (
    HISTORY_FIELDS,
    update_history,
)
from cephalog.eligibility.actions.policies import (
    delete_clinic_policy,
    save_clinic_policy,
    set_clinic_ruleset,
    set_default_policy,
)

__all__ = [
    "CLINICAL",
    "EligibilityError",
    "HISTORY_FIELDS",
    "MEDICATION_FIELDS",
    "PREVENTIVE_FIELDS",
    "REASON_MAX",
    "add_toxin_exposure",
    "decide_to_start",
    "delete_clinic_policy",
    "remove_medication",
    "remove_preventive",
    "remove_toxin_exposure",
    "save_clinic_policy",
    "save_medication",
    "save_preventive",
    "set_cautions",
    "set_clinic_ruleset",
    "set_default_policy",
    "sign_off_flag",
    "update_history",
]
