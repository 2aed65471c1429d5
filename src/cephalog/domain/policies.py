"""Policies as data: eligibility (spec section 6) and continuation (spec section 8).

A `Policy` holds every threshold a guideline or payer sets; the four
built-in policies are in `POLICIES`. A clinic can define its own with
`Policy.from_dict(...)` (for example from a settings file): same rules,
other numbers. The rules themselves live in `assess_eligibility` and
`assess_continuation`; nothing in them tests a policy's name.

Sources: clinical reference section 2 (US label), 5.1 (NICE TA260), 5.2
(EHF 2018), 5.3 (US payers).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from fractions import Fraction
from typing import Any

from cephalog.domain.case import Case
from cephalog.domain.criteria import ChronicMigraine, MedicationOveruse
from cephalog.domain.cycles import Cycle
from cephalog.domain.diary import DiaryDay
from cephalog.domain.intervals import (
    DUE_INTERVAL_DAYS,
    EARLIEST_INTERVAL_DAYS,
    PAYER_EARLIEST_INTERVAL_DAYS,
)
from cephalog.domain.preventive_catalogue import drug_key
from cephalog.domain.rulesets import DAY_DEFINITION_CODES, LEGACY, DayDefinition, Rules
from cephalog.domain.vocab import (
    FAILED_OUTCOMES,
    HARD_STOP_CONDITIONS,
    INTERACTING_MEDICATION_CLASSES,
    Allergy,
    Condition,
)
from cephalog.domain.windows import WINDOW_DAYS, Window, window_ending

#: Recommendations of spec section 8 (a policy may configure these).
RECOMMENDATIONS = ("continue", "stop", "review", "pause", "too_early")
#: Before any injection, standard-2 answers this under every policy (spec section 11.6).
NOT_STARTED = "not_started"
#: Eligibility statuses of spec section 6.
STATUSES = ("eligible", "needs_review", "not_eligible")
#: Toxin given for another indication within this many days before `as_of` is flagged.
RECENT_TOXIN_DAYS = 90

CHRONIC_MIGRAINE_SOURCE = "ICHD-3 1.3 from the diary (assessment spec section 4)"
#: Standard-2 names the day definition the counts were made with (spec section 11.1).
CHRONIC_MIGRAINE_SOURCES = {
    DayDefinition.ICHD3: "ICHD-3 1.3 from the diary, ichd3 day definition "
    "(assessment spec sections 4 and 11.1)",
    DayDefinition.LABEL: "15 headache days and 8 migraine days per 28 from the diary, "
    "label day definition: headache of 4 h or more, as in the BOTOX label and PREEMPT "
    "(assessment spec sections 4 and 11.1)",
}


class PolicyError(ValueError):
    """A policy definition that cannot be used; `problems` names each bad key."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems: tuple[str, ...] = tuple(problems)
        super().__init__("\n".join(self.problems))


@dataclass(frozen=True, slots=True)
class ContinuationRule:
    """The continuation rule of a policy (spec section 8), evaluated in this order.

    1. Non-response: the latest assessable cycle's reduction is below
       `responder_threshold_pct` → `nonresponse` recommendation and reason,
       or the `early_nonresponse` ones when that cycle is numbered below
       `stop_from_cycle` (EHF: review at cycle 2, stop from cycle 3).
    2. Low frequency: the `low_frequency_windows` consecutive 28-day
       windows ending on `assessed_on` are all evaluable with per-28
       headache days below `low_frequency_below` → `low_frequency`
       recommendation and reason.
    3. A latest assessable cycle exists → `continue`; else `too_early`.

    With `no_stopping_rule` (the US label) the rule is only: at least one
    complete cycle → `continue` (`no_stopping_rule_in_label`), else `too_early`.
    """

    responder_threshold_pct: float | None = None
    nonresponse_recommendation: str = "stop"
    nonresponse_reason: str = "inadequate_response"
    stop_from_cycle: int = 2
    early_nonresponse_recommendation: str = "review"
    early_nonresponse_reason: str = "one_more_cycle_allowed"
    low_frequency_below: float | None = None
    low_frequency_windows: int = 3
    low_frequency_recommendation: str = "stop"
    low_frequency_reason: str = "converted_to_episodic"
    low_frequency_advice: str = ""
    no_stopping_rule: bool = False


