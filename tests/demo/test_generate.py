"""The demo cohort generator: deterministic for a seed, and shaped like the trials.

Pure: no database. Clinical figures are measured with the real domain rules
(`cephalog.domain`: day rules, windows, cycles), and the generator's own
vectorised summary is checked against them.
"""

from __future__ import annotations

import datetime as dt
import os
import time

import numpy as np
import pytest

from cephalog.demo import generate
from cephalog.demo.generate import (
    ACUTE_CLASSES,
    AE_SYMPTOMS,
    CONDITION_CODES,
    INTENSITIES,
    OTHER_MEDICATIONS,
    PREVENTIVE_DRUGS,
    PREVENTIVE_OUTCOMES,
    Cohort,
    classify,
    generate_cohort,
    summarise,
)
from cephalog.domain import vocab
from cephalog.domain.cycles import Cycle, compute_cycles
from cephalog.domain.diary import DiaryDay, classify_day
from cephalog.domain.windows import Window, baseline_window

TODAY = dt.date(2026, 6, 30)
N = 500
#: 10,000 patients x 2 years must generate in well under a minute; the budget is 30 s.
BUDGET_10K_SECONDS = 30.0


@pytest.fixture(scope="module")
def cohort() -> Cohort:
    return generate_cohort(N, seed=2026, today=TODAY)


class Measured:
    """The cohort measured patient by patient with the domain's rules."""

    def __init__(self, cohort: Cohort) -> None:
        self.diaries: list[dict[dt.date, DiaryDay]] = []
        self.baselines: list[Window] = []
        self.cycles: list[tuple[Cycle, ...]] = []
        s = cohort.sessions
        for p in range(cohort.n_patients):
            days = cohort.diary_days(p)
            injections = s.date[cohort.session_rows(p)].astype(object).tolist()
            baseline = baseline_window(days, injections, cohort.today)
            self.diaries.append(days)
            self.baselines.append(baseline)
            self.cycles.append(compute_cycles(days, injections, baseline, cohort.today))

    def evaluable_baselines(self) -> list[Window]:
        return [b for b in self.baselines if b.evaluable]

    def cycle(self, number: int) -> list[Cycle]:
        return [c[number - 1] for c in self.cycles if len(c) >= number]


@pytest.fixture(scope="module")
def measured(cohort: Cohort) -> Measured:
    return Measured(cohort)


def _rate(window: Window, metric: str) -> float:
    value = window.rate(metric)
    assert value is not None
    return float(value)


# --- determinism, chunks, progress -------------------------------------------------------


def test_it_is_deterministic_for_a_seed() -> None:
    a = generate_cohort(60, seed=5, today=TODAY).to_polars()
    b = generate_cohort(60, seed=5, today=TODAY).to_polars()
    c = generate_cohort(60, seed=6, today=TODAY).to_polars()
    assert a.keys() == b.keys()
    for name in a:
        assert a[name].equals(b[name]), name
    assert not a["diary"].equals(c["diary"])


