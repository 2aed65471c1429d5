"""Clinic dashboards and the cohort table: a clinic's data loaded into Polars in a fixed
number of queries, computed with `cephalog.analytics` (no per-patient ORM loop).

Queries: patients, diary days (with their medication flags computed in SQL),
sessions, decisions, adverse events or authorisation dates: one each,
whatever the number of patients.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import polars as pl
from django.apps import apps
from django.db.models import Exists, FloatField, OuterRef
from django.db.models.functions import Cast

from cephalog.accounts.models import Clinic
from cephalog.analytics.cohort import (
    adverse_events_by_symptom,
    cohort_summary,
    cohort_table,
    diary_compliance,
)
from cephalog.diary.models import AcuteMedicationTaken, DiaryEntry
from cephalog.domain.intervals import DUE_INTERVAL_DAYS
from cephalog.domain.rulesets import DEFAULT_RULESET, Rules
from cephalog.domain.vocab import MIGRAINE_SPECIFIC_CLASSES
from cephalog.outcomes.actions import effect_of
from cephalog.outcomes.models import ContinuationDecision
from cephalog.patients.models import Patient
from cephalog.safety.models import AdverseEvent
from cephalog.treatment.models import Session, SessionStatus

#: A session is "due" from this many days before its due date.
DUE_SOON_DAYS = 14
#: Diary compliance below this share of the last 28 days is flagged.
LOW_COMPLIANCE_PCT = 80
#: A renewal is prepared this many days before the payer's authorisation ends.
RENEWAL_LEAD_DAYS = 30

_DIARY_SCHEMA = {
    "patient": pl.String,
    "date": pl.Date,
    "headache_hours": pl.Float64,
    "peak_intensity": pl.String,
    "unilateral": pl.Boolean,
    "pulsating": pl.Boolean,
    "aggravated_by_activity": pl.Boolean,
    "nausea": pl.Boolean,
    "vomiting": pl.Boolean,
    "photophobia": pl.Boolean,
    "phonophobia": pl.Boolean,
    "aura_minutes": pl.Int64,
    "acute_medication": pl.Boolean,
    "migraine_specific": pl.Boolean,
    "migraine_specific_relieved": pl.Boolean,
}


@dataclass
class ClinicFrames:
    patients: pl.DataFrame
    diary: pl.DataFrame
    sessions: pl.DataFrame
    planned: pl.DataFrame


def change_words(reduction: float | None) -> str:
    """'; 27.7% fewer headache days', or '; 18.8% more headache days' for a rise."""
    if reduction is None:
        return "; reduction not assessable"
    if reduction < 0:
        return f"; {-reduction:g}% more headache days than at baseline"
    return f"; {reduction:g}% fewer headache days"


def _frame(rows: Sequence[tuple[Any, ...]], schema: dict[str, Any]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=schema, orient="row")


def load_frames(clinic_ids: Sequence[int]) -> ClinicFrames:
    """Patients, diary days and sessions of the clinics: three queries."""
    patients = Patient.objects.filter(clinic_id__in=clinic_ids).values_list(
        "id", "clinic_id", "given_name", "family_name", "mrn"
    )
    meds = AcuteMedicationTaken.objects.filter(entry=OuterRef("pk"))
    specific = meds.filter(drug_class__in=sorted(MIGRAINE_SPECIFIC_CLASSES))
    diary = (
        DiaryEntry.objects.filter(patient__clinic_id__in=clinic_ids)
        .annotate(
            hours=Cast("headache_hours", FloatField()),
            acute=Exists(meds),
            specific=Exists(specific),
            relieved=Exists(specific.filter(effective=True)),
        )
        .values_list(
            "patient_id",
            "date",
            "hours",
            "peak_intensity",
            "unilateral",
            "pulsating",
            "aggravated_by_activity",
            "nausea",
            "vomiting",
            "photophobia",
            "phonophobia",
            "aura_minutes",
            "acute",
            "specific",
            "relieved",
        )
    )
    sessions = Session.objects.filter(
        patient__clinic_id__in=clinic_ids,
        status__in=[SessionStatus.COMPLETED, SessionStatus.PLANNED],
    ).values_list("patient_id", "date", "status")
    p_rows = [(str(p), c, g, f, m) for p, c, g, f, m in patients]
    d_rows = [(str(r[0]), *r[1:3], r[3] or None, *r[4:]) for r in diary]
    s_rows = [(str(p), d, s) for p, d, s in sessions]
    all_sessions = _frame(s_rows, {"patient": pl.String, "date": pl.Date, "status": pl.String})
    return ClinicFrames(
        patients=_frame(
            p_rows,
            {
                "patient": pl.String,
                "clinic_id": pl.Int64,
                "given_name": pl.String,
                "family_name": pl.String,
                "mrn": pl.String,
            },
        ),
        diary=_frame(d_rows, _DIARY_SCHEMA),
        sessions=all_sessions.filter(pl.col("status") == SessionStatus.COMPLETED).drop("status"),
        planned=all_sessions.filter(pl.col("status") == SessionStatus.PLANNED).drop("status"),
    )


# --- the dashboard ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    patient_id: str
    name: str
    mrn: str
    detail: str
    date: dt.date | None = None


@dataclass
class Dashboard:
    today: dt.date
    patients: int
    due: list[Row] = field(default_factory=list)
    overdue: list[Row] = field(default_factory=list)
    baseline_ready: list[Row] = field(default_factory=list)
    low_compliance: list[Row] = field(default_factory=list)
    wearing_off: list[Row] = field(default_factory=list)
    needs_review: list[Row] = field(default_factory=list)
    renewal_due: list[Row] = field(default_factory=list)


def _decision_frame(clinic_ids: Sequence[int], last_sessions: dict[str, dt.date]) -> pl.DataFrame:
    """Per patient with decisions: the interval and status they leave, and the latest date.

    One query; the decisions are folded by `actions.effect_of`, the same code
    the session page uses.
    """
    by_patient: dict[str, list[ContinuationDecision]] = defaultdict(list)
    for d in ContinuationDecision.objects.filter(patient__clinic_id__in=clinic_ids).order_by(
        "decided_on", "id"
    ):
        by_patient[str(d.patient_id)].append(d)
    rows = []
    for pid, decisions in by_patient.items():
        effect = effect_of(decisions, last_sessions.get(pid))
        rows.append((pid, effect.interval_days, effect.active, decisions[-1].decided_on))
    return _frame(
        rows,
        {
            "patient": pl.String,
            "interval_days": pl.Int64,
            "active": pl.Boolean,
            "last_decision": pl.Date,
        },
    )


def _authorisations(clinic_ids: Sequence[int]) -> pl.DataFrame:
    """Planned payer-authorisation ends (cephalog.scheduling), one query; empty without it."""
    schema = {"patient": pl.String, "authorisation_end": pl.Date}
    if not apps.is_installed("cephalog.scheduling"):
        return _frame([], schema)
    appointment = apps.get_model("scheduling", "Appointment")
    rows = appointment.objects.filter(
        patient__clinic_id__in=clinic_ids, kind="authorisation_expiry", status="planned"
    ).values_list("patient_id", "date")
    return _frame([(str(p), d) for p, d in rows], schema)


def rules_for(clinic_ids: Sequence[int]) -> Rules:
    """The ruleset and day definition of these clinics (spec section 11): theirs when they
    agree, else standard-2 with label days (a table names the rules it used)."""
    from cephalog.eligibility.queries import UnknownPolicy, policy_for

    found = set()
    # One query: the clinics with their ruleset rows (built-in policies need none).
    for clinic in Clinic.objects.filter(pk__in=clinic_ids).select_related("ruleset_setting"):
        setting = getattr(clinic, "ruleset_setting", None)
        try:
            definition = policy_for(clinic).day_definition
        except UnknownPolicy:
            definition = "label"
        found.add(Rules.of(setting.ruleset if setting else DEFAULT_RULESET, definition))
    return found.pop() if len(found) == 1 else Rules.of(DEFAULT_RULESET)


def dashboard(clinic_ids: Sequence[int], today: dt.date) -> Dashboard:
    """Who is due or overdue, whose baseline is ready, whose diary compliance is low, who is
    wearing off, who needs a review or a renewal letter (docs/outcomes-decisions.md)."""
    frames = load_frames(clinic_ids)
    table = cohort_table(
        frames.diary, frames.sessions, frames.patients, today, rules_for(clinic_ids)
    )
    compliance = diary_compliance(frames.diary, frames.patients, today)
    last = frames.sessions.group_by("patient").agg(
        pl.col("date").max().alias("last_session"), pl.len().alias("n_sessions")
    )
    last_map = dict(zip(last["patient"].to_list(), last["last_session"].to_list(), strict=True))
    decisions = _decision_frame(clinic_ids, last_map)
    booked = (
        frames.planned.filter(pl.col("date") >= today)
        .group_by("patient")
        .agg(pl.col("date").min().alias("booked"))
    )
    latest = (
        table.filter((pl.col("cycle") >= 1) & ~pl.col("in_progress"))
        .sort("patient", "cycle")
        .group_by("patient")
        .agg(pl.all().last())
        .select(
            "patient",
            pl.col("cycle").alias("latest_cycle"),
            pl.col("window_end").alias("latest_window_end"),
            pl.col("wearing_off").alias("latest_wearing_off"),
            pl.col("headache_day_reduction_pct_rounded").alias("latest_reduction"),
        )
    )
    baseline = table.filter(pl.col("cycle") == 0).select(
        "patient",
        pl.col("evaluable").alias("baseline_evaluable"),
        pl.col("recorded_days").alias("baseline_recorded"),
        pl.col("headache_days_per_28_rounded").alias("baseline_28"),
    )
    auth = _authorisations(clinic_ids)
    today_lit = pl.lit(today, dtype=pl.Date)
    p = (
        frames.patients.join(last, on="patient", how="left")
        .join(compliance, on="patient", how="left")
        .join(decisions, on="patient", how="left")
        .join(booked, on="patient", how="left")
        .join(latest, on="patient", how="left")
        .join(baseline, on="patient", how="left")
        .join(auth, on="patient", how="left")
        .with_columns(
            pl.col("interval_days").fill_null(DUE_INTERVAL_DAYS),
            pl.col("active").fill_null(True),
            pl.col("n_sessions").fill_null(0),
        )
        .with_columns(
            (pl.col("last_session") + pl.duration(days=pl.col("interval_days"))).alias("due")
        )
        .sort("family_name", "given_name")
    )
    board = Dashboard(today=today, patients=p.height)

    def rows(frame: pl.DataFrame, detail: Any, date_col: str | None = None) -> list[Row]:
        out = []
        for r in frame.iter_rows(named=True):
            out.append(
                Row(
                    patient_id=r["patient"],
                    name=f"{r['given_name']} {r['family_name']}",
                    mrn=r["mrn"],
                    detail=detail(r),
                    date=r[date_col] if date_col else None,
                )
            )
        return out

    scheduled = p.filter(
        pl.col("active") & pl.col("due").is_not_null() & pl.col("booked").is_null()
    )
    board.overdue = rows(
        scheduled.filter(pl.col("due") < today_lit).sort("due"),
        lambda r: (
            f"{(today - r['due']).days} days overdue; last session {r['last_session']:%d %b %Y}"
        ),
        "due",
    )
    board.due = rows(
        scheduled.filter(
            pl.col("due").is_between(today_lit, today_lit + pl.duration(days=DUE_SOON_DAYS))
        ).sort("due"),
        lambda r: (
            f"due in {(r['due'] - today).days} days; last session {r['last_session']:%d %b %Y}"
        ),
        "due",
    )
    board.baseline_ready = rows(
        p.filter(
            (pl.col("n_sessions") == 0)
            & pl.col("baseline_evaluable").fill_null(False)
            & (pl.col("first_entry") <= today_lit - pl.duration(days=27))
        ),
        lambda r: (
            f"{r['baseline_recorded']} of 28 days recorded; "
            f"{r['baseline_28']:g} headache days per 28"
        ),
    )
    board.low_compliance = rows(
        p.filter(
            pl.col("active")
            & (pl.col("compliance_pct") < LOW_COMPLIANCE_PCT)
            & (pl.col("expected_days") >= 7)
        ).sort("compliance_pct"),
        lambda r: (
            f"{r['recorded_last_28']} of {r['expected_days']} days recorded "
            f"({r['compliance_pct']:.0f}%)"
        ),
    )
    board.wearing_off = rows(
        p.filter(pl.col("active") & pl.col("latest_wearing_off").fill_null(False)),
        lambda r: (
            f"cycle {r['latest_cycle']}: headache days rose by 3 or more per 28 in weeks 9-12"
        ),
    )
    board.needs_review = rows(
        p.filter(
            (pl.col("latest_cycle") >= 2)
            & (
                pl.col("last_decision").is_null()
                | (pl.col("last_decision") < pl.col("latest_window_end"))
            )
        ).sort("latest_window_end"),
        lambda r: (
            f"cycle {r['latest_cycle']} complete on {r['latest_window_end']:%d %b %Y}"
            + change_words(r["latest_reduction"])
        ),
        "latest_window_end",
    )
    board.renewal_due = rows(
        p.filter(
            pl.col("active")
            & (pl.col("authorisation_end") - pl.duration(days=RENEWAL_LEAD_DAYS) <= today_lit)
        ).sort("authorisation_end"),
        lambda r: f"authorisation ends {r['authorisation_end']:%d %b %Y}",
        "authorisation_end",
    )
    return board


# --- the cohort table -------------------------------------------------------------------------


@dataclass
class Cohort:
    table: pl.DataFrame
    summary: pl.DataFrame
    by_symptom: pl.DataFrame
    patients: int
    rules: Rules = field(default_factory=lambda: Rules.of(DEFAULT_RULESET))


def cohort(clinic_ids: Sequence[int], today: dt.date) -> Cohort:
    """The clinic's cohort table by cycle, with adverse-event rates: four queries."""
    frames = load_frames(clinic_ids)
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