@dataclass(frozen=True, slots=True)
class Policy:
    """Thresholds of one eligibility and continuation policy (spec sections 6, 8, 9).

    - `failed_preventives_required`: None when the policy has no such criterion.
    - `overuse_managed_required`: adds the `medication_overuse_managed`
      criterion; otherwise medication overuse is a flag.
    - `due_interval_days`, `earliest_interval_days`: next injection (section 9).
    - `day_definition`: `label` or `ichd3`, the days counted under standard-2
      (spec section 11.1); standard-1 always counts label days.
    """

    name: str
    title: str
    source: str
    failed_preventives_required: int | None = None
    overuse_managed_required: bool = False
    continuation: ContinuationRule = field(default_factory=ContinuationRule)
    minimum_age: int = 18
    due_interval_days: int = DUE_INTERVAL_DAYS
    earliest_interval_days: int = EARLIEST_INTERVAL_DAYS
    day_definition: str = DayDefinition.LABEL.value

    def to_dict(self) -> dict[str, Any]:
        """The policy as plain data; `Policy.from_dict(p.to_dict()) == p`."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Policy:
        """A policy from configuration; raises `PolicyError` naming every bad key.

        Keys are those of `Policy`, with `continuation` a mapping of the keys
        of `ContinuationRule`; omitted keys take the defaults. Unknown keys
        are refused, so a misspelt threshold cannot pass silently.
        """
        problems: list[str] = []
        known = {f for f in cls.__dataclass_fields__ if f != "continuation"}
        rule_known = set(ContinuationRule.__dataclass_fields__)
        for key in data:
            if key not in known | {"continuation"}:
                problems.append(f"{key}: unknown policy key")
        rule_data = data.get("continuation", {})
        if not isinstance(rule_data, Mapping):
            problems.append("continuation: must be an object")
            rule_data = {}
        for key in rule_data:
            if key not in rule_known:
                problems.append(f"continuation.{key}: unknown policy key")
        for key in ("name", "title", "source"):
            if not isinstance(data.get(key), str) or not data[key]:
                problems.append(f"{key}: required, a string")
        _check_fields(data, _POLICY_TYPES, "", problems)
        _check_fields(rule_data, _RULE_TYPES, "continuation.", problems)
        for key in ("nonresponse_recommendation", "early_nonresponse_recommendation",
                    "low_frequency_recommendation"):  # fmt: skip
            value = rule_data.get(key)
            if value is not None and value not in RECOMMENDATIONS:
                problems.append(
                    f"continuation.{key}: must be one of {', '.join(RECOMMENDATIONS)}; "
                    f"got {value!r}"
                )
        definition = data.get("day_definition")
        if definition is not None and definition not in DAY_DEFINITION_CODES:
            problems.append(
                f"day_definition: must be one of {', '.join(DAY_DEFINITION_CODES)}; "
                f"got {definition!r}"
            )
        if problems:
            raise PolicyError(problems)
        rule = ContinuationRule(**{k: v for k, v in rule_data.items() if k in rule_known})
        values = {k: v for k, v in data.items() if k in known}
        return cls(continuation=rule, **values)


_POLICY_TYPES: dict[str, tuple[type, ...]] = {
    "failed_preventives_required": (int, type(None)),
    "overuse_managed_required": (bool,),
    "minimum_age": (int,),
    "due_interval_days": (int,),
    "earliest_interval_days": (int,),
    "day_definition": (str,),
}
_RULE_TYPES: dict[str, tuple[type, ...]] = {
    "responder_threshold_pct": (int, float, type(None)),
    "nonresponse_recommendation": (str,),
    "nonresponse_reason": (str,),
    "stop_from_cycle": (int,),
    "early_nonresponse_recommendation": (str,),
    "early_nonresponse_reason": (str,),
    "low_frequency_below": (int, float, type(None)),
    "low_frequency_windows": (int,),
    "low_frequency_recommendation": (str,),
    "low_frequency_reason": (str,),
    "low_frequency_advice": (str,),
    "no_stopping_rule": (bool,),
}


def _check_fields(
    data: Mapping[str, Any], types: Mapping[str, tuple[type, ...]], prefix: str, problems: list[str]
) -> None:
    for key, allowed in types.items():
        if key not in data:
            continue
        value = data[key]
        is_bool = isinstance(value, bool)
        if not isinstance(value, allowed) or (is_bool and bool not in allowed):
            names = " or ".join("null" if t is type(None) else t.__name__ for t in allowed)
            problems.append(f"{prefix}{key}: must be {names}, got {value!r}")
        elif isinstance(value, int | float) and not is_bool and value < 0:
            problems.append(f"{prefix}{key}: must be 0 or more, got {value!r}")


US_LABEL = Policy(
    name="us-label",
    title="US prescribing information (BOTOX, chronic migraine)",
    source="BOTOX US prescribing information, chronic migraine indication "
    "(clinical reference 2.1-2.2)",
    continuation=ContinuationRule(no_stopping_rule=True),
)
US_PAYER = Policy(
    name="us-payer",
    title="US payer prior authorisation and renewal",
    source="US payer policies, e.g. eviCore BOTOX medical-drug policy: 2 failed preventives, "
    "renewal on a 50% reduction, not more often than every 12 weeks (clinical reference 5.3)",
    failed_preventives_required=2,
    continuation=ContinuationRule(
        responder_threshold_pct=50,
        nonresponse_recommendation="review",
        nonresponse_reason="renewal_threshold_not_met",
    ),
    earliest_interval_days=PAYER_EARLIEST_INTERVAL_DAYS,
)
NICE_TA260 = Policy(
    name="nice-ta260",
    title="NICE TA260 (England and Wales, 2012)",
    source="NICE technology appraisal guidance TA260, botulinum toxin type A for the "
    "prevention of headaches in adults with chronic migraine (clinical reference 5.1)",
    failed_preventives_required=3,
    overuse_managed_required=True,
    day_definition=DayDefinition.ICHD3.value,
    continuation=ContinuationRule(
        responder_threshold_pct=30,
        low_frequency_below=15,
        low_frequency_recommendation="stop",
        low_frequency_reason="converted_to_episodic",
    ),
)
EHF_2018 = Policy(
    name="ehf-2018",
    title="European Headache Federation guideline (2018)",
    source="Bendtsen L et al., European Headache Federation guideline on onabotulinumtoxinA "
    "in chronic migraine, J Headache Pain 2018;19:91 (clinical reference 5.2)",
    failed_preventives_required=2,
    day_definition=DayDefinition.ICHD3.value,
    continuation=ContinuationRule(
        responder_threshold_pct=30,
        stop_from_cycle=3,
        low_frequency_below=10,
        low_frequency_recommendation="pause",
        low_frequency_reason="low_frequency_3_months",
        low_frequency_advice="reassess 4-5 months after stopping",
    ),
)

#: The built-in policies, by name, in the order the command lists them.
POLICIES: dict[str, Policy] = {p.name: p for p in (US_LABEL, US_PAYER, NICE_TA260, EHF_2018)}


def get_policy(name: str) -> Policy:
    """A built-in policy by name; raises KeyError naming the known ones."""
    try:
        return POLICIES[name]
    except KeyError:
        raise KeyError(f"unknown policy {name!r}; choose one of {', '.join(POLICIES)}") from None


# --- Eligibility (spec section 6) -----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Criterion:
    """One eligibility criterion: met True/False/None, why, and where it comes from."""

    code: str
    met: bool | None
    detail: str
    source: str

    def to_dict(self) -> dict[str, Any]:
        """The criterion object of spec section 6 (with the allowed `source` key)."""
        return {"code": self.code, "met": self.met, "detail": self.detail, "source": self.source}


@dataclass(frozen=True, slots=True)
class Eligibility:
    """Eligibility under one policy (spec section 6)."""

    policy: str
    as_of: dt.date
    status: str
    hard_stops: tuple[str, ...]
    flags: tuple[str, ...]
    criteria: tuple[Criterion, ...]

    def to_dict(self) -> dict[str, Any]:
        """The `eligibility` object of the assessment (spec sections 6 and 10)."""
        return {
            "policy": self.policy,
            "as_of": self.as_of.isoformat(),
            "status": self.status,
            "hard_stops": list(self.hard_stops),
            "flags": list(self.flags),
            "criteria": [criterion.to_dict() for criterion in self.criteria],
        }


def as_of_date(case: Case) -> dt.date:
    """The first injection's date, or `assessed_on` without injections (spec section 6)."""
    return min(case.injection_dates, default=case.assessed_on)


