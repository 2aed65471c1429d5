"""HIT-6 and MIDAS scoring (clinical-reference §8.1, §8.2).

Scoring rules only. No item wording is shipped: both instruments are
copyrighted (HIT-6 © QualityMetric; MIDAS holder unconfirmed, §12.9), so
items are identified by key and rendered from a licensed content pack.

Validation messages name the item by its position, e.g.
`items[3]: must be one of 6, 8, 10, 11, 13, got 7`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Self, overload

# ---------------------------------------------------------------------------
# Shared
# ---------------------------------------------------------------------------


class ResponseError(ValueError):
    """Item responses that cannot be scored; `problems` names each bad item."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = tuple(problems)
        super().__init__("; ".join(self.problems))


class _Labelled(StrEnum):
    """A StrEnum whose members are written `NAME = "value", "Label"`: `.label` is the label.

    `Band("value")` looks a member up by its value, as for any enum."""

    label: str

    @overload
    def __new__(cls, value: str) -> Self: ...  # a look-up
    @overload
    def __new__(cls, value: str, label: str) -> Self: ...  # a member's definition
    def __new__(cls, value: str, label: str = "") -> Self:
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label
        return member


def _is_int(value: object) -> bool:
    # bool is an int subclass; True is not a valid response
    return isinstance(value, int) and not isinstance(value, bool)


# ---------------------------------------------------------------------------
# HIT-6 (§8.1)
# ---------------------------------------------------------------------------

#: Item keys, in questionnaire order. Wording is licensed and not shipped.
HIT6_ITEM_KEYS: tuple[str, ...] = tuple(f"hit6_{i}" for i in range(1, 7))
#: Points per response: never 6, rarely 8, sometimes 10, very often 11, always 13.
HIT6_VALUES: tuple[int, ...] = (6, 8, 10, 11, 13)
HIT6_MIN_TOTAL = 36
HIT6_MAX_TOTAL = 78
#: Individual responder threshold commonly used: improvement of 5 points or more (§8.1).
HIT6_RESPONDER_POINTS = 5


class Hit6Band(_Labelled):
    """HIT-6 impact band (clinical-reference §8.1)."""

    LITTLE_OR_NO_IMPACT = "little_or_no_impact", "Little or no impact"  # <= 49
    SOME_IMPACT = "some_impact", "Some impact"  # 50-55
    SUBSTANTIAL_IMPACT = "substantial_impact", "Substantial impact"  # 56-59
    SEVERE_IMPACT = "severe_impact", "Severe impact"  # >= 60


@dataclass(frozen=True)
class Hit6Score:
    """A scored HIT-6: total 36-78 (higher = worse) and its band."""

    total: int
    band: Hit6Band


def validate_hit6(items: Sequence[int | None]) -> list[str]:
    """Problems with HIT-6 responses; empty when scorable (clinical-reference §8.1).

    Exactly 6 items, each 6, 8, 10, 11 or 13. A missing item (None) is a
    problem: no imputation rule is published, so the total is missing.
    """
    problems: list[str] = []
    if len(items) != len(HIT6_ITEM_KEYS):
        problems.append(f"items: HIT-6 has 6 items, got {len(items)}")
    allowed = ", ".join(str(v) for v in HIT6_VALUES)
    for i, value in enumerate(items):
        if value is None:
            problems.append(f"items[{i}]: missing; the HIT-6 total needs all 6 items")
        elif not _is_int(value) or value not in HIT6_VALUES:
            problems.append(f"items[{i}]: must be one of {allowed}, got {value!r}")
    return problems


def hit6_band(total: int) -> Hit6Band:
    """The impact band of a HIT-6 total (clinical-reference §8.1).

    <= 49 little or no impact; 50-55 some; 56-59 substantial; >= 60 severe.
    Raises ValueError outside 36-78.
    """
    if not _is_int(total) or not HIT6_MIN_TOTAL <= total <= HIT6_MAX_TOTAL:
        raise ValueError(f"total: must be between 36 and 78, got {total!r}")
    if total <= 49:
        return Hit6Band.LITTLE_OR_NO_IMPACT
    if total <= 55:
        return Hit6Band.SOME_IMPACT
    if total <= 59:
        return Hit6Band.SUBSTANTIAL_IMPACT
    return Hit6Band.SEVERE_IMPACT


def score_hit6(items: Sequence[int | None]) -> Hit6Score:
    """Total and band of six HIT-6 responses (clinical-reference §8.1).

    Raises ResponseError (a ValueError) listing every bad item.
    """
    problems = validate_hit6(items)
    if problems:
        raise ResponseError(problems)
    total = sum(v for v in items if v is not None)
    return Hit6Score(total=total, band=hit6_band(total))


# ---------------------------------------------------------------------------
# MIDAS (§8.2)
# ---------------------------------------------------------------------------

