"""Policies as data: eligibility (spec section 6) and continuation (spec section 8).

A `Policy` holds every threshold a guideline or payer sets; the four
built-in policies are in `POLICIES`. A clinic can define its own with
`Policy.from_dict(...)` (for example from a settings file): same rules,
other numbers. The rules themselves live in `assess_eligibility` and
`assess_continuation`; nothing in them tests a policy's name.

Sources: clinical reference section 2 (US label), 5.1 (NICE TA260), 5.2
(EHF 2018), 5.3 (US payers).

The package: `model` (`Policy`, `POLICIES`), `eligibility` (`assess_eligibility`) and
`continuation` (`assess_continuation`).
"""

from __future__ import annotations

from cephalog.domain.policies.continuation import (
    Continuation,
    assess_continuation,
    latest_assessable_cycle,
    recent_windows,
)
from cephalog.domain.policies.eligibility import (
    Criterion,
    Eligibility,
    age_on,
    as_of_date,
    assess_eligibility,
    eligibility_flags,
    failed_preventives,
    preventive_key,
)
from cephalog.domain.policies.model import (
    CHRONIC_MIGRAINE_SOURCE,
    CHRONIC_MIGRAINE_SOURCES,
    EHF_2018,
    NICE_TA260,
    NOT_STARTED,
    POLICIES,
    POLICY_LABELS,
    RECENT_TOXIN_DAYS,
    RECOMMENDATIONS,
    STATUSES,
    US_LABEL,
    US_PAYER,
    ContinuationRule,
    Policy,
    PolicyError,
    get_policy,
    policy_label,
)

__all__ = [
    "CHRONIC_MIGRAINE_SOURCE",
    "CHRONIC_MIGRAINE_SOURCES",
    "EHF_2018",
    "NICE_TA260",
    "NOT_STARTED",
    "POLICIES",
    "POLICY_LABELS",
    "RECENT_TOXIN_DAYS",
    "RECOMMENDATIONS",
    "STATUSES",
    "US_LABEL",
    "US_PAYER",
    "Continuation",
    "ContinuationRule",
    "Criterion",
    "Eligibility",
    "Policy",
    "PolicyError",
    "age_on",
    "as_of_date",
    "assess_continuation",
    "assess_eligibility",
    "eligibility_flags",
    "failed_preventives",
    "get_policy",
    "policy_label",
    "latest_assessable_cycle",
    "preventive_key",
    "recent_windows",
]
