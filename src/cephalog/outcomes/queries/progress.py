"""The patient's progress page: 4-week periods, the baseline and the change."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from cephalog.accounts.rules_queries import clinic_rules, earliest_interval_days
from cephalog.domain import schedule
from cephalog.domain.diary import DiaryDay
from cephalog.domain.rulesets import Rules
from cephalog.domain.windows import window_ending
from cephalog.eligibility.case import build_case
from cephalog.outcomes.queries.questionnaires import interval_rule
from cephalog.outcomes.queries.weekly import weekly_headache_days
from cephalog.patients.models import Patient


@dataclass(frozen=True)
class Period:
    """A 4-week period of the patient's diary (28 days, as the clinic's windows)."""

    start: dt.date
    end: dt.date
    recorded_days: int
    headache_days: int
    per_28: float | None
    sessions: tuple[dt.date, ...]
    is_baseline: bool = False

    @property
    def rounded(self) -> int | None:
        return None if self.per_28 is None else int(self.per_28 + 0.5)


@dataclass
class Progress:
    periods: list[Period]
    baseline: Period | None
    latest: Period | None
    change_pct: float | None
    expect: list[str]
    wearing_off: schedule.WearingOffEstimate
    wearing_off_date: dt.date | None
    sessions: list[dt.date]


def _periods(
    days: Mapping[dt.date, DiaryDay],
    sessions: Sequence[dt.date],
    today: dt.date,
    rules: Rules,
    max_periods: int,
) -> list[Period]:
    """Up to `max_periods` 4-week periods ending today, oldest first."""
    round1 = rules.one_decimal
    first_day = min(days, default=today)
    periods: list[Period] = []
    end = today
    while len(periods) < max_periods and end >= first_day:
        window = window_ending(days, end, rules.definition)
        rate = window.rate("headache_days")
        periods.append(
            Period(
                window.start,
                window.end,
                window.recorded_days,
                window.headache_days,
                None if rate is None else round1(rate),
                tuple(s for s in sessions if window.start <= s <= window.end),
            )
        )
        end = window.start - dt.timedelta(days=1)
    periods.reverse()
    return periods


def progress(patient: Patient, today: dt.date, max_periods: int = 12) -> Progress:
    """4-week periods ending today (the latest first computed), the baseline, % change.

    The baseline is the domain's baseline window; % change compares the
    latest 4 weeks with it, exactly as a cycle's reduction (spec section 7). Days are
    counted and printed as the clinic's ruleset does (spec section 11).
    """
    rules = clinic_rules(patient.clinic)
    round1 = rules.one_decimal
    definition = rules.definition
    case = build_case(patient, today)
    days = case.days
    sessions = sorted(case.injection_dates)
    periods = _periods(days, sessions, today, rules, max_periods)
    baseline_period = None
    change = None
    latest = periods[-1] if periods else None
    if sessions:
        b = window_ending(days, sessions[0] - dt.timedelta(days=1), definition)
        b_rate = b.rate("headache_days")
        baseline_period = Period(
            b.start,
            b.end,
            b.recorded_days,
            b.headache_days,
            None if b_rate is None else round1(b_rate),
            (),
            is_baseline=True,
        )
        current = window_ending(days, today, definition)
        c_rate = current.rate("headache_days")
        if b_rate and c_rate is not None and today > sessions[0]:
            change = round1((b_rate - c_rate) / b_rate * 100)
    weekly = weekly_headache_days(days, sessions, today, definition)
    estimate = schedule.wearing_off_estimate(weekly)
    wo_date = None
    if estimate.week is not None and sessions:
        wo_date = sessions[-1] + dt.timedelta(days=7 * (estimate.week - 1))
    return Progress(
        periods=periods,
        baseline=baseline_period,
        latest=latest,
        change_pct=change,
        expect=schedule.what_to_expect(
            today, sessions, interval_rule(patient, earliest_interval_days(patient.clinic))
        ),
        wearing_off=estimate,
        wearing_off_date=wo_date,
        sessions=sessions,
    )
