"""The clinic dashboard: who is due or overdue, whose baseline is ready, whose diary
compliance is low, who is wearing off, who needs a review or a renewal letter."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import polars as pl
from django.apps import apps

from cephalog.analytics.cohort import cohort_table, diary_compliance
from cephalog.domain.intervals import DUE_INTERVAL_DAYS
from cephalog.domain.windows import WINDOW_DAYS
from cephalog.outcomes.actions import effect_of
from cephalog.outcomes.dashboard.frames import (
    DUE_SOON_DAYS,
    LOW_COMPLIANCE_MIN_DAYS,
    LOW_COMPLIANCE_PCT,
    NOT_STARTED_MIN_DAYS,
    RENEWAL_LEAD_DAYS,
    _frame,
    change_words,
    load_frames,
    rules_for,
)
from cephalog.outcomes.models import ContinuationDecision
from cephalog.patients.queries import DaysFilled, DiaryBegan


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


def _latest_and_baseline(table: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Per patient: the latest complete cycle, and the baseline."""
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
    return latest, baseline


def _patient_frame(clinic_ids: Sequence[int], today: dt.date) -> pl.DataFrame:
    """One row per patient with everything the dashboard's lists filter on."""
    frames = load_frames(clinic_ids, today)
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
    latest, baseline = _latest_and_baseline(table)
    auth = _authorisations(clinic_ids)
    return (
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


def _rows(frame: pl.DataFrame, detail: Any, date_col: str | None = None) -> list[Row]:
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


def _schedule_lists(board: Dashboard, p: pl.DataFrame, today: dt.date) -> None:
    """Overdue, due soon, baseline ready."""
    today_lit = pl.lit(today, dtype=pl.Date)
    scheduled = p.filter(
        pl.col("active") & pl.col("due").is_not_null() & pl.col("booked").is_null()
    )
    board.overdue = _rows(
        scheduled.filter(pl.col("due") < today_lit).sort("due"),
        lambda r: (
            f"{(today - r['due']).days} days overdue; last session {r['last_session'].day} {r['last_session']:%b %Y}"
        ),
        "due",
    )
    board.due = _rows(
        scheduled.filter(
            pl.col("due").is_between(today_lit, today_lit + pl.duration(days=DUE_SOON_DAYS))
        ).sort("due"),
        lambda r: (
            f"due in {(r['due'] - today).days} days; last session {r['last_session'].day} {r['last_session']:%b %Y}"
        ),
        "due",
    )
    board.baseline_ready = _rows(
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


def compliance_words(r: dict[str, Any]) -> str:
    """'5 of 20 days filled in since the patient joined on 17 Nov (25%)': the figure and
    its start in the words of the patient list and the clinic's diary page (`DaysFilled`,
    `DiaryBegan.clinic_words`), the start said only when it cuts the 28 days short."""
    filled = DaysFilled(recorded=r["recorded_last_28"], days=r["expected_days"])
    text = f"{filled.recorded} of {filled.days} {'day' if filled.days == 1 else 'days'} filled in"
    if filled.days < WINDOW_DAYS:
        began = DiaryBegan(date=r["diary_began"], joined=r["diary_joined"])
        text += f" since {began.clinic_words} on {began.date.day} {began.date:%b}"
    return f"{text} ({filled.compliance}%)"


def low_compliance(p: pl.DataFrame) -> list[Row]:
    """Active patients who filled in fewer than 80 % of their days in the window, lowest first.

    The window is the 28 days ending the clinic's today, cut to the days since her diary
    began when it began inside them (`analytics.cohort.diary_compliance` with the patient
    list's `diary_start`: the day she joined, or her first day recorded when earlier), so a
    figure here is the patient list's "last 28 days" figure. A patient is listed once her
    diary has been going 7 days in the window (fewer days are too few to judge), or, when
    she has filled in nothing at all (0 of N: she has not started), once her first day is
    over (not on the day she joins, before her first evening).
    """
    low = pl.col("recorded_last_28") * 100 < LOW_COMPLIANCE_PCT * pl.col("expected_days")
    judged = (pl.col("expected_days") >= LOW_COMPLIANCE_MIN_DAYS) | (
        pl.col("first_entry").is_null() & (pl.col("expected_days") >= NOT_STARTED_MIN_DAYS)
    )
    listed = p.filter(pl.col("active") & low & judged).sort("compliance_pct", maintain_order=True)
    return _rows(listed, compliance_words)


def _follow_up_lists(board: Dashboard, p: pl.DataFrame, today: dt.date) -> None:
    """Low compliance, wearing off, needs a review, renewal due."""
    today_lit = pl.lit(today, dtype=pl.Date)
    board.low_compliance = low_compliance(p)
    board.wearing_off = _rows(
        p.filter(pl.col("active") & pl.col("latest_wearing_off").fill_null(False)),
        lambda r: (
            f"cycle {r['latest_cycle']}: headache days rose by 3 or more per 28 in weeks 9-12"
        ),
    )
    board.needs_review = _rows(
        p.filter(
            (pl.col("latest_cycle") >= 2)
            & (
                pl.col("last_decision").is_null()
                | (pl.col("last_decision") < pl.col("latest_window_end"))
            )
        ).sort("latest_window_end"),
        lambda r: (
            f"cycle {r['latest_cycle']} complete on {r['latest_window_end'].day} {r['latest_window_end']:%b %Y}"
            + change_words(r["latest_reduction"])
        ),
        "latest_window_end",
    )
    board.renewal_due = _rows(
        p.filter(
            pl.col("active")
            & (pl.col("authorisation_end") - pl.duration(days=RENEWAL_LEAD_DAYS) <= today_lit)
        ).sort("authorisation_end"),
        lambda r: f"authorisation ends {r['authorisation_end'].day} {r['authorisation_end']:%b %Y}",
        "authorisation_end",
    )


def dashboard(clinic_ids: Sequence[int], today: dt.date) -> Dashboard:
    """Who is due or overdue, whose baseline is ready, whose diary compliance is low, who is
    wearing off, who needs a review or a renewal letter (docs/outcomes-decisions.md)."""
    p = _patient_frame(clinic_ids, today)
    board = Dashboard(today=today, patients=p.height)
    _schedule_lists(board, p, today)
    _follow_up_lists(board, p, today)
    return board
