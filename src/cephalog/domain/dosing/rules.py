"""Rule results, and the cumulative dose cap (§2.2, §2.8, §11.2); the retreatment
interval check is in cephalog.domain.point_of_care."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from cephalog.domain.dosing.constants import (
    _SRC_CUMULATIVE,
    CUMULATIVE_CAP_UNITS,
    CUMULATIVE_WINDOW_DAYS,
)


class RuleStatus(StrEnum):
    """Outcome of a scheduling rule."""

    OK = "ok"  # allowed, nothing to note
    WARNING = "warning"  # allowed; show the message
    OVERRIDDEN = "overridden"  # allowed only because of the documented reason
    NEEDS_OVERRIDE = "needs_override"  # allowed with a documented reason, none given
    REFUSED = "refused"  # not allowed


@dataclass(frozen=True)
class RuleResult:
    """A rule's outcome with its message and the source it comes from."""

    rule: str
    status: RuleStatus
    message: str
    source: str

    @property
    def allowed(self) -> bool:
        return self.status in (RuleStatus.OK, RuleStatus.WARNING, RuleStatus.OVERRIDDEN)


# The retreatment interval check (before the earliest day only with a structured reason)
# is in cephalog.domain.point_of_care.check_interval.


def check_cumulative_dose(
    exposures: Iterable[tuple[dt.date, int]],
    proposed_date: dt.date,
    proposed_units: int,
) -> RuleResult:
    """At most 400 U of BOTOX, all indications, in any 3-month window (clinical-reference §2.2, §14).

    `exposures` are onabotulinumtoxinA doses only: other products' units are not
    interchangeable and never added (spec 11.5; see point_of_care.check_cap).

    A 3-month window is 90 consecutive days `[s, s + 89]`. Every window
    that contains `proposed_date` (s from `proposed_date − 89` to
    `proposed_date`) is checked, so recorded or planned exposures up to 89
    days *after* the proposed date count too. 90 days covers the payer
    wording (400 U per 84 days): any 84-day window lies inside a 90-day one.
    `exposures` are the other toxin doses (any indication) and must not
    include the proposed session itself. Refused above the cap; no override.
    """
    rule = "cumulative_dose"
    if proposed_units < 0:
        raise ValueError(f"proposed_units: must not be negative, got {proposed_units}")
    span = CUMULATIVE_WINDOW_DAYS - 1
    near: list[tuple[dt.date, int]] = []
    for d, u in exposures:
        if u < 0:
            raise ValueError(f"exposure on {d.isoformat()}: units must not be negative, got {u}")
        if abs((d - proposed_date).days) <= span:
            near.append((d, u))
    worst_total = -1
    worst_start = proposed_date
    for offset in range(span, -1, -1):
        start = proposed_date - dt.timedelta(days=offset)
        end = start + dt.timedelta(days=span)
        total = proposed_units + sum(u for d, u in near if start <= d <= end)
        if total > worst_total:
            worst_total, worst_start = total, start
    worst_end = worst_start + dt.timedelta(days=span)
    window = f"{worst_start.isoformat()} to {worst_end.isoformat()}"
    if worst_total > CUMULATIVE_CAP_UNITS:
        return RuleResult(
            rule,
            RuleStatus.REFUSED,
            f"{worst_total} U of onabotulinumtoxinA (all indications) between {window} "
            f"including this session's {proposed_units} U; at most {CUMULATIVE_CAP_UNITS} U "
            f"in {CUMULATIVE_WINDOW_DAYS} days.",
            _SRC_CUMULATIVE,
        )
    return RuleResult(
        rule,
        RuleStatus.OK,
        f"At most {worst_total} U in any {CUMULATIVE_WINDOW_DAYS}-day window around this "
        f"session (highest {window}); limit {CUMULATIVE_CAP_UNITS} U.",
        _SRC_CUMULATIVE,
    )
