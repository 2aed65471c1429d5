"""The cohort table by cycle, with adverse-event rates, and its CSV columns."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

import polars as pl

from cephalog.analytics.cohort import adverse_events_by_symptom, cohort_summary, cohort_table
from cephalog.domain.rulesets import DEFAULT_RULESET, Rules
from cephalog.outcomes.dashboard.frames import _frame, load_frames, rules_for
from cephalog.safety.models import AdverseEvent


@dataclass
class Cohort:
    table: pl.DataFrame
    summary: pl.DataFrame
    by_symptom: pl.DataFrame
    patients: int
    rules: Rules = field(default_factory=lambda: Rules.of(DEFAULT_RULESET))


def cohort(clinic_ids: Sequence[int], today: dt.date) -> Cohort:
    """The clinic's cohort table by cycle, with adverse-event rates: four queries."""
    frames = load_frames(clinic_ids, today)
    rules = rules_for(clinic_ids)
    table = cohort_table(frames.diary, frames.sessions, frames.patients, today, rules)
    events = _frame(
        [
            (str(p), onset, symptom)
            for p, onset, symptom in AdverseEvent.objects.filter(
                patient__clinic_id__in=clinic_ids
            ).values_list("patient_id", "onset", "symptom")
        ],
        {"patient": pl.String, "onset": pl.Date, "symptom": pl.String},
    )
    return Cohort(
        table=table,
        summary=cohort_summary(table, events),
        by_symptom=adverse_events_by_symptom(table, events),
        patients=frames.patients.height,
        rules=rules,
    )


#: CSV columns of the cohort summary, with their headers.
CSV_COLUMNS = (
    ("cycle", "cycle"),
    ("patients", "patients"),
    ("complete", "complete cycles"),
    ("assessable", "assessable"),
    ("baseline_mean", "baseline headache days per 28 (mean)"),
    ("cycle_mean", "cycle headache days per 28 (mean)"),
    ("change_mean", "change in headache days per 28 (mean)"),
    ("change_sd", "change SD"),
    ("reduction_pct_mean", "reduction % (mean)"),
    ("responder_30_pct", ">=30% responders %"),
    ("responder_50_pct", ">=50% responders %"),
    ("wearing_off_pct", "wearing-off %"),
    ("adverse_events", "adverse events"),
    ("sessions_with_adverse_event_pct", "sessions with an adverse event %"),
)
