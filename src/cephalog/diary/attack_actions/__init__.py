"""Writes of attacks (issue 3, part 3) and of days that come from outside sources.

An attack with a start and an end counts on each local date it covers with
that date's hours (cephalog.domain.importing). Saving attacks keeps each
covered date's DiaryEntry in step through `save_day`, so validation, the
backfill rule, revisions and the audit trail are the same as for the forms.

Work is split in two so that an import can report every problem before
anything is stored: `plan_*` only reads and collects problems per line;
`apply_*` writes, inside the caller's transaction.

The package: `plans` (the plan types), `days`, `attacks` and `save` (one attack, and the
day form's save).
"""

from __future__ import annotations

from cephalog.diary.attack_actions.attacks import (
    apply_attacks,
    attack_facts,
    plan_attacks,
)
from cephalog.diary.attack_actions.days import (
    apply_days,
    plan_days,
)
from cephalog.diary.attack_actions.plans import (
    AttackPlan,
    Counts,
    DayChange,
    DayPlan,
    Progress,
    at_line,
    validation_messages,
)
from cephalog.diary.attack_actions.save import (
    attack_times,
    day_attack,
    hours_by_date,
    save_attack,
    save_day_with_attack,
)

__all__ = [
    "AttackPlan",
    "Counts",
    "DayChange",
    "DayPlan",
    "Progress",
    "apply_attacks",
    "apply_days",
    "at_line",
    "attack_facts",
    "attack_times",
    "day_attack",
    "hours_by_date",
    "plan_attacks",
    "plan_days",
    "save_attack",
    "save_day_with_attack",
    "validation_messages",
]
