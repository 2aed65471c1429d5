"""The treatment calendar's numbers and its event, decision and recommendation types (§11, §5)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

#: Scheduling window after the due date (COMPEL ±7 days, §6.5) used for `latest`.
SESSION_LATE_TOLERANCE_DAYS = 7
#: Baseline diary length before the first session (§4.3, §11.4; spec §3).
BASELINE_DAYS = 28
#: A cycle's outcome window ends at injection + 83 days at most (spec §7).
OUTCOME_WINDOW_LAST_DAY = 83
#: Questionnaires are filled in during the 7 days before a session.
QUESTIONNAIRE_LEAD_DAYS = 7
#: EHF: re-evaluate 4-5 months after stopping (§5.2), read as 120-150 days.
REASSESS_AFTER_DAYS = (120, 150)
#: Authorisation renewal is started this many days before it ends.
RENEWAL_LEAD_DAYS = 30

_D = dt.timedelta


class EventKind(StrEnum):
    """Kinds of events in the treatment plan (clinical-reference §11)."""

    CONSULTATION = "consultation"
    BASELINE_DIARY = "baseline_diary"
    QUESTIONNAIRE = "questionnaire"
    SESSION = "session"
    CHECKIN_DAY3 = "checkin_day3"
    CHECKIN_DAY14 = "checkin_day14"
    REVIEW = "review"
    REASSESSMENT = "reassessment"
    AUTHORISATION_EXPIRY = "authorisation_expiry"


_KIND_ORDER = list(EventKind)


class Recommendation(StrEnum):
    """A continuation decision, as in spec/assessment.md §8."""

    CONTINUE = "continue"
    STOP = "stop"
    REVIEW = "review"
    PAUSE = "pause"
    TOO_EARLY = "too_early"


@dataclass(frozen=True)
class PlanDecision:
    """A continuation decision taken on a date (spec §8; clinical-reference §5)."""

    decided_on: dt.date
    recommendation: Recommendation


@dataclass(frozen=True)
class PlannedEvent:
    """One event of the treatment plan.

    `date` is the target date; `earliest`/`latest` bound when it may happen
    (`latest` None: no upper bound). `cycle` is the treatment cycle the event
    belongs to: 0 before the first session; a questionnaire before session
    k measures cycle k − 1. `recorded` is True for sessions that took place.
    """

    kind: EventKind
    date: dt.date
    earliest: dt.date
    latest: dt.date | None
    title_patient: str
    title_clinic: str
    cycle: int
    recorded: bool = False
