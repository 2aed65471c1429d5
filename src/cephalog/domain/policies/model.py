"""The policy data: thresholds, continuation rules, the built-in policies (spec sections 6 and 8)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from cephalog.domain.intervals import (
    DUE_INTERVAL_DAYS,
    EARLIEST_INTERVAL_DAYS,
    PAYER_EARLIEST_INTERVAL_DAYS,
)
from cephalog.domain.rulesets import DAY_DEFINITION_CODES, DayDefinition

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

    @property
    def label(self) -> str:
        """The policy's short name on staff pages: "US label", "NICE TA260" ... for a built-in
        one, its title for a clinic's own (never the stored key)."""
        return policy_label(self.name, self.title)

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

#: The built-in policies' short names, as staff pages show them (their keys are for files,
#: URLs and the command line).
POLICY_LABELS: dict[str, str] = {
    "us-label": "US label",
    "us-payer": "US payer",
    "nice-ta260": "NICE TA260",
    "ehf-2018": "EHF 2018",
}


def policy_label(name: str, title: str = "") -> str:
    """A policy's short name: a built-in one's label; else `title` (a clinic's own policy
    has one), or the name itself when no title is known."""
    return POLICY_LABELS.get(name) or title or name


def get_policy(name: str) -> Policy:
    """A built-in policy by name; raises KeyError naming the known ones."""
    try:
        return POLICIES[name]
    except KeyError:
        raise KeyError(f"unknown policy {name!r}; choose one of {', '.join(POLICIES)}") from None
