"""What a plan of diary writes holds: counts, day changes, attack changes and problems per line."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError

from cephalog.diary.models import Attack
from cephalog.domain.diary import DiaryDay

type Progress = Callable[[int, int], None]


@dataclass
class Counts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged


@dataclass(frozen=True)
class DayChange:
    line: int
    day: DiaryDay
    exists: bool
    #: The day's note after the change; None leaves the stored note as it is.
    notes: str | None = None


@dataclass
class DayPlan:
    changes: list[DayChange] = field(default_factory=list)
    counts: Counts = field(default_factory=Counts)
    problems: list[str] = field(default_factory=list)
    #: What the file would change in facts recorded since (held until confirmed).
    differences: list[str] = field(default_factory=list)


@dataclass
class AttackPlan:
    new: list[Attack] = field(default_factory=list)
    changed: list[Attack] = field(default_factory=list)
    counts: Counts = field(default_factory=Counts)
    days: DayPlan = field(default_factory=DayPlan)
    problems: list[str] = field(default_factory=list)
    #: Stored attacks the file would change (held until confirmed), one line each.
    differences: list[str] = field(default_factory=list)


def at_line(line: int, message: str) -> str:
    return f"line {line}: {message}" if line else message


def validation_messages(error: ValidationError) -> list[str]:
    """A model validation error as `field: message` lines, like the domain's."""
    return [
        f"{name}: {message}"
        for name, messages in error.message_dict.items()
        for message in messages
    ]