#: Scored items Q1-Q5 (days in the last 3 months), in questionnaire order.
MIDAS_ITEM_KEYS: tuple[str, ...] = tuple(f"midas_{i}" for i in range(1, 6))
#: Unscored items: A = headache days in the last 3 months, B = average pain 0-10.
MIDAS_ITEM_A_KEY = "midas_a"
MIDAS_ITEM_B_KEY = "midas_b"
#: Days in the recall period: "the last 3 months" read as 90 days (see docs/domain-decisions.md).
MIDAS_MAX_DAYS = 90
MIDAS_MAX_PAIN = 10
#: Responder threshold used in some studies: a reduction of 5 points or more (§8.2).
MIDAS_RESPONDER_POINTS = 5


class MidasGrade(_Labelled):
    """MIDAS disability grade (clinical-reference §8.2)."""

    I = "I", "Little or no disability"  # noqa: E741 (the grade's name); 0-5
    II = "II", "Mild disability"  # 6-10
    III = "III", "Moderate disability"  # 11-20
    IV = "IV", "Severe disability"  # >= 21


@dataclass(frozen=True)
class MidasScore:
    """A scored MIDAS: the sum of Q1-Q5 and its grade; A and B as recorded."""

    total: int
    grade: MidasGrade
    headache_days: int | None  # item A, not scored
    average_pain: int | None  # item B, not scored


def validate_midas(
    items: Sequence[int | None], *, item_a: int | None = None, item_b: int | None = None
) -> list[str]:
    """Problems with MIDAS responses; empty when scorable (clinical-reference §8.2).

    Exactly 5 scored items, each a whole number of days 0-90; Q1 + Q2 and
    Q3 + Q4 at most 90 (Q2 and Q4 exclude the days counted in Q1 and Q3).
    Item A (headache days) 0-90 and item B (pain) 0-10 when given.
    """
    problems: list[str] = []
    if len(items) != len(MIDAS_ITEM_KEYS):
        problems.append(f"items: MIDAS has 5 scored items, got {len(items)}")
    valid: dict[int, int] = {}
    for i, value in enumerate(items):
        if value is None:
            problems.append(f"items[{i}]: missing; the MIDAS score needs all 5 items")
        elif not _is_int(value) or not 0 <= value <= MIDAS_MAX_DAYS:
            problems.append(
                f"items[{i}]: must be a whole number of days from 0 to {MIDAS_MAX_DAYS}, "
                f"got {value!r}"
            )
        else:
            valid[i] = value
    for first, second in ((0, 1), (2, 3)):
        if first in valid and second in valid and valid[first] + valid[second] > MIDAS_MAX_DAYS:
            problems.append(
                f"items[{second}]: items[{first}] + items[{second}] must not exceed "
                f"{MIDAS_MAX_DAYS} days (items[{second}] excludes the days counted in "
                f"items[{first}]), got {valid[first]} + {valid[second]}"
            )
    if item_a is not None and (not _is_int(item_a) or not 0 <= item_a <= MIDAS_MAX_DAYS):
        problems.append(
            f"item_a: must be a whole number of days from 0 to {MIDAS_MAX_DAYS}, got {item_a!r}"
        )
    if item_b is not None and (not _is_int(item_b) or not 0 <= item_b <= MIDAS_MAX_PAIN):
        problems.append(f"item_b: must be a whole number from 0 to 10, got {item_b!r}")
    return problems


def midas_grade(total: int) -> MidasGrade:
    """The disability grade of a MIDAS score (clinical-reference §8.2).

    I 0-5, II 6-10, III 11-20, IV >= 21. Raises ValueError when negative or
    above 450 (5 items x 90 days).
    """
    if not _is_int(total) or not 0 <= total <= 5 * MIDAS_MAX_DAYS:
        raise ValueError(f"total: must be between 0 and {5 * MIDAS_MAX_DAYS}, got {total!r}")
    if total <= 5:
        return MidasGrade.I
    if total <= 10:
        return MidasGrade.II
    if total <= 20:
        return MidasGrade.III
    return MidasGrade.IV


def score_midas(
    items: Sequence[int | None], *, item_a: int | None = None, item_b: int | None = None
) -> MidasScore:
    """Score = sum of Q1-Q5, with its grade; A and B recorded, not scored (clinical-reference §8.2).

    Raises ResponseError (a ValueError) listing every bad item.
    """
    problems = validate_midas(items, item_a=item_a, item_b=item_b)
    if problems:
        raise ResponseError(problems)
    total = sum(v for v in items if v is not None)
    return MidasScore(
        total=total, grade=midas_grade(total), headache_days=item_a, average_pain=item_b
    )


__all__ = [
    "HIT6_ITEM_KEYS",
    "HIT6_MAX_TOTAL",
    "HIT6_MIN_TOTAL",
    "HIT6_RESPONDER_POINTS",
    "HIT6_VALUES",
    "MIDAS_ITEM_A_KEY",
    "MIDAS_ITEM_B_KEY",
    "MIDAS_ITEM_KEYS",
    "MIDAS_MAX_DAYS",
    "MIDAS_RESPONDER_POINTS",
    "Hit6Band",
    "Hit6Score",
    "MidasGrade",
    "MidasScore",
    "ResponseError",
    "hit6_band",
    "midas_grade",
    "score_hit6",
    "score_midas",
    "validate_hit6",
    "validate_midas",
]
