"""Continuation decisions and what they change for the next session (issue 14.7).

A physician's decision at a review (spec section 8 gives the
recommendation; the decision is theirs) changes the next session:

- `change_dose_195`: 195 U with follow-the-pain from now on (clinical
  reference 1.2);
- `change_interval`: another interval between sessions, from the clinic's
  minimum to 26 weeks (`intervals.MAX_INTERVAL_DAYS`);
- `pause`, `stop`: no session is planned while no session was given after
  the decision (EHF 2018 pause: reassess 4-5 months later, clinical
  reference 5.2);
- `continue`: as before.

A dose or interval change holds until another change (a later `continue`
keeps it). `pause` and `stop` hold only while no session was given after
them: a session after the decision date means treatment resumed. The
session pages, the dashboard and the treatment plan all fold decisions with
`effect_of`, so they never disagree about the next session.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from cephalog.domain.intervals import DUE_INTERVAL_DAYS, MAX_INTERVAL_DAYS

#: Dose of a standard PREEMPT session and of one with follow-the-pain (clinical reference 1.1-1.2).
STANDARD_DOSE_UNITS = 155
HIGH_DOSE_UNITS = 195


class DecisionKind(StrEnum):
    """What a physician decided at a review."""

    CONTINUE = "continue"
    CHANGE_DOSE_195 = "change_dose_195"
    CHANGE_INTERVAL = "change_interval"
    PAUSE = "pause"
    STOP = "stop"


DECISION_KIND_CODES: tuple[str, ...] = tuple(DecisionKind)


@dataclass(frozen=True, slots=True)
class Decision:
    """One recorded decision: when, what, the new interval for `change_interval`.

    `order` breaks ties between decisions of the same day (the record's id).
    """

    decided_on: dt.date
    kind: str
    new_interval_days: int | None = None
    order: int = 0


def check_decision(kind: str, new_interval_days: int | None, minimum_days: int) -> dict[str, str]:
    """Problems of a decision, by field; {} when it can be recorded.

    A change of interval needs the new interval, from the clinic's minimum to
    26 weeks; no other decision takes one.
    """
    if kind not in DECISION_KIND_CODES:
        return {"decision": f"must be one of {', '.join(DECISION_KIND_CODES)}, got {kind!r}"}
    if kind == DecisionKind.CHANGE_INTERVAL:
        if new_interval_days is None:
            return {"new_interval_days": "Give the new interval in days."}
        if not minimum_days <= new_interval_days <= MAX_INTERVAL_DAYS:
            return {
                "new_interval_days": f"must be between {minimum_days} and {MAX_INTERVAL_DAYS} "
                f"days (the clinic's minimum interval to 26 weeks), got {new_interval_days}"
            }
    elif new_interval_days is not None:
        return {"new_interval_days": "only a change of interval takes a new interval"}
    return {}


@dataclass(frozen=True, slots=True)
class DecisionEffect:
    """What the next session should use, after the decisions recorded so far.

    `dose_units` 155 or 195; `interval_days` from the last session to the
    next; `paused` / `stopped` when the latest decision since the last
    session says so (then no session should be planned); `latest` the
    latest decision, if any.
    """

    dose_units: int
    interval_days: int
    paused: bool
    stopped: bool
    latest: Decision | None

    @property
    def active(self) -> bool:
        return not (self.paused or self.stopped)

    def next_due(self, last_session: dt.date | None) -> dt.date | None:
        """The next session's due date, or None without a session or when not active."""
        if last_session is None or not self.active:
            return None
        return last_session + dt.timedelta(days=self.interval_days)


def effect_of(decisions: Sequence[Decision], last_session: dt.date | None) -> DecisionEffect:
    """Fold the decisions, oldest first, into what the next session should use (module doc)."""
    dose, interval = STANDARD_DOSE_UNITS, DUE_INTERVAL_DAYS
    paused = stopped = False
    ordered = sorted(decisions, key=lambda d: (d.decided_on, d.order))
    for d in ordered:
        paused = stopped = False
        if d.kind == DecisionKind.CHANGE_DOSE_195:
            dose = HIGH_DOSE_UNITS
        elif d.kind == DecisionKind.CHANGE_INTERVAL and d.new_interval_days:
            interval = d.new_interval_days
        elif d.kind == DecisionKind.PAUSE:
            paused = True
        elif d.kind == DecisionKind.STOP:
            stopped = True
    latest = ordered[-1] if ordered else None
    if latest is not None and last_session is not None and last_session > latest.decided_on:
        paused = stopped = False
    return DecisionEffect(dose, interval, paused, stopped, latest)
