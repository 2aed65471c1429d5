"""Labels, weekly headache days and the wearing-off wording."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

from cephalog.domain import schedule
from cephalog.domain.diary import DiaryDay, classify_day
from cephalog.domain.instruments import Hit6Band, MidasGrade
from cephalog.outcomes.models import (
    Instrument,
)

#: A week counts towards the wearing-off curve when at least 5 of its 7 days are
#: recorded (the same share as 20 of 28 for a window, spec section 3).
MIN_RECORDED_PER_WEEK = 5
WEEKS_PER_CYCLE = 12

RECOMMENDATION_LABELS = {
    "continue": "Continue",
    "stop": "Stop",
    "review": "Review",
    "pause": "Pause",
    "too_early": "Too early to judge",
    "not_started": "Not started",
}
REASON_LABELS = {
    "inadequate_response": "fewer than the required reduction in headache days",
    "converted_to_episodic": "headache days low for 3 months in a row (episodic)",
    "one_more_cycle_allowed": "one more cycle allowed before stopping",
    "low_frequency_3_months": "fewer than 10 headache days per 28 for 3 months",
    "renewal_threshold_not_met": "renewal threshold (50% reduction) not met",
    "no_stopping_rule_in_label": "the label has no stopping rule",
}


def band_label(instrument: str, band: str) -> str:
    """`Severe impact` for a HIT-6 band, `Grade IV: severe disability` for a MIDAS grade."""
    if instrument == Instrument.HIT6:
        try:
            return Hit6Band(band).label
        except ValueError:
            return band
    try:
        grade = MidasGrade(band)
    except ValueError:
        return band
    return f"Grade {grade.value}: {grade.label.lower()}"


# --- weekly headache days and wearing-off ---------------------------------------------------


def weekly_headache_days(
    days: Mapping[dt.date, DiaryDay],
    injection_dates: Sequence[dt.date],
    today: dt.date,
    definition: str = "label",
) -> list[list[float | None]]:
    """Per cycle, headache days in each week 1-12 after the injection (week 1 = days 0-6).

    A week is scaled to 7 days from its recorded days (`headache days x 7 /
    recorded`) when at least 5 are recorded, else None. A cycle's list stops
    at the last full week before the next injection or `today`, so a cycle
    reinjected early or still running has fewer than 12 weeks and the
    estimate leaves it out (docs/domain-decisions.md, wearing-off).
    """
    injections = sorted(injection_dates)
    curves: list[list[float | None]] = []
    for index, injection in enumerate(injections):
        following = injections[index + 1] if index + 1 < len(injections) else None
        weeks: list[float | None] = []
        for week in range(WEEKS_PER_CYCLE):
            start = injection + dt.timedelta(days=7 * week)
            end = start + dt.timedelta(days=6)
            if end > today or (following is not None and end >= following):
                break
            recorded = headache = 0
            for offset in range(7):
                day = days.get(start + dt.timedelta(days=offset))
                if day is None:
                    continue
                recorded += 1
                headache += classify_day(day, definition).headache_day
            weeks.append(headache * 7 / recorded if recorded >= MIN_RECORDED_PER_WEEK else None)
        curves.append(weeks)
    return curves


def clinician_wearing_off(estimate: schedule.WearingOffEstimate) -> str:
    """The wearing-off estimate in the clinic's words (the patient's are `estimate.sentence`)."""
    if estimate.week is not None:
        return (
            f"Usually wears off from week {estimate.week} after the injection "
            f"(medians over {estimate.cycles_used} complete cycles)."
        )
    if estimate.sentence == schedule.NO_WEARING_OFF:
        return (
            "No wearing-off pattern before the next injection "
            f"({estimate.cycles_used} complete cycles)."
        )
    return "Not enough diary data to estimate wearing-off: 2 complete 12-week cycles are needed."