def age_on(birth_date: dt.date, day: dt.date) -> int:
    """Age in whole years on `day` (spec section 6).

    Someone born on 29 February turns a year older on 1 March in other years.
    """
    before_birthday = (day.month, day.day) < (birth_date.month, birth_date.day)
    return day.year - birth_date.year - before_birthday


def preventive_key(name: str, by_drug: bool = False) -> str:
    """What makes two preventives the same for the count (spec sections 6 and 11.3).

    standard-1: the name without case or surrounding spaces. standard-2: the
    drug, `preventive_catalogue.drug_key` (brand names and salts mapped to
    the generic, then the case-folded first word): "Propranolol MR 80 mg"
    and "propranolol" are one drug.
    """
    return drug_key(name) if by_drug else name.strip().casefold()


def failed_preventives(case: Case, as_of: dt.date, by_drug: bool = False) -> tuple[str, ...]:
    """Distinct failed preventives, sorted (spec section 6; 11.3 with `by_drug`).

    Failed means outcome inadequate_response, intolerance or contraindicated,
    started on or before `as_of` (a preventive without a start date is a past
    one). Names compare without case or surrounding spaces; with `by_drug`
    (standard-2) distinct drugs count, and each is shown by its first name.
    """
    names: dict[str, str] = {}
    for preventive in case.preventives:
        if preventive.outcome not in FAILED_OUTCOMES:
            continue
        if preventive.start is not None and preventive.start > as_of:
            continue
        names.setdefault(preventive_key(preventive.name, by_drug), preventive.name.strip())
    return tuple(sorted(names.values(), key=str.casefold))