def test_it_works_in_chunks_and_reports_progress(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(generate, "CHUNK_PATIENTS", 20)
    calls: list[tuple[int, int]] = []
    cohort = generate_cohort(50, seed=1, today=TODAY, progress=lambda d, t: calls.append((d, t)))
    assert calls == [(20, 50), (40, 50), (50, 50)]
    # indices are global across chunks; adverse events point at their patient's sessions
    assert np.array_equal(np.unique(cohort.diary.patient), np.arange(50))
    assert (np.diff(cohort.sessions.patient) >= 0).all()
    ae = cohort.adverse_events
    assert np.array_equal(cohort.sessions.patient[ae.session], ae.patient)
    assert list(cohort.patients.mrn[[0, 49]]) == ["DEMO-00001", "DEMO-00050"]


def test_it_generates_an_empty_cohort() -> None:
    cohort = generate_cohort(0, seed=1, today=TODAY)
    assert len(cohort.diary.patient) == 0
    assert all(len(frame) == 0 for frame in cohort.to_polars().values())


def test_500_patients_generate_fast_enough_for_10000_in_budget() -> None:
    started = time.perf_counter()
    generate_cohort(N, seed=3, today=TODAY, years=2.0)
    elapsed = time.perf_counter() - started
    # linear in patients (fixed-size chunks): 20x the time of 500 must fit the budget
    assert elapsed * (10_000 / N) < BUDGET_10K_SECONDS, f"{elapsed:.2f} s for {N} patients"


# TODO(lead): mark with @pytest.mark.slow once the `slow` marker is registered in pyproject
# (--strict-markers refuses unknown markers).
@pytest.mark.skipif(os.environ.get("CEPHALOG_SLOW") != "1", reason="set CEPHALOG_SLOW=1")
def test_10000_patients_over_2_years_generate_within_budget() -> None:
    started = time.perf_counter()
    cohort = generate_cohort(10_000, seed=1, today=TODAY, years=2.0)
    elapsed = time.perf_counter() - started
    assert cohort.n_patients == 10_000
    assert elapsed < BUDGET_10K_SECONDS, f"{elapsed:.1f} s"


# --- the diary ---------------------------------------------------------------------------


def test_the_vectorised_day_rules_agree_with_the_domain(cohort: Cohort) -> None:
    classes = classify(cohort.diary)
    rows = 0
    for p in range(60):
        days = cohort.diary_days(p)
        for offset, day in enumerate(days.values()):
            i = cohort.patient_rows(p).start + offset
            c = classify_day(day)
            assert (
                c.headache,
                c.migraine_day,
                c.headache_day,
                c.moderate_severe_day,
                c.headache_free,
                c.acute_medication_day,
            ) == (
                classes.headache[i],
                classes.migraine_day[i],
                classes.headache_day[i],
                classes.moderate_severe_day[i],
                classes.headache_free[i],
                classes.acute_medication_day[i],
            ), day
            rows += 1
    assert rows > 10_000


def test_diary_rows_are_one_per_recorded_day_within_the_diary(cohort: Cohort) -> None:
    d, p = cohort.diary, cohort.patients
    key = d.patient.astype(np.int64) * 1_000_000 + d.date.astype(np.int64)
    assert (np.diff(key) > 0).all()  # sorted by patient then date, no date twice
    assert (d.date >= p.diary_start[d.patient]).all()
    assert (d.date <= p.diary_end[d.patient]).all()
    assert (d.date <= np.datetime64(TODAY)).all()
    headache = d.headache_hours > 0
    assert ((d.headache_hours >= 0) & (d.headache_hours <= 24)).all()
    assert np.array_equal(headache, d.intensity >= 0)  # intensity exactly when a headache
    free = ~headache
    assert not (d.unilateral | d.nausea | d.photophobia | (d.aura_minutes > 0))[free].any()
    continuous = (d.headache_hours == 24).sum() / headache.sum()
    assert 0.005 < continuous < 0.1  # a few long (continuous) headache days
    assert set(np.unique(d.intensity)) == {-1, 0, 1, 2}
    assert len(INTENSITIES) == 3


def test_baseline_has_about_20_headache_days_per_28(measured: Measured) -> None:
    baselines = measured.evaluable_baselines()
    assert len(baselines) >= 0.85 * N
    headache = np.array([_rate(b, "headache_days") for b in baselines])
    assert 18 <= headache.mean() <= 22
    assert 2.5 <= headache.std() <= 5.5
    assert np.mean(headache >= 15) > 0.8  # most meet the chronic-migraine frequency


def test_most_headache_days_are_migraine_days(measured: Measured) -> None:
    baselines = measured.evaluable_baselines()
    headache = sum(b.headache_days for b in baselines)
    migraine = sum(b.migraine_days for b in baselines)
    assert 0.75 <= migraine / headache <= 0.97
    assert np.mean([b.migraine_days * 28 / b.recorded_days >= 8 for b in baselines]) > 0.9


def _overuses(window: Window) -> bool:
    by_class = any(
        (rate := window.class_rate(code)) is not None and rate >= threshold
        for code, threshold in vocab.OVERUSE_THRESHOLDS.items()
    )
    total = window.overuse_rate()
    return by_class or (total is not None and total >= vocab.MULTIPLE_THRESHOLD)


def test_about_two_thirds_overuse_acute_medication_at_baseline(measured: Measured) -> None:
    baselines = measured.evaluable_baselines()
    share = np.mean([_overuses(b) for b in baselines])
    assert 0.55 <= share <= 0.78  # PREEMPT: 64.8 %
    classes = {code for b in baselines for code, _ in b.by_class}
    assert {"triptan", "simple_analgesic", "combination_analgesic", "opioid", "gepant"} <= classes


def test_compliance_is_85_to_95_percent_and_lower_at_weekends(cohort: Cohort) -> None:
    summary = summarise(cohort)
    overall = summary.recorded_days.sum() / summary.expected_days.sum()
    assert 0.85 <= overall <= 0.95
    assert summary.weekend_compliance < summary.weekday_compliance - 0.05


# --- treatment ---------------------------------------------------------------------------


def test_cycle_2_responders_are_about_45_percent(measured: Measured) -> None:
    assessable = [c for c in measured.cycle(2) if c.responder_50 is not None]
    assert len(assessable) > 150
    rate = np.mean([c.responder_50 for c in assessable])
    assert 0.35 <= rate <= 0.55  # PREEMPT week 24: 44.8-47.1 %
    change = np.mean([float(c.headache_day_change or 0) for c in assessable])
    assert -11 <= change <= -6  # PREEMPT week 24: -8.4


def test_gains_grow_to_cycles_3_to_5_with_some_non_responders(measured: Measured) -> None:
    def responders(numbers: range) -> float:
        flags = [
            c.responder_50 for n in numbers for c in measured.cycle(n) if c.responder_50 is not None
        ]
        return float(np.mean(flags))

    assert responders(range(3, 6)) > responders(range(2, 3)) + 0.05
    assessable = [c for c in measured.cycle(2) if c.responder_30 is not None]
    non_responders = np.mean([not c.responder_30 for c in assessable])
    assert 0.15 <= non_responders <= 0.4


def test_wearing_off_shows_in_about_half_of_the_patients(measured: Measured) -> None:
    judged = [c for c in measured.cycles if any(x.wearing_off is not None for x in c)]
    with_wearing_off = [c for c in judged if any(x.wearing_off for x in c)]
    assert 0.35 <= len(with_wearing_off) / len(judged) <= 0.75  # ref 7: 44-63 %


def test_the_vectorised_summary_agrees_with_the_domain(cohort: Cohort, measured: Measured) -> None:
    summary = summarise(cohort)
    base = summary.baseline.per_28(summary.baseline.headache_days)
    for p, window in enumerate(measured.baselines):
        expected = window.rate("headache_days")
        if expected is None:
            assert np.isnan(base[p])
        else:
            assert base[p] == pytest.approx(float(expected))
    reductions = [c.headache_day_reduction_pct for cycles in measured.cycles for c in cycles]
    assert len(reductions) == len(summary.reduction_pct)
    for got, expected in zip(summary.reduction_pct, reductions, strict=True):
        if expected is None:
            assert np.isnan(got)
        else:
            assert got == pytest.approx(float(expected), abs=1e-6)
    flags = [c.wearing_off for cycles in measured.cycles for c in cycles]
    coded = [None if x < 0 else bool(x) for x in summary.wearing_off.tolist()]
    assert coded == flags
    assert summary.responder_rate(2) == pytest.approx(
        np.mean([c.responder_50 for c in measured.cycle(2) if c.responder_50 is not None])
    )


def test_sessions_are_12_weekly_on_weekdays_some_longer_and_some_195_units(
    cohort: Cohort,
) -> None:
    s = cohort.sessions
    same = s.patient[1:] == s.patient[:-1]
    intervals = np.diff(s.date.astype(np.int64))[same]
    assert intervals.min() >= 70  # the clinic's default minimum interval
    assert 0.10 <= np.mean(intervals > 91) <= 0.20  # longer than 13 weeks
    weekday = (s.date.astype(np.int64) + 3) % 7
    assert (weekday < 5).all()
    assert set(np.unique(s.units)) <= {155, 175, 195}
    assert np.array_equal(s.sites, s.units // 5)
    assert (s.units == 195).any()
    assert (s.date <= np.datetime64(TODAY)).all()


def test_patients_are_at_different_stages(cohort: Cohort) -> None:
    p = cohort.patients
    n_sessions = np.bincount(cohort.sessions.patient, minlength=N)
    assert np.array_equal(n_sessions, p.n_sessions)
    baseline = p.stage == generate.STAGES.index("baseline")
    stopped = p.stage == generate.STAGES.index("stopped")
    assert (n_sessions[baseline] == 0).all()
    assert 0.02 < baseline.mean() < 0.12
    assert 0.03 < stopped.mean() < 0.2
    assert np.mean((n_sessions >= 1) & (n_sessions <= 8)) > 0.8
    lead = (p.first_session - p.diary_start).astype(np.int64)[~baseline]
    assert lead.min() >= 28
    assert lead.max() <= 120
    assert np.mean(lead >= 84) > 0.25  # the two windows before baseline exist for many


def test_the_first_patient_is_typical_mid_treatment_with_a_good_diary(cohort: Cohort) -> None:
    p = cohort.patients
    assert generate.STAGES[p.stage[0]] == "active"
    assert p.n_sessions[0] == 4
    rows = cohort.patient_rows(0)
    span = (p.diary_end[0] - p.diary_start[0]).astype(int) + 1
    assert (rows.stop - rows.start) / span > 0.9
    assert p.diary_end[0] >= np.datetime64(TODAY) - np.timedelta64(1, "D")


# --- history and safety ------------------------------------------------------------------


def test_preventive_history_has_2_to_4_failed_oral_classes(cohort: Cohort) -> None:
    pv = cohort.preventives
    names = [PREVENTIVE_DRUGS[d][1] for d in pv.drug.tolist()]
    failed = np.isin(pv.outcome, [0, 1, 2])
    oral = np.array([c not in {"cgrp_mab", "gepant", "botulinum_toxin"} for c in names])
    for p in range(N):
        mine = (pv.patient == p) & failed & oral
        classes = [names[i] for i in np.flatnonzero(mine)]
        assert 2 <= len(classes) <= 4
        assert len(set(classes)) == len(classes)
    assert (np.isnat(pv.stop) | (pv.stop >= pv.start)).all()
    assert (pv.start[~np.isnat(pv.start)] < np.datetime64(TODAY)).all()


def test_some_patients_have_cautions_and_interacting_medicines(cohort: Cohort) -> None:
    interacting = {
        i
        for i, (_, cls, _) in enumerate(OTHER_MEDICATIONS)
        if cls in vocab.INTERACTING_MEDICATION_CLASSES
    }
    with_interacting = np.unique(
        cohort.medications.patient[np.isin(cohort.medications.drug, list(interacting))]
    )
    assert 0.02 * N < len(with_interacting) < 0.15 * N
    assert 0 < len(np.unique(cohort.conditions.patient)) < 0.15 * N


def test_adverse_events_come_at_label_like_rates_per_session(cohort: Cohort) -> None:
    ae = cohort.adverse_events
    sessions = len(cohort.sessions.patient)
    rate = {s: np.sum(ae.symptom == i) / sessions for i, s in enumerate(AE_SYMPTOMS)}
    assert 0.06 <= rate["neck_pain"] <= 0.12  # label: 9 %
    assert 0.02 <= rate["eyelid_ptosis"] <= 0.06  # label: 4 %
    assert rate["dysphagia"] < 0.01  # very rare red flag
    assert (ae.onset >= cohort.sessions.date[ae.session]).all()
    assert (ae.onset <= np.datetime64(TODAY)).all()
    assert (np.isnat(ae.resolved_on) | (ae.resolved_on >= ae.onset)).all()


def test_red_flags_are_the_domain_triage_s_red_flags(cohort: Cohort) -> None:
    """Drooping eyelids (and every other sign of possible spread of toxin effect the
    generator produces) are red flags, as the domain's safety triage classifies them: the
    demo once stored drooping eyelids as an ordinary adverse event."""
    from cephalog.domain.safety import classify as triage

    ae = cohort.adverse_events
    for code, symptom in enumerate(AE_SYMPTOMS):
        rows = ae.symptom == code
        assert rows.any(), symptom
        expected = triage([symptom]).has_red_flags
        assert (ae.red_flag[rows] == expected).all(), symptom
    assert ae.red_flag[ae.symptom == AE_SYMPTOMS.index("eyelid_ptosis")].all()
    assert {s for s in AE_SYMPTOMS if triage([s]).has_red_flags} == generate.RED_FLAG_SYMPTOMS


def test_codes_come_from_the_domain_vocabularies() -> None:
    assert set(ACUTE_CLASSES) <= set(vocab.ACUTE_CLASS_CODES)
    assert set(INTENSITIES) == set(vocab.INTENSITY_CODES)
    assert {c for _, c, _ in PREVENTIVE_DRUGS} <= set(vocab.PREVENTIVE_CLASS_CODES)
    assert set(PREVENTIVE_OUTCOMES) <= set(vocab.PREVENTIVE_OUTCOME_CODES)
    assert {c for _, c, _ in OTHER_MEDICATIONS} <= set(vocab.MEDICATION_CLASS_CODES)
    assert set(CONDITION_CODES) <= set(vocab.CONDITION_CODES)
    safety = pytest.importorskip("cephalog.domain.safety")
    assert set(AE_SYMPTOMS) <= {str(s) for s in safety.Symptom}
    red_flags = {str(s) for s, info in safety.SYMPTOMS.items() if info.red_flag}
    assert red_flags >= generate.RED_FLAG_SYMPTOMS


def test_to_polars_gives_one_frame_per_table(cohort: Cohort) -> None:
    frames = cohort.to_polars()
    assert set(frames) == {
        "patients",
        "diary",
        "sessions",
        "preventives",
        "medications",
        "conditions",
        "allergies",
        "toxin_exposures",
        "adverse_events",
    }
    assert len(frames["patients"]) == N
    assert len(frames["diary"]) == len(cohort.diary.patient)
    diary = frames["diary"]
    assert diary["acute1_class"].drop_nulls().is_in(list(ACUTE_CLASSES)).all()
    assert diary.filter(diary["headache_hours"] == 0)["peak_intensity"].null_count() == len(
        diary.filter(diary["headache_hours"] == 0)
    )
