"""Adverse-event rates per session for a clinic, against the trials' rates, with a chart.

Reference rates are the domain's (`LABEL_CM_RATES`, `PREEMPT_POOLED_RATES`,
`COMPEL_TREATMENT_RELATED_RATES`; clinical-reference §2.7, §14): only
confirmed numbers. The trials counted patients over the double-blind phase
(two sessions); the clinic's rate is per session, so the comparison is a
guide, not a test (said on the page).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass

from django.db.models import Count

from cephalog.domain.safety import (
    COMPEL_TREATMENT_RELATED_RATES,
    LABEL_CM_RATES,
    PREEMPT_POOLED_RATES,
    SYMPTOMS,
    Symptom,
)
from cephalog.safety.models import AdverseEvent
from cephalog.treatment.models import Session, SessionStatus


@dataclass(frozen=True)
class RateRow:
    key: str
    label: str
    events: int  # sessions with at least one such event
    percent: float | None  # None without sessions
    ci_low: float | None
    ci_high: float | None
    label_botox: float | None
    label_placebo: float | None
    compel: float | None
    note: str


@dataclass(frozen=True)
class Bar:
    series: str
    x: float
    y: float
    width: float
    height: float
    text_x: float
    text_y: float
    text: str


@dataclass(frozen=True)
class BarGroup:
    label: str
    short: str
    y: float
    bars: tuple[Bar, ...]


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    plot_left: int
    plot_width: int
    groups: tuple[BarGroup, ...]
    ticks: tuple[tuple[float, str], ...]  # (x, label)
    axis_y: float

    @property
    def tick_y(self) -> float:
        return self.axis_y + 14

    @property
    def label_x(self) -> int:
        return self.plot_left - 8


@dataclass(frozen=True)
class RateReport:
    sessions: int
    start: dt.date | None
    end: dt.date | None
    rows: tuple[RateRow, ...]
    any_event: RateRow
    chart: Chart


SERIES = (
    ("clinic", "This clinic, per session"),
    ("label_botox", "Label CM trials, BOTOX"),
    ("label_placebo", "Label CM trials, placebo"),
    ("compel", "COMPEL, treatment-related"),
)


def wilson(events: int, n: int, z: float = 1.96) -> tuple[float, float] | None:
    """95 % Wilson score interval for a proportion, in percent (None when n is 0)."""
    if n <= 0:
        return None
    p = events / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, (centre - half) * 100), min(100.0, (centre + half) * 100)


def _pct(events: int, n: int) -> float | None:
    return events * 100 / n if n else None


def _symptom_rows(per_symptom: dict[str, int], n: int) -> tuple[RateRow, ...]:
    """One row per symptom with a reference rate, then any other symptom the clinic recorded."""
    label = {r.symptom: r for r in LABEL_CM_RATES if r.symptom}
    compel = {r.symptom: r for r in COMPEL_TREATMENT_RELATED_RATES if r.symptom}
    with_reference = [s for s in SYMPTOMS if s in label or s in compel]
    others = [s for s in SYMPTOMS if s not in with_reference and per_symptom.get(s.value)]

    def row(symptom: Symptom) -> RateRow:
        count = per_symptom.get(symptom.value, 0)
        ci = wilson(count, n)
        lr = label.get(symptom)
        cr = compel.get(symptom)
        notes = [x.note for x in (lr,) if x and x.note]
        return RateRow(
            key=symptom.value,
            label=SYMPTOMS[symptom].clinician_label,
            events=count,
            percent=_pct(count, n),
            ci_low=ci[0] if ci else None,
            ci_high=ci[1] if ci else None,
            label_botox=lr.botox_percent if lr else None,
            label_placebo=lr.placebo_percent if lr else None,
            compel=cr.botox_percent if cr else None,
            note=" ".join(notes),
        )

    return tuple(row(s) for s in (*with_reference, *others))


def _any_row(any_sessions: int, n: int) -> RateRow:
    """Any adverse event, against the PREEMPT pooled rate."""
    pooled = next(r for r in PREEMPT_POOLED_RATES if r.key == "any_adverse_event")
    ci = wilson(any_sessions, n)
    any_row = RateRow(
        key="any",
        label="Any adverse event",
        events=any_sessions,
        percent=_pct(any_sessions, n),
        ci_low=ci[0] if ci else None,
        ci_high=ci[1] if ci else None,
        label_botox=pooled.botox_percent,
        label_placebo=pooled.placebo_percent,
        compel=None,
        note="Trial value: PREEMPT pooled, any adverse event per patient over 24 weeks "
        "(two sessions), not per session.",
    )
    return any_row


def clinic_rates(
    clinic_ids: Sequence[int], *, start: dt.date | None = None, end: dt.date | None = None
) -> RateReport:
    """Per completed session in [start, end]: the share of sessions followed by each symptom.

    A session counts once per symptom however many events of it were
    recorded. Symptoms shown: those with a reference rate, then any other
    symptom the clinic recorded.
    """
    sessions = Session.objects.filter(
        patient__clinic_id__in=list(clinic_ids), status=SessionStatus.COMPLETED
    )
    if start:
        sessions = sessions.filter(date__gte=start)
    if end:
        sessions = sessions.filter(date__lte=end)
    n = sessions.count()
    events = AdverseEvent.objects.filter(session__in=sessions)
    per_symptom = dict(
        events.values("symptom")
        .annotate(n=Count("session", distinct=True))
        .values_list("symptom", "n")
    )
    any_sessions = events.values("session").distinct().count()

    rows = _symptom_rows(per_symptom, n)
    any_row = _any_row(any_sessions, n)
    return RateReport(n, start, end, rows, any_row, bar_chart(rows))


def _nice_max(value: float) -> float:
    for step in (5, 10, 20, 25, 50, 100):
        if value <= step:
            return float(step)
    return 100.0


def bar_chart(rows: Sequence[RateRow], *, width: int = 640) -> Chart:
    """Horizontal grouped bars, one group per symptom, one bar per series with a value."""
    plot_left, right_pad, bar_h, gap, group_gap, top = 210, 60, 11, 2, 12, 8
    plot_width = width - plot_left - right_pad
    values = [
        v
        for r in rows
        for v in (r.percent, r.label_botox, r.label_placebo, r.compel)
        if v is not None
    ]
    scale_max = _nice_max(max(values, default=0.0))
    groups: list[BarGroup] = []
    y = float(top)
    for r in rows:
        bars: list[Bar] = []
        series_values = (
            ("clinic", r.percent),
            ("label_botox", r.label_botox),
            ("label_placebo", r.label_placebo),
            ("compel", r.compel),
        )
        present = [(s, v) for s, v in series_values if v is not None]
        if not present:
            continue
        group_y = y
        for series, value in present:
            w = plot_width * value / scale_max
            bars.append(
                Bar(
                    series,
                    plot_left,
                    y,
                    max(w, 1.0),
                    bar_h,
                    plot_left + w + 4,
                    y + bar_h - 2,
                    f"{value:.1f} %",
                )
            )
            y += bar_h + gap
        short = r.label if len(r.label) <= 32 else r.label[:31].rstrip() + "…"
        groups.append(BarGroup(r.label, short, group_y + (y - group_y - gap) / 2, tuple(bars)))
        y += group_gap
    step = scale_max / 5
    ticks = tuple(
        (plot_left + plot_width * (i * step) / scale_max, f"{i * step:g} %") for i in range(6)
    )
    height = int(y + 24)
    return Chart(width, height, plot_left, plot_width, tuple(groups), ticks, y + 2)
