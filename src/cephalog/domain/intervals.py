"""The interval between treatments: one home for its numbers (issue 14.5; spec section 9).

- due: the label's retreatment every 12 weeks = 84 days after the last
  injection (clinical reference 2.2);
- earliest: the policy's earliest day, 77 days (12 weeks less the 7-day
  tolerance of trial practice, COMPEL; clinical reference 6.5, 11.2) or 84
  under a payer's "not more often than every 12 weeks" (5.3);
- the clinic's minimum: sessions earlier than this are refused outright
  (a clinic setting, 70 days by default); between it and the earliest day a
  session needs a structured reason (the antibody risk, clinical reference 2.8).

Every page, plan, check and text takes these numbers from here, and the
patient-facing sentence is generated from them (`rule_sentence`), so no text
can promise "not sooner than 12 weeks" next to a date 11 weeks away.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

#: Retreatment every 12 weeks (BOTOX label; clinical reference 2.2; spec section 9).
DUE_INTERVAL_DAYS = 84
#: Trial tolerance before the due day (COMPEL ±7 days; clinical reference 6.5, 11.2).
TOLERANCE_DAYS = 7
#: The earliest next injection under every built-in policy but `us-payer` (spec section 9).
EARLIEST_INTERVAL_DAYS = DUE_INTERVAL_DAYS - TOLERANCE_DAYS
#: The earliest next injection under `us-payer`: not more often than every 12 weeks (5.3).
PAYER_EARLIEST_INTERVAL_DAYS = DUE_INTERVAL_DAYS
#: Allowed values of a policy's earliest interval: 77 (tolerance) to 84 (payer rule).
EARLIEST_INTERVAL_RANGE = range(EARLIEST_INTERVAL_DAYS, DUE_INTERVAL_DAYS + 1)
#: A new clinic refuses sessions sooner than this after the last one (a clinic setting).
DEFAULT_CLINIC_MINIMUM_DAYS = 70
#: The shortest interval a continuation decision may ever set (the database's bound; a
#: decision is also held to the clinic's minimum): 8 weeks.
MIN_INTERVAL_DAYS = 56
#: The longest interval a continuation decision may set: 26 weeks.
MAX_INTERVAL_DAYS = 182


def weeks_text(days: int) -> str:
    """`12 weeks`, `11 weeks`, `10 weeks and 3 days`, `1 week`."""
    weeks, rest = divmod(days, 7)
    parts = []
    if weeks:
        parts.append(f"{weeks} week{'s' if weeks != 1 else ''}")
    if rest or not weeks:
        parts.append(f"{rest} day{'s' if rest != 1 else ''}")
    return " and ".join(parts)


@dataclass(frozen=True, slots=True)
class IntervalRule:
    """The interval numbers that apply to one patient: the policy's and the clinic's.

    `due_days` is normally 84 (a continuation decision may change it);
    `earliest_days` the policy's (77 or 84, never after the due day);
    `minimum_days` the clinic's hard minimum (never after the earliest day).
    """

    due_days: int = DUE_INTERVAL_DAYS
    earliest_days: int = EARLIEST_INTERVAL_DAYS
    minimum_days: int = DEFAULT_CLINIC_MINIMUM_DAYS

    def __post_init__(self) -> None:
        if not self.minimum_days > 0:
            raise ValueError(f"minimum_days: must be more than 0, got {self.minimum_days}")

    @property
    def earliest(self) -> int:
        """The earliest day actually offered: the policy's, never after the due day."""
        return min(self.earliest_days, self.due_days)

    @property
    def minimum(self) -> int:
        """The clinic's minimum, never after the earliest day."""
        return min(self.minimum_days, self.earliest)

    def due_on(self, last: dt.date) -> dt.date:
        return last + dt.timedelta(days=self.due_days)

    def earliest_on(self, last: dt.date) -> dt.date:
        return last + dt.timedelta(days=self.earliest)

    def minimum_on(self, last: dt.date) -> dt.date:
        return last + dt.timedelta(days=self.minimum)

    def rule_sentence(self) -> str:
        """The rule in the patient's words, from the numbers (issue 14.5).

        "Treatment is given every 12 weeks; your clinic may book it up to a
        week earlier." With no tolerance: "every 12 weeks, not sooner".
        """
        every = f"every {weeks_text(self.due_days)}"
        early = self.due_days - self.earliest
        if early <= 0:
            return f"Treatment is given {every}, not sooner."
        if early == TOLERANCE_DAYS:
            earlier = "up to a week earlier"
        else:
            earlier = f"up to {weeks_text(early)} earlier"
        return f"Treatment is given {every}; your clinic may book it {earlier}."

    def letter_sentence(self) -> str:
        """The rule for a letter to a payer or a doctor, from the numbers.

        "Treatment is given every 12 weeks (84 days); the clinic may give it
        up to a week earlier, from day 77 after the last session."
        """
        every = f"every {weeks_text(self.due_days)} ({self.due_days} days)"
        early = self.due_days - self.earliest
        if early <= 0:
            return f"Treatment is given {every}, not sooner."
        return (
            f"Treatment is given {every}; the clinic may give it up to "
            f"{'a week' if early == TOLERANCE_DAYS else weeks_text(early)} earlier, from day "
            f"{self.earliest} after the last session."
        )

    def clinic_sentence(self) -> str:
        """The rule for staff: due, earliest and the clinic's hard minimum, in days."""
        text = (
            f"Due {self.due_days} days after the last session; earliest {self.earliest} days "
            f"(the policy's); sooner than {self.minimum} days is refused (the clinic's minimum)"
        )
        if self.minimum < self.earliest:
            text += (
                f"; from {self.minimum} to {self.earliest - 1} days a session needs a "
                "structured reason"
            )
        return text + "."


#: The standard rule: 84 days due, 77 earliest, 70 the clinic minimum.
STANDARD = IntervalRule()


def earliest_for(interval_days: int, earliest_interval_days: int = EARLIEST_INTERVAL_DAYS) -> int:
    """The earliest day of a session planned `interval_days` after the last one.

    The policy's tolerance before the due day (84 − earliest: 7 days, or 0
    under a payer rule) applies to any interval, but never earlier than the
    policy's own earliest day nor later than the due day: 84 → 77, 98 → 91,
    70 → 70 (a shortened interval is not shortened again).
    """
    tolerance = max(DUE_INTERVAL_DAYS - earliest_interval_days, 0)
    return min(interval_days, max(interval_days - tolerance, earliest_interval_days))
