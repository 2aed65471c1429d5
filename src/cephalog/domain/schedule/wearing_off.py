"""When treatment wears off within a cycle (clinical-reference §7, §11.7)."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

# ---------------------------------------------------------------------------
# Wearing-off (§7, §11.7)
# ---------------------------------------------------------------------------

#: A cycle is used when it has at least 12 weeks of data (reinjected on day 84 or later).
WEARING_OFF_MIN_WEEKS = 12
#: At least this many complete cycles must contribute to a week's median.
WEARING_OFF_MIN_CYCLES = 2
#: Weeks whose median sets the treated level, and the first week searched.
WEARING_OFF_REFERENCE_WEEKS = (3, 4, 5, 6)
WEARING_OFF_FIRST_WEEK = 7
#: Rise over the treated level that counts as wearing off, in headache days per week.
WEARING_OFF_RISE = 1.0


@dataclass(frozen=True)
class WearingOffEstimate:
    """When headache days usually climb back within a cycle (clinical-reference §7, §11.7)."""

    week: int | None
    reference_level: float | None  # median headache days/week in weeks 3-6
    weekly_medians: tuple[float | None, ...]  # index 0 = week 1
    cycles_used: int
    sentence: str


NOT_ENOUGH_DATA = (
    "There is not enough diary data yet to tell when your treatment wears off: at least 2 "
    "complete 12-week cycles are needed."
)
NO_WEARING_OFF = "Your diary does not show your treatment wearing off before the next one."


def wearing_off_estimate(
    weekly_headache_days_per_cycle: Sequence[Sequence[float | None]],
) -> WearingOffEstimate:
    """The week at which headache days usually climb back (clinical-reference §7, §11.7).

    Input: per cycle, headache days in each week after the injection (week 1
    = days 0-6, week w = days 7(w−1) to 7w−1), None for a week without
    enough diary. Cycles with fewer than 12 weeks (reinjected early, or in
    progress) are left out. For each week, the median over the cycles that
    have it (None when fewer than 2). The treated level is the median of
    the weeks 3-6 medians. Wearing-off starts at the first week from week 7
    whose median is at least 1 day/week above that level and stays there
    the week after (when that week has a median). Medians make one unusual
    cycle unable to move the estimate alone.
    """
    for i, cycle in enumerate(weekly_headache_days_per_cycle):
        for j, value in enumerate(cycle):
            if value is not None and (math.isnan(value) or not 0 <= value <= 7):
                raise ValueError(
                    f"cycles[{i}][{j}]: headache days in a week must be between 0 and 7, "
                    f"got {value}"
                )
    complete = [c for c in weekly_headache_days_per_cycle if len(c) >= WEARING_OFF_MIN_WEEKS]
    n_weeks = max((len(c) for c in complete), default=0)
    medians: list[float | None] = []
    for w in range(n_weeks):
        present = [float(v) for c in complete if w < len(c) and (v := c[w]) is not None]
        medians.append(
            statistics.median(present) if len(present) >= WEARING_OFF_MIN_CYCLES else None
        )

    def none(reason: str, ref: float | None = None) -> WearingOffEstimate:
        return WearingOffEstimate(None, ref, tuple(medians), len(complete), reason)

    if len(complete) < WEARING_OFF_MIN_CYCLES:
        return none(NOT_ENOUGH_DATA)
    ref_values = [m for w in WEARING_OFF_REFERENCE_WEEKS if (m := medians[w - 1]) is not None]
    if len(ref_values) < 2:
        return none(NOT_ENOUGH_DATA)
    ref = statistics.median(ref_values)
    threshold = ref + WEARING_OFF_RISE
    for w in range(WEARING_OFF_FIRST_WEEK, n_weeks + 1):
        m = medians[w - 1]
        if m is None or m < threshold:
            continue
        following = medians[w] if w < n_weeks else None
        if following is None or following >= threshold:
            return WearingOffEstimate(
                w,
                ref,
                tuple(medians),
                len(complete),
                f"Your treatment usually starts wearing off around week {w}.",
            )
    return none(NO_WEARING_OFF, ref)
