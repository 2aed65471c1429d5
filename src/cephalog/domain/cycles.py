"""Treatment cycles (spec section 7) and the next injection (spec section 9).

Cycle k starts at injection k (injections sorted by date). Its outcome
window is the 28 days ending at `min(next injection - 1 day, injection + 83
days)`; it is compared with the baseline window, per 28 days. Wearing-off
compares weeks 5-8 with weeks 9-12 after the injection (clinical reference
section 7).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from cephalog.domain.diary import DiaryDay
from cephalog.domain.intervals import DUE_INTERVAL_DAYS, EARLIEST_INTERVAL_DAYS
from cephalog.domain.windows import (
    OneDecimal,
    Window,
    compute_window,
    round1,
    window_ending,
)

#: Day, counted from the injection (day 0), on which the next injection is due: 12 weeks.
CYCLE_DAYS = DUE_INTERVAL_DAYS
#: Last day of a cycle's outcome window when the next injection does not come earlier.
OUTCOME_LAST_DAY = CYCLE_DAYS - 1
#: Weeks 5-8 and weeks 9-12 after an injection, as day offsets (spec section 7).
WEEKS_5_8 = (28, 55)
WEEKS_9_12 = (56, 83)
#: Rise in per-28 headache days from weeks 5-8 to weeks 9-12 that means wearing-off.
WEARING_OFF_RISE = 3
#: Responder thresholds, percent reduction of per-28 headache days (spec section 7).
RESPONDER_30 = 30
RESPONDER_50 = 50


def _days(n: int) -> dt.timedelta:
    return dt.timedelta(days=n)


@dataclass(frozen=True, slots=True)
class Cycle:
    """One treatment cycle and its outcome (spec section 7).

    `headache_day_change` (cycle - baseline, per 28) and
    `headache_day_reduction_pct` are exact; `to_dict` rounds them to one
    decimal. Metrics are None while the cycle is in progress, when the
    baseline or outcome window is not evaluable, and (reduction and
    responder flags) when the baseline has no headache day.
    """

    number: int
    injection_date: dt.date
    interval_days: int | None
    in_progress: bool
    window: Window
    headache_day_change: Fraction | None
    headache_day_reduction_pct: Fraction | None
    responder_30: bool | None
    responder_50: bool | None
    wearing_off: bool | None

    def to_dict(self, one_decimal: OneDecimal = round1) -> dict[str, Any]:
        """The cycle object of the assessment (spec sections 7 and 10)."""
        change = self.headache_day_change
        reduction = self.headache_day_reduction_pct
        return {
            "number": self.number,
            "injection_date": self.injection_date.isoformat(),
            "interval_days": self.interval_days,
            "in_progress": self.in_progress,
            "window": self.window.to_dict(one_decimal),
            "headache_day_change": None if change is None else one_decimal(change),
            "headache_day_reduction_pct": None if reduction is None else one_decimal(reduction),
            "responder_30": self.responder_30,
            "responder_50": self.responder_50,
            "wearing_off": self.wearing_off,
        }


def outcome_window_end(injection: dt.date, next_injection: dt.date | None) -> dt.date:
    """End of a cycle's outcome window: min(next - 1 day, injection + 83 days) (spec section 7)."""
    end = injection + _days(OUTCOME_LAST_DAY)
    if next_injection is not None:
        end = min(end, next_injection - _days(1))
    return end


def wearing_off(
    days: Mapping[dt.date, DiaryDay],
    injection: dt.date,
    next_injection: dt.date | None,
    in_progress: bool,
    definition: str = "label",
) -> bool | None:
    """Wearing-off of one cycle (spec section 7; clinical reference section 7).

    True when per-28 headache days rise by 3 or more from weeks 5-8
    (`injection + 28 … + 55`) to weeks 9-12 (`+ 56 … + 83`); False
    otherwise; None when the cycle is in progress, the next injection came
    before day 84, or either window is not evaluable.
    """
    if in_progress:
        return None
    if next_injection is not None and next_injection < injection + _days(CYCLE_DAYS):
        return None
    early = compute_window(
        days, injection + _days(WEEKS_5_8[0]), injection + _days(WEEKS_5_8[1]), definition
    )
    late = compute_window(
        days, injection + _days(WEEKS_9_12[0]), injection + _days(WEEKS_9_12[1]), definition
    )
    early_rate = early.rate("headache_days")
    late_rate = late.rate("headache_days")
    if early_rate is None or late_rate is None:
        return None
    return late_rate - early_rate >= WEARING_OFF_RISE


def compute_cycles(
    days: Mapping[dt.date, DiaryDay],
    injection_dates: Sequence[dt.date],
    baseline: Window,
    assessed_on: dt.date,
    definition: str = "label",
) -> tuple[Cycle, ...]:
    """Every cycle of a case, numbered from 1 (spec section 7).

    Windows are counted with the day `definition` (spec section 11.1); the
    baseline must have been counted with it too.

    A cycle is complete when `assessed_on` is on or after its outcome
    window's end; otherwise it is in progress and its metrics are None
    (its window object still shows the days recorded so far).
    """
    injections = sorted(injection_dates)
    base = baseline.rate("headache_days")
    cycles = []
    for index, injection in enumerate(injections):
        following = injections[index + 1] if index + 1 < len(injections) else None
        window = window_ending(days, outcome_window_end(injection, following), definition)
        in_progress = assessed_on < window.end
        rate = window.rate("headache_days")
        change = reduction = None
        responder_30 = responder_50 = None
        if not in_progress and base is not None and rate is not None:
            change = rate - base
            if base != 0:
                reduction = (base - rate) / base * 100
                responder_30 = reduction >= RESPONDER_30
                responder_50 = reduction >= RESPONDER_50
        cycles.append(
            Cycle(
                number=index + 1,
                injection_date=injection,
                interval_days=(injection - injections[index - 1]).days if index else None,
                in_progress=in_progress,
                window=window,
                headache_day_change=change,
                headache_day_reduction_pct=reduction,
                responder_30=responder_30,
                responder_50=responder_50,
                wearing_off=wearing_off(days, injection, following, in_progress, definition),
            )
        )
    return tuple(cycles)


@dataclass(frozen=True, slots=True)
class NextInjection:
    """When the next injection is due, and the earliest date allowed (spec section 9).

    `flags` (standard-2, spec section 11.4) are the eligibility flags as of
    `assessed_on`, to be signed off before the next session; None under
    standard-1, which has no such key.
    """

    due: dt.date | None
    earliest: dt.date | None
    flags: tuple[str, ...] | None = None

    def to_dict(self) -> dict[str, Any]:
        """The `next_injection` object of the assessment (spec sections 10 and 11.4)."""
        result: dict[str, Any] = {
            "due": None if self.due is None else self.due.isoformat(),
            "earliest": None if self.earliest is None else self.earliest.isoformat(),
        }
        if self.flags is not None:
            result["flags"] = list(self.flags)
        return result


def next_injection(
    injection_dates: Sequence[dt.date],
    *,
    due_days: int = CYCLE_DAYS,
    earliest_days: int = EARLIEST_INTERVAL_DAYS,
    flags: tuple[str, ...] | None = None,
) -> NextInjection:
    """Next injection after the last one (spec section 9).

    `due` = last + 84 days; `earliest` = last + `earliest_days` (the
    policy's: 84 under `us-payer`, 77 otherwise). Both None without
    injections.
    """
    if not injection_dates:
        return NextInjection(None, None, flags)
    last = max(injection_dates)
    return NextInjection(last + _days(due_days), last + _days(earliest_days), flags)