def eligibility_flags(
    case: Case, as_of: dt.date, overuse: MedicationOveruse, policy: Policy
) -> tuple[str, ...]:
    """Flags needing a clinician's sign-off (spec section 6), sorted.

    Conditions other than the hard stops; interacting medications current on
    `as_of`; toxin exposure on or after `as_of - 90 days` and before `as_of`;
    medication overuse when the policy does not make managed overuse a criterion.
    """
    flags = {code for code in case.conditions if code not in HARD_STOP_CONDITIONS}
    for medication in case.medications:
        if medication.drug_class in INTERACTING_MEDICATION_CLASSES and medication.current_on(as_of):
            flags.add(f"interacting_medication:{medication.drug_class}")
    earliest = as_of - dt.timedelta(days=RECENT_TOXIN_DAYS)
    if any(earliest <= exposure.date < as_of for exposure in case.toxin_exposures):
        flags.add("recent_toxin_exposure")
    if overuse.met is True and not policy.overuse_managed_required:
        flags.add("medication_overuse")
    return tuple(sorted(flags))


def assess_eligibility(
    case: Case,
    policy: Policy,
    chronic_migraine: ChronicMigraine,
    medication_overuse: MedicationOveruse,
    rules: Rules = LEGACY,
) -> Eligibility:
    """Eligibility for onabotulinumtoxinA under `policy` (spec section 6).

    `not_eligible` on a hard stop (age under 18, toxin hypersensitivity,
    injection-site infection) or a criterion not met; otherwise
    `needs_review` when a criterion is unknown or a flag is raised;
    otherwise `eligible`.
    """
    as_of = as_of_date(case)
    hard_stops = set()
    if age_on(case.patient.birth_date, as_of) < policy.minimum_age:
        hard_stops.add(f"age_under_{policy.minimum_age}")
    if Allergy.BOTULINUM_TOXIN in case.allergies:
        hard_stops.add("toxin_hypersensitivity")
    if Condition.INJECTION_SITE_INFECTION in case.conditions:
        hard_stops.add("injection_site_infection")

    criteria = [
        Criterion(
            "chronic_migraine",
            chronic_migraine.met,
            chronic_migraine.detail,
            f"{policy.source}; "
            + (
                CHRONIC_MIGRAINE_SOURCES[rules.definition]
                if rules.named
                else CHRONIC_MIGRAINE_SOURCE
            ),
        )
    ]
    if policy.failed_preventives_required is not None:
        required = policy.failed_preventives_required
        names = failed_preventives(case, as_of, rules.ruleset.preventives_by_drug)
        detail = f"{len(names)} of {required} required"
        if names:
            detail += f" ({', '.join(names)})"
        criteria.append(
            Criterion("failed_preventives", len(names) >= required, detail, policy.source)
        )
    if policy.overuse_managed_required:
        criteria.append(
            Criterion(
                "medication_overuse_managed",
                None if medication_overuse.met is None else not medication_overuse.met,
                _overuse_managed_detail(medication_overuse, rules),
                policy.source,
            )
        )

    flags = eligibility_flags(case, as_of, medication_overuse, policy)
    if hard_stops or any(criterion.met is False for criterion in criteria):
        status = "not_eligible"
    elif flags or any(criterion.met is None for criterion in criteria):
        status = "needs_review"
    else:
        status = "eligible"
    return Eligibility(
        policy=policy.name,
        as_of=as_of,
        status=status,
        hard_stops=tuple(sorted(hard_stops)),
        flags=flags,
        criteria=tuple(criteria),
    )


