"""The retreatment interval before a session, and structured early reasons (issue 14.5)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from cephalog.domain.dosing import RuleResult, RuleStatus
from cephalog.domain.intervals import STANDARD, IntervalRule, weeks_text
from cephalog.domain.point_of_care.findings import _date
from cephalog.domain.point_of_care.inputs import SRC_INTERVAL

# --- the interval ----------------------------------------------------------------------------


class EarlyReason(StrEnum):
    """Why a session is given before the earliest day (clinical-reference §2.8, §6.5)."""

    UNAVAILABLE = "unavailable"
    WEARING_OFF = "wearing_off"
    CLINIC_CAPACITY = "clinic_capacity"
    OTHER = "other"

    @property
    def label(self) -> str:
        return {
            EarlyReason.UNAVAILABLE: "The patient cannot come on or after the earliest day "
            "(travel, surgery, work)",
            EarlyReason.WEARING_OFF: "Marked wearing-off before the due date",
            EarlyReason.CLINIC_CAPACITY: "The clinic cannot treat on or after the earliest day",
            EarlyReason.OTHER: "Another reason (explain below)",
        }[self]


ANTIBODY_ACKNOWLEDGEMENT = (
    "Short intervals between injections may favour neutralising antibodies that stop the "
    "treatment working; this was considered and discussed with the patient."
)


@dataclass(frozen=True)
class EarlyInjection:
    """A structured reason for injecting before the earliest day."""

    reason: EarlyReason | None
    antibody_risk_acknowledged: bool
    note: str

    def problems(self) -> list[str]:
        out = []
        if self.reason is None:
            out.append("Choose why the session is before the earliest day.")
        if not self.antibody_risk_acknowledged:
            out.append("Confirm the antibody risk was considered.")
        if not self.note.strip():
            out.append("Say in a few words why it cannot wait.")
        return out

    def text(self) -> str:
        reason = self.reason.label if self.reason else "no reason chosen"
        return f"{reason}; {self.note.strip()}; antibody risk considered"


def earliest_day(last_session: dt.date | None, rule: IntervalRule = STANDARD) -> dt.date | None:
    return None if last_session is None else rule.earliest_on(last_session)


def due_day(last_session: dt.date | None, rule: IntervalRule = STANDARD) -> dt.date | None:
    return None if last_session is None else rule.due_on(last_session)


def check_interval(
    last_session: dt.date | None,
    on: dt.date,
    clinic_minimum_days: int,
    early: EarlyInjection | None = None,
    *,
    interval: IntervalRule | None = None,
) -> RuleResult:
    """Is `on` an acceptable retreatment date? (clinical-reference §2.2, §2.8, §6.5, §11.2)

    The numbers are `interval`'s (domain.intervals: the due day after the
    continuation decisions, the policy's earliest day, the clinic's minimum,
    never after the earliest day); without one, the standard 84/77 with
    `clinic_minimum_days`.

    - no previous session: ok;
    - not after the last session, or under the clinic minimum: refused;
    - on or after the due day: ok;
    - from the earliest day: a warning;
    - before the earliest day: needs a structured reason (a choice, the
      antibody-risk acknowledgement and text); with a complete one: overridden.
    Messages are plain words for the session page.
    """
    rule = "retreatment_interval"
    if clinic_minimum_days < 0:
        raise ValueError(f"clinic_minimum_days: must not be negative, got {clinic_minimum_days}")
    if interval is None:
        interval = IntervalRule(minimum_days=max(clinic_minimum_days, 1))
    clinic_minimum_days = interval.minimum
    if last_session is None:
        return RuleResult(rule, RuleStatus.OK, "First session: no interval applies.", SRC_INTERVAL)
    days = (on - last_session).days
    due = interval.due_on(last_session)
    since = f"{days} days since the last session on {_date(last_session)}"
    if days <= 0:
        return RuleResult(
            rule,
            RuleStatus.REFUSED,
            f"Today is not after the last session on {_date(last_session)}.",
            SRC_INTERVAL,
        )
    if days < clinic_minimum_days:
        return RuleResult(
            rule,
            RuleStatus.REFUSED,
            f"Too early: {since}. This clinic never treats sooner than {clinic_minimum_days} "
            f"days; the due date is {_date(due)}.",
            SRC_INTERVAL,
        )
    return _before_due(rule, on, last_session, interval, early, since)


def _before_due(
    rule: str,
    on: dt.date,
    last_session: dt.date,
    interval: IntervalRule,
    early: EarlyInjection | None,
    since: str,
) -> RuleResult:
    """After the clinic minimum: due, from the earliest day, or early with or without a reason."""
    due = interval.due_on(last_session)
    earliest = interval.earliest_on(last_session)
    if on >= due:
        return RuleResult(
            rule, RuleStatus.OK, f"{since}: due ({weeks_text(interval.due_days)}).", SRC_INTERVAL
        )
    if on >= earliest:
        return RuleResult(
            rule,
            RuleStatus.WARNING,
            f"{since}: before the due date {_date(due)} but on or after the earliest day "
            f"{_date(earliest)}; some payers allow no less than 84 days.",
            SRC_INTERVAL,
        )
    if early is not None and not early.problems():
        return RuleResult(
            rule,
            RuleStatus.OVERRIDDEN,
            f"{since}: before the earliest day {_date(earliest)}, given for this reason: "
            f"{early.text()}.",
            SRC_INTERVAL,
        )
    return RuleResult(
        rule,
        RuleStatus.NEEDS_OVERRIDE,
        f"Too early: {since}; the earliest day is {_date(earliest)} (due date "
        f"{_date(due)}). To go ahead, choose a reason, confirm the antibody risk was "
        "considered and explain.",
        SRC_INTERVAL,
    )
