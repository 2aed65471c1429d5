"""Versioned rulesets: `standard-1` (spec sections 1-10) and `standard-2` (spec section 11).

A ruleset never changes once released: an old decision is reproduced by
assessing again under the ruleset it names. `standard-2` is `standard-1`
with exactly the changes of spec section 11; each is a switch here, read by
the rule that changes:

1. the day definition follows the policy (`label` or `ichd3`), and reasons
   and details name it (`diary.classify_day`, `criteria`, `policies`);
2. overuse "multiple" needs two classes in the window (`criteria`);
3. failed preventives count distinct drugs (`policies.failed_preventives`);
4. flags at `assessed_on` in `next_injection.flags` (`assess`);
5. toxin exposures name their product (`case`, for every ruleset);
6. `not_started` continuation before any injection (`policies`);
7. one-decimal values truncated toward zero (`one_decimal`).

`Rules` is what the rules read: a ruleset and the day definition it uses
under one policy.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from fractions import Fraction

from cephalog.domain.windows import round1, trunc1


class DayDefinition(StrEnum):
    """How a diary day is classed (spec section 11.1).

    - `label`: spec section 2 (headache of 4 h or more, or treated with a
      triptan or ergot; probable migraine counts), as the BOTOX label and
      PREEMPT counted.
    - `ichd3`: ICHD-3 1.3 (headache of any duration; migraine by 1.1 C and D,
      typical aura, or relief by a triptan or ergot).
    """

    LABEL = "label"
    ICHD3 = "ichd3"


DAY_DEFINITION_CODES: tuple[str, ...] = tuple(DayDefinition)

#: How each definition is named in texts: never "ICHD-3" for a label count.
DEFINITION_TITLES: dict[str, str] = {
    DayDefinition.LABEL: "label definition (BOTOX label and PREEMPT: headache of 4 h or more)",
    DayDefinition.ICHD3: "ICHD-3 definition (1.3: headache of any duration)",
}


@dataclass(frozen=True, slots=True)
class Ruleset:
    """One released version of the clinical rules (spec sections 10 and 11)."""

    name: str
    title: str
    #: 11.1: the policy chooses the day definition; otherwise always `label`.
    day_definition_by_policy: bool
    #: 11.2: "multiple" overuse needs at least two classes in each window.
    multiple_needs_two_classes: bool
    #: 11.3: failed preventives are distinct drugs (first word), not distinct names.
    preventives_by_drug: bool
    #: 11.4: `next_injection.flags` at `assessed_on`.
    flags_at_assessed_on: bool
    #: 11.6: `not_started` continuation before any injection.
    not_started_before_treatment: bool
    #: 11.7: one-decimal values truncated toward zero instead of rounded.
    truncate: bool

    def one_decimal(self, value: Fraction) -> float:
        """A value as printed: rounded (standard-1) or truncated toward zero (standard-2)."""
        return trunc1(value) if self.truncate else round1(value)

    def day_definition(self, policy_definition: str) -> DayDefinition:
        """The day definition used under a policy whose own definition is `policy_definition`."""
        if not self.day_definition_by_policy:
            return DayDefinition.LABEL
        return DayDefinition(policy_definition)


STANDARD_1 = Ruleset(
    name="standard-1",
    title="standard-1 (assessment spec sections 1-10)",
    day_definition_by_policy=False,
    multiple_needs_two_classes=False,
    preventives_by_drug=False,
    flags_at_assessed_on=False,
    not_started_before_treatment=False,
    truncate=False,
)
STANDARD_2 = Ruleset(
    name="standard-2",
    title="standard-2 (assessment spec section 11: ICHD-3 and label text)",
    day_definition_by_policy=True,
    multiple_needs_two_classes=True,
    preventives_by_drug=True,
    flags_at_assessed_on=True,
    not_started_before_treatment=True,
    truncate=True,
)

#: The released rulesets by name, oldest first.
RULESETS: dict[str, Ruleset] = {r.name: r for r in (STANDARD_1, STANDARD_2)}
RULESET_NAMES: tuple[str, ...] = tuple(RULESETS)
#: The ruleset of a new clinic and of `cephalog assess` without `--ruleset` (spec section 11).
DEFAULT_RULESET = STANDARD_2.name


def get_ruleset(name: str) -> Ruleset:
    """A ruleset by name; raises KeyError naming the known ones."""
    try:
        return RULESETS[name]
    except KeyError:
        raise KeyError(
            f"unknown ruleset {name!r}; choose one of {', '.join(RULESET_NAMES)}"
        ) from None


@dataclass(frozen=True, slots=True)
class Rules:
    """A ruleset and the day definition it uses under one policy.

    `named` says whether texts name the definition (standard-2 does, so a
    reader always knows which days were counted; standard-1 texts stay as
    they were released).
    """

    ruleset: Ruleset
    definition: DayDefinition

    @classmethod
    def of(cls, ruleset: Ruleset | str, policy_definition: str = "label") -> Rules:
        chosen = get_ruleset(ruleset) if isinstance(ruleset, str) else ruleset
        return cls(chosen, chosen.day_definition(policy_definition))

    @property
    def named(self) -> bool:
        return self.ruleset.day_definition_by_policy

    def one_decimal(self, value: Fraction) -> float:
        return self.ruleset.one_decimal(value)

    def fmt(self, value: Fraction | None) -> str:
        """An exact value as the one-decimal text clinicians see; "n/a" for None."""
        return "n/a" if value is None else f"{self.one_decimal(value):.1f}"

    def days(self, kind: str) -> str:
        """`headache days` (standard-1) or `ichd3 headache days` / `label headache days`."""
        return f"{self.definition} {kind}" if self.named else kind


#: The rules of standard-1: label days, texts as released. The default of the
#: lower-level functions, so every caller that names no ruleset keeps today's result.
LEGACY = Rules(STANDARD_1, DayDefinition.LABEL)
