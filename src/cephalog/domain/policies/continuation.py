"""Continuation under a policy (spec section 8)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from cephalog.domain.cycles import Cycle
from cephalog.domain.diary import DiaryDay
from cephalog.domain.policies.model import NOT_STARTED, Policy
from cephalog.domain.rulesets import LEGACY, Rules
from cephalog.domain.windows import WINDOW_DAYS, Window, window_ending

# --- Continuation (spec section 8) ----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Continuation:
    """A continuation recommendation under one policy (spec section 8)."""

    policy: str
    recommendation: str
    reasons: tuple[str, ...]
    detail: str

    def to_dict(self) -> dict[str, Any]:
        """The `continuation` object of the assessment (spec sections 8 and 10)."""
        return {
            "policy": self.policy,
            "recommendation": self.recommendation,
            "reasons": list(self.reasons),
            "detail": self.detail,
        }


def latest_assessable_cycle(cycles: Sequence[Cycle]) -> Cycle | None:
    """The highest-numbered complete cycle, k >= 2, whose reduction is known (spec section 8)."""
    assessable = [
        cycle
        for cycle in cycles
        if not cycle.in_progress
        and cycle.number >= 2
        and cycle.headache_day_reduction_pct is not None
    ]
    return max(assessable, key=lambda cycle: cycle.number, default=None)


def recent_windows(
    days: Mapping[dt.date, DiaryDay], assessed_on: dt.date, count: int, definition: str = "label"
) -> tuple[Window, ...]:
    """The `count` consecutive 28-day windows ending on `assessed_on`, latest first.

    `[a-27, a]`, `[a-55, a-28]`, `[a-83, a-56]` for three (spec section 8).
    """
    return tuple(
        window_ending(days, assessed_on - dt.timedelta(days=WINDOW_DAYS * i), definition)
        for i in range(count)
    )


def _reduction_text(cycle: Cycle, threshold: float, rules: Rules = LEGACY) -> str:
    reduction = cycle.headache_day_reduction_pct
    assert reduction is not None
    days = rules.days("headache days")
    if reduction >= 0:
        change = f"{rules.fmt(reduction)}% fewer {days} than baseline"
    else:
        change = f"{rules.fmt(-reduction)}% more {days} than baseline"
    return f"cycle {cycle.number}: {change}; {threshold:g}% required"


def assess_continuation(
    policy: Policy,
    cycles: Sequence[Cycle],
    days: Mapping[dt.date, DiaryDay],
    assessed_on: dt.date,
    rules: Rules = LEGACY,
) -> Continuation:
    """Continue, stop, review, pause or too early, under `policy` (spec section 8).

    The first matching rule of `policy.continuation` wins (see `ContinuationRule`).
    Under standard-2 a patient with no injection is `not_started` under every
    policy (spec section 11.6): the stopping rules apply only on treatment.
    `days` are counted with `rules.definition`, as `cycles` were.
    """
    rule = policy.continuation

    def result(recommendation: str, reasons: Sequence[str], detail: str) -> Continuation:
        return Continuation(policy.name, recommendation, tuple(reasons), detail)

    if rules.ruleset.not_started_before_treatment and not cycles:
        return result(
            NOT_STARTED,
            [],
            "no injection yet: the continuation rules apply only to a patient on treatment",
        )

    if rule.no_stopping_rule:
        complete = [cycle for cycle in cycles if not cycle.in_progress]
        if complete:
            return result(
                "continue",
                ["no_stopping_rule_in_label"],
                f"{len(complete)} complete cycle{'s' if len(complete) != 1 else ''}; "
                "the label has no stopping rule",
            )
        return result("too_early", [], "no complete cycle yet")

    latest = latest_assessable_cycle(cycles)
    threshold = rule.responder_threshold_pct
    found = _nonresponse(policy, latest, rules)
    if found is None:
        found = _low_frequency(policy, days, assessed_on, rules)
    if found is not None:
        return found
    if latest is not None:
        if threshold is None:
            return result("continue", [], f"cycle {latest.number} assessed")
        return result("continue", [], _reduction_text(latest, threshold, rules))
    return result(
        "too_early",
        [],
        "no complete cycle from cycle 2 on with evaluable baseline and outcome windows yet",
    )


def _nonresponse(policy: Policy, latest: Cycle | None, rules: Rules) -> Continuation | None:
    """Stop (or one more cycle) when the latest assessable cycle is below the threshold."""
    rule = policy.continuation
    threshold = rule.responder_threshold_pct
    if latest is not None and threshold is not None:
        reduction = latest.headache_day_reduction_pct
        assert reduction is not None
        if reduction < Fraction(str(threshold)):
            if latest.number >= rule.stop_from_cycle:
                return Continuation(
                    policy.name,
                    rule.nonresponse_recommendation,
                    (rule.nonresponse_reason,),
                    _reduction_text(latest, threshold, rules),
                )
            return Continuation(
                policy.name,
                rule.early_nonresponse_recommendation,
                (rule.early_nonresponse_reason,),
                f"{_reduction_text(latest, threshold, rules)}; one more cycle allowed before stopping "
                f"(stop from cycle {rule.stop_from_cycle})",
            )
    return None


def _low_frequency(
    policy: Policy, days: Mapping[dt.date, DiaryDay], assessed_on: dt.date, rules: Rules
) -> Continuation | None:
    """Pause (EHF) when headache days are low in each of the recent windows."""
    rule = policy.continuation
    below = rule.low_frequency_below
    if below is not None:
        windows = recent_windows(days, assessed_on, rule.low_frequency_windows, rules.definition)
        rates = [window.rate("headache_days") for window in windows]
        if all(rate is not None and rate < Fraction(str(below)) for rate in rates):
            detail = (
                f"fewer than {below:g} {rules.days('headache days')} per 28 in each of the "
                f"{len(windows)} windows ending {assessed_on.isoformat()} "
                f"({', '.join(rules.fmt(rate) for rate in rates)}, latest first)"
            )
            if rule.low_frequency_advice:
                detail += f"; {rule.low_frequency_advice}"
            return Continuation(
                policy.name,
                rule.low_frequency_recommendation,
                (rule.low_frequency_reason,),
                detail,
            )
    return None