def _overuse_managed_detail(overuse: MedicationOveruse, rules: Rules = LEGACY) -> str:
    if overuse.met is None:
        return overuse.detail
    if overuse.met:
        return f"medication overuse ({', '.join(overuse.classes)}): manage before starting"
    if rules.named:
        return f"no overuse ({rules.definition} headache days)"
    return "no overuse"


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
    if latest is not None and threshold is not None:
        reduction = latest.headache_day_reduction_pct
        assert reduction is not None
        if reduction < Fraction(str(threshold)):
            if latest.number >= rule.stop_from_cycle:
                return result(
                    rule.nonresponse_recommendation,
                    [rule.nonresponse_reason],
                    _reduction_text(latest, threshold, rules),
                )
            return result(
                rule.early_nonresponse_recommendation,
                [rule.early_nonresponse_reason],
                f"{_reduction_text(latest, threshold, rules)}; one more cycle allowed before stopping "
                f"(stop from cycle {rule.stop_from_cycle})",
            )

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
            return result(rule.low_frequency_recommendation, [rule.low_frequency_reason], detail)

    if latest is not None:
        if threshold is None:
            return result("continue", [], f"cycle {latest.number} assessed")
        return result("continue", [], _reduction_text(latest, threshold, rules))
    return result(
        "too_early",
        [],
        "no complete cycle from cycle 2 on with evaluable baseline and outcome windows yet",
    )
