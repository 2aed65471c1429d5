"""The assessment of a case, format `cephalog.assessment/1` (spec section 10).

`assess(case, ...)` runs every rule of a ruleset (`standard-2` by default,
spec section 11; `standard-1` as released, sections 1-10) on a validated
`Case` and returns a typed `Assessment`: the apps read its attributes
(`assessment.eligibility.status`, `assessment.cycles[1].responder_30`);
`Assessment.to_dict()` is the JSON the command prints (dates as ISO
strings, code lists sorted, keys in the spec's order).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from cephalog.domain.case import Case
from cephalog.domain.criteria import (
    ChronicMigraine,
    MedicationOveruse,
    assess_chronic_migraine,
    assess_medication_overuse,
)
from cephalog.domain.cycles import Cycle, NextInjection, next_injection
from cephalog.domain.cycles import compute_cycles as _compute_cycles
from cephalog.domain.diary import DayClassification, classify_day
from cephalog.domain.policies import (
    POLICIES,
    Continuation,
    Eligibility,
    Policy,
    assess_continuation,
    assess_eligibility,
    eligibility_flags,
    get_policy,
)
from cephalog.domain.rulesets import (
    DEFAULT_RULESET,
    RULESET_NAMES,
    DayDefinition,
    Rules,
    Ruleset,
    get_ruleset,
)
from cephalog.domain.windows import Window, baseline_window, dates

ASSESSMENT_FORMAT = "cephalog.assessment/1"
#: The ruleset of `assess` when none is named (spec section 11: standard-2 is the default).
RULESET = DEFAULT_RULESET
POLICY_NAMES = tuple(POLICIES)
__all__ = [
    "ASSESSMENT_FORMAT",
    "POLICY_NAMES",
    "RULESET",
    "RULESET_NAMES",
    "Assessment",
    "DayRow",
    "assess",
    "day_rows",
]


@dataclass(frozen=True, slots=True)
class DayRow:
    """One date of `--days` (spec sections 2 and 10): None classes when unrecorded."""

    date: dt.date
    classification: DayClassification | None

    @property
    def recorded(self) -> bool:
        return self.classification is not None

    def to_dict(self) -> dict[str, Any]:
        c = self.classification
        if c is None:
            return {
                "date": self.date.isoformat(),
                "recorded": False,
                "headache_day": None,
                "migraine_day": None,
                "moderate_severe_day": None,
                "acute_medication_classes": [],
                "reasons": [],
            }
        return {
            "date": self.date.isoformat(),
            "recorded": True,
            "headache_day": c.headache_day,
            "migraine_day": c.migraine_day,
            "moderate_severe_day": c.moderate_severe_day,
            "acute_medication_classes": list(c.acute_medication_classes),
            "reasons": list(c.reasons),
        }


def day_rows(case: Case, rules: Rules | None = None) -> tuple[DayRow, ...]:
    """One row per date for `--days` (spec sections 2 and 10).

    Dates run from the earlier of the first diary date and `assessed_on` to
    the later of the last diary date and `assessed_on`; an unrecorded date
    has `recorded: false`, null day classes and no reasons. Days are
    classed with `rules` (standard-1's label days when None).
    """
    definition = rules.definition if rules is not None else DayDefinition.LABEL
    named = rules.named if rules is not None else False
    days = case.days
    first = min([case.assessed_on, *days])
    last = max([case.assessed_on, *days])
    rows = []
    for date in dates(first, last):
        day = days.get(date)
        rows.append(DayRow(date, None if day is None else classify_day(day, definition, named)))
    return tuple(rows)


@dataclass(frozen=True, slots=True)
class Assessment:
    """A case assessed under one ruleset and policy (spec sections 10 and 11).

    Exact values stay exact (`Fraction`s in windows and cycles); the
    printed one-decimal values come from `one_decimal` (rounded under
    standard-1, truncated toward zero under standard-2).
    """

    rules: Rules
    policy: Policy
    assessed_on: dt.date
    baseline: Window
    chronic_migraine: ChronicMigraine
    medication_overuse: MedicationOveruse
    eligibility: Eligibility
    cycles: tuple[Cycle, ...]
    continuation: Continuation
    next_injection: NextInjection
    days: tuple[DayRow, ...] | None = None

    format = ASSESSMENT_FORMAT

    @property
    def ruleset(self) -> Ruleset:
        return self.rules.ruleset

    @property
    def day_definition(self) -> DayDefinition:
        return self.rules.definition

    def one_decimal(self, value: Fraction | None) -> float | None:
        """A value as this ruleset prints it (spec section 3; 11.7); None stays None."""
        return None if value is None else self.rules.one_decimal(value)

    def to_dict(self) -> dict[str, Any]:
        """The `cephalog.assessment/1` object (spec section 10; 11 adds `day_definition`)."""
        shown = self.rules.one_decimal
        result: dict[str, Any] = {
            "format": ASSESSMENT_FORMAT,
            "ruleset": self.ruleset.name,
            "policy": self.policy.name,
        }
        if self.ruleset.day_definition_by_policy:
            result["day_definition"] = self.day_definition.value
        result.update(
            {
                "assessed_on": self.assessed_on.isoformat(),
                "baseline": self.baseline.to_dict(shown),
                "chronic_migraine": self.chronic_migraine.to_dict(),
                "medication_overuse": self.medication_overuse.to_dict(),
                "eligibility": self.eligibility.to_dict(),
                "cycles": [cycle.to_dict(shown) for cycle in self.cycles],
                "continuation": self.continuation.to_dict(),
                "next_injection": self.next_injection.to_dict(),
            }
        )
        if self.days is not None:
            result["days"] = [row.to_dict() for row in self.days]
        return result


def rules_for(ruleset: Ruleset | str, policy: Policy) -> Rules:
    """The rules of `ruleset` under `policy`: its day definition (spec section 11.1)."""
    return Rules.of(ruleset, policy.day_definition)


def assess(
    case: Case,
    policy_name: str = "us-label",
    include_days: bool = False,
    *,
    policy: Policy | None = None,
    ruleset: Ruleset | str = DEFAULT_RULESET,
) -> Assessment:
    """Assess `case` under a ruleset and a policy (spec section 10; sections 3-9 and 11).

    `policy_name` picks a built-in policy (KeyError when unknown); pass
    `policy=` to use a clinic-defined `Policy` instead. `ruleset` is
    `standard-2` (the default) or `standard-1` (KeyError when unknown).
    """
    chosen = policy if policy is not None else get_policy(policy_name)
    chosen_ruleset = get_ruleset(ruleset) if isinstance(ruleset, str) else ruleset
    rules = rules_for(chosen_ruleset, chosen)
    definition = rules.definition
    days = case.days
    injections = case.injection_dates
    baseline = baseline_window(days, injections, case.assessed_on, definition)
    chronic = assess_chronic_migraine(days, baseline, case.patient.chronic_headache_since, rules)
    overuse = assess_medication_overuse(days, baseline, rules)
    cycles = _compute_cycles(days, injections, baseline, case.assessed_on, definition)
    flags = (
        eligibility_flags(case, case.assessed_on, overuse, chosen)
        if chosen_ruleset.flags_at_assessed_on
        else None
    )
    return Assessment(
        rules=rules,
        policy=chosen,
        assessed_on=case.assessed_on,
        baseline=baseline,
        chronic_migraine=chronic,
        medication_overuse=overuse,
        eligibility=assess_eligibility(case, chosen, chronic, overuse, rules),
        cycles=cycles,
        continuation=assess_continuation(chosen, cycles, days, case.assessed_on, rules),
        next_injection=next_injection(
            injections,
            due_days=chosen.due_interval_days,
            earliest_days=chosen.earliest_interval_days,
            flags=flags,
        ),
        days=day_rows(case, rules) if include_days else None,
    )
