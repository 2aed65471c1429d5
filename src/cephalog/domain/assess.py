"""The assessment of a case, format `cephalog.assessment/1` (spec section 10).

`assess(case)` runs every rule of ruleset `standard-1` on a validated
`Case` and returns the assessment as plain JSON-ready data: dates as ISO
strings, code lists sorted, keys in the spec's order.
"""

from __future__ import annotations

from typing import Any

from cephalog.domain.case import Case
from cephalog.domain.criteria import assess_chronic_migraine, assess_medication_overuse
from cephalog.domain.diary import classify_day
from cephalog.domain.windows import baseline_window, dates

ASSESSMENT_FORMAT = "cephalog.assessment/1"
RULESET = "standard-1"
POLICY_NAMES = ("us-label", "us-payer", "nice-ta260", "ehf-2018")


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


def assess(case: Case, policy_name: str = "us-label", include_days: bool = False) -> dict[str, Any]:
    """Assess `case` under a policy (spec section 10; sections 3-9 for the parts).

    Raises KeyError for an unknown policy name.
    """
    if policy_name not in POLICY_NAMES:
        raise KeyError(policy_name)
    days = case.days
    baseline = baseline_window(days, case.injection_dates, case.assessed_on)
    chronic = assess_chronic_migraine(days, baseline, case.patient.chronic_headache_since)
    overuse = assess_medication_overuse(days, baseline)
    result: dict[str, Any] = {
        "format": ASSESSMENT_FORMAT,
        "ruleset": RULESET,
        "policy": policy_name,
        "assessed_on": case.assessed_on.isoformat(),
        "baseline": baseline.to_dict(),
        "chronic_migraine": chronic.to_dict(),
        "medication_overuse": overuse.to_dict(),
        "eligibility": None,
        "cycles": [],
        "continuation": None,
        "next_injection": {"due": None, "earliest": None},
    }
    if include_days:
        result["days"] = day_rows(case)
    return result
