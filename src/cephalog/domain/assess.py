"""The assessment of a case, format `cephalog.assessment/1` (spec section 10).

`assess(case)` runs every rule of ruleset `standard-1` on a validated
`Case` and returns the assessment as plain JSON-ready data: dates as ISO
strings, code lists sorted, keys in the spec's order.
"""

from __future__ import annotations

from typing import Any

from cephalog.domain.case import Case
from cephalog.domain.criteria import assess_chronic_migraine, assess_medication_overuse
from cephalog.domain.cycles import compute_cycles, next_injection
from cephalog.domain.diary import classify_day
from cephalog.domain.policies import (
    POLICIES,
    Policy,
    assess_continuation,
    assess_eligibility,
    get_policy,
)
from cephalog.domain.windows import baseline_window, dates

ASSESSMENT_FORMAT = "cephalog.assessment/1"
RULESET = "standard-1"
POLICY_NAMES = tuple(POLICIES)


def day_rows(case: Case) -> list[dict[str, Any]]:
    """One row per date for `--days` (spec sections 2 and 10).

    Dates run from the earlier of the first diary date and `assessed_on` to
    the later of the last diary date and `assessed_on`; an unrecorded date
    has `recorded: false`, null day classes and no reasons.
    """
    days = case.days
    first = min([case.assessed_on, *days])
    last = max([case.assessed_on, *days])
    rows: list[dict[str, Any]] = []
    for date in dates(first, last):
        day = days.get(date)
        if day is None:
            rows.append(
                {
                    "date": date.isoformat(),
                    "recorded": False,
                    "headache_day": None,
                    "migraine_day": None,
                    "moderate_severe_day": None,
                    "acute_medication_classes": [],
                    "reasons": [],
                }
            )
            continue
        c = classify_day(day)
        rows.append(
            {
                "date": date.isoformat(),
                "recorded": True,
                "headache_day": c.headache_day,
                "migraine_day": c.migraine_day,
                "moderate_severe_day": c.moderate_severe_day,
                "acute_medication_classes": list(c.acute_medication_classes),
                "reasons": list(c.reasons),
            }
        )
    return rows


def assess(
    case: Case,
    policy_name: str = "us-label",
    include_days: bool = False,
    *,
    policy: Policy | None = None,
) -> dict[str, Any]:
    """Assess `case` under a policy (spec section 10; sections 3-9 for the parts).

    `policy_name` picks a built-in policy (KeyError when unknown); pass
    `policy=` to use a clinic-defined `Policy` instead.
    """
    chosen = policy if policy is not None else get_policy(policy_name)
    days = case.days
    injections = case.injection_dates
    baseline = baseline_window(days, injections, case.assessed_on)
    chronic = assess_chronic_migraine(days, baseline, case.patient.chronic_headache_since)
    overuse = assess_medication_overuse(days, baseline)
    cycles = compute_cycles(days, injections, baseline, case.assessed_on)
    result: dict[str, Any] = {
        "format": ASSESSMENT_FORMAT,
        "ruleset": RULESET,
        "policy": chosen.name,
        "assessed_on": case.assessed_on.isoformat(),
        "baseline": baseline.to_dict(),
        "chronic_migraine": chronic.to_dict(),
        "medication_overuse": overuse.to_dict(),
        "eligibility": assess_eligibility(case, chosen, chronic, overuse).to_dict(),
        "cycles": [cycle.to_dict() for cycle in cycles],
        "continuation": assess_continuation(chosen, cycles, days, case.assessed_on).to_dict(),
        "next_injection": next_injection(
            injections,
            due_days=chosen.due_interval_days,
            earliest_days=chosen.earliest_interval_days,
        ).to_dict(),
    }
    if include_days:
        result["days"] = day_rows(case)
    return result
