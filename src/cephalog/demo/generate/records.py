"""The treatment and medical-history parts of a history: sessions and their adverse
events, preventives tried before toxin, other medicines, conditions, allergies and toxin
given for other reasons.

The draws follow a fixed order within a chunk (the same seed gives the same records).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from cephalog.demo.generate.codes import (
    _CGRP_DRUGS,
    _CONTRAINDICATED,
    _DYSPHAGIA,
    _INADEQUATE,
    _MIGRAINE_AE,
    _N_COMMON_MEDS,
    _NO_DAY,
    _ONGOING,
    _ORAL_CLASS_WEIGHT,
    _ORAL_CLASSES,
    _RED_FLAG_CODES,
    ADVERSE_EVENTS,
    CONDITION_CODES,
    CONDITIONS,
    OTHER_MEDICATIONS,
    TOXIN_INDICATIONS,
)
from cephalog.demo.generate.people import Course, Timeline
from cephalog.demo.generate.sampling import _as_dates, _pick, _uniform_int
from cephalog.demo.generate.tables import (
    AdverseEvents,
    Allergies,
    Array,
    Conditions,
    Medications,
    Preventives,
    Sessions,
    ToxinExposures,
    _take,
)


def _sessions(
    rng: np.random.Generator, first: int, course: Course, follow_the_pain: Array
) -> tuple[Sessions, Array]:
    """The sessions given, and their int days (rows sorted by patient, then number)."""
    s_patient, s_index = np.nonzero(course.valid_session)
    s_day = course.sessions[s_patient, s_index]
    ftp = follow_the_pain[s_patient] & (s_index >= 1)
    units = np.where(ftp, np.where(rng.random(len(s_patient)) < 0.75, 195, 175), 155)
    table = Sessions(
        patient=(s_patient + first).astype(np.int32),
        date=_as_dates(s_day),
        number=(s_index + 1).astype(np.int16),
        units=units.astype(np.int16),
        sites=(units // 5).astype(np.int16),
    )
    return table, s_day


def _adverse_events(
    rng: np.random.Generator, first: int, today: int, s_patient: Array, s_day: Array
) -> AdverseEvents:
    """Adverse events at the label's per-session rates; red flags as the domain's triage
    classifies them; only those begun by today. `s_patient` is the chunk index."""
    rates = np.array([r for _, r, _, _ in ADVERSE_EVENTS], dtype=np.float32)
    ae_session, ae_symptom = np.nonzero(
        rng.random((len(s_patient), len(ADVERSE_EVENTS)), dtype=np.float32) < rates
    )
    lo = np.array([a for _, _, a, _ in ADVERSE_EVENTS])[ae_symptom]
    hi = np.array([b for _, _, _, b in ADVERSE_EVENTS])[ae_symptom]
    n_ae = len(ae_session)
    onset = s_day[ae_session] + _uniform_int(rng, lo, hi, n_ae)
    severity = _pick(rng, n_ae, (0.65, 0.3, 0.05))
    severity[ae_symptom == _DYSPHAGIA] = np.maximum(severity[ae_symptom == _DYSPHAGIA], 1)
    resolved = onset + _uniform_int(rng, 3, 42, n_ae)
    keep = onset <= today
    resolved = np.where(resolved <= today, resolved, _NO_DAY)
    serious = (severity == 2) & np.isin(ae_symptom, (_DYSPHAGIA, _MIGRAINE_AE))
    return _take(
        AdverseEvents(
            patient=(s_patient[ae_session] + first).astype(np.int32),
            session=ae_session.astype(np.int32),
            symptom=ae_symptom.astype(np.int8),
            onset=_as_dates(onset),
            severity=severity,
            serious=serious,
            red_flag=np.isin(ae_symptom, _RED_FLAG_CODES),
            resolved_on=_as_dates(resolved),
        ),
        np.flatnonzero(keep),
    )


@dataclass
class _Trials:
    """Preventive trials collected part by part, then sorted by patient."""

    patient: list[Array] = field(default_factory=list)
    drug: list[Array] = field(default_factory=list)
    start: list[Array] = field(default_factory=list)
    stop: list[Array] = field(default_factory=list)
    outcome: list[Array] = field(default_factory=list)

    def add(self, who: Array, drug: Array, start: Array, stop: Array, outcome: Array) -> None:
        """Add the trials of the patients where `who` is true (values are per patient)."""
        self.patient.append(np.flatnonzero(who))
        self.drug.append(drug[who])
        self.start.append(start[who])
        self.stop.append(stop[who])
        self.outcome.append(outcome[who])

    def table(self, first: int) -> Preventives:
        pv_p = np.concatenate(self.patient)
        order = np.argsort(pv_p, kind="stable")
        return Preventives(
            patient=(pv_p[order] + first).astype(np.int32),
            drug=np.concatenate(self.drug)[order].astype(np.int16),
            start=_as_dates(np.concatenate(self.start)[order].astype(np.int64)),
            stop=_as_dates(np.concatenate(self.stop)[order].astype(np.int64)),
            outcome=np.concatenate(self.outcome)[order].astype(np.int8),
        )


def _preventives(
    rng: np.random.Generator, first: int, n: int, diary_start: Array, exemplar: bool
) -> Preventives:
    """The preventive history (ref 5.4): 2-4 failed oral classes, some CGRP, some ongoing.

    Most recent first: a CGRP antibody, then the oral preventives, going back in time.
    """
    n_failed = _pick(rng, n, (0.35, 0.4, 0.25)) + 2
    if exemplar:
        n_failed[0] = 3
    keys = rng.random((n, len(_ORAL_CLASSES))) ** (1 / _ORAL_CLASS_WEIGHT)
    class_order = np.argsort(-keys, axis=1)  # weighted sampling without replacement
    trials = _Trials()
    cursor = diary_start - rng.integers(0, 120, n)
    has_cgrp = rng.random(n) < 0.2
    cgrp_drug = rng.integers(*_CGRP_DRUGS, n)
    c_len = rng.integers(90, 200, n)
    trials.add(has_cgrp, cgrp_drug, cursor - c_len, cursor, np.full(n, _INADEQUATE))
    cursor = np.where(has_cgrp, cursor - c_len - rng.integers(14, 120, n), cursor)
    for slot in range(4):
        present = slot < n_failed
        cls = class_order[:, slot]
        lo_d = np.array([a for a, _ in _ORAL_CLASSES])[cls]
        hi_d = np.array([b for _, b in _ORAL_CLASSES])[cls]
        drug = lo_d + np.floor(rng.random(n) * (hi_d - lo_d)).astype(np.int64)
        outcome = _pick(rng, n, (0.6, 0.35, 0.05))
        start = cursor - rng.integers(42, 180, n)
        never = outcome == _CONTRAINDICATED
        # contraindicated: never taken; dated the day it was ruled out
        trials.add(present, drug, np.where(never, cursor, start), cursor, outcome)
        cursor = np.where(present & ~never, start - rng.integers(14, 150, n), cursor)
    ongoing = rng.random(n) < 0.15
    if exemplar:
        ongoing[0] = False
    lo_d = np.array([a for a, _ in _ORAL_CLASSES])[class_order[:, 4]]
    start = diary_start - rng.integers(30, 400, n)
    trials.add(ongoing, lo_d, start, np.full(n, _NO_DAY), np.full(n, _ONGOING))
    return trials.table(first)


def _medications(
    rng: np.random.Generator, first: int, n: int, today: int, timeline: Timeline
) -> Medications:
    """Common other medicines, and for some patients a medicine that interacts with
    botulinum toxin (spec section 6 flags), a short course around the first session."""
    diary_start, first_session = timeline.diary_start, timeline.first_session
    med_keys = rng.random((n, _N_COMMON_MEDS))
    n_common = np.minimum(rng.poisson(0.9, n), 3)
    rank = np.argsort(np.argsort(med_keys, axis=1), axis=1)
    m_patient, m_drug = np.nonzero(rank < n_common[:, None])
    m_start = diary_start[m_patient] - rng.integers(60, 3000, len(m_patient))
    m_stop = np.full(len(m_patient), _NO_DAY, dtype=np.int64)
    interacting = rng.random(n) < 0.07
    i_patient = np.flatnonzero(interacting)
    i_drug = rng.integers(_N_COMMON_MEDS, len(OTHER_MEDICATIONS), len(i_patient))
    short_course = ~np.array([c for _, _, c in OTHER_MEDICATIONS])[i_drug]
    i_anchor = np.where(
        first_session[i_patient] <= today, first_session[i_patient], today
    ) - rng.integers(-5, 20, len(i_patient))
    i_start = np.where(
        short_course, i_anchor - 3, diary_start[i_patient] - rng.integers(30, 900, len(i_patient))
    )
    i_stop = np.where(short_course, i_anchor + 7, _NO_DAY)
    all_p = np.concatenate([m_patient, i_patient])
    order = np.argsort(all_p, kind="stable")
    return Medications(
        patient=(all_p[order] + first).astype(np.int32),
        drug=np.concatenate([m_drug, i_drug])[order].astype(np.int16),
        start=_as_dates(np.concatenate([m_start, i_start])[order].astype(np.int64)),
        stop=_as_dates(
            np.minimum(np.concatenate([m_stop, i_stop])[order], _NO_DAY).astype(np.int64)
        ),
    )


def _conditions(
    rng: np.random.Generator, first: int, n: int, today: int, diary_start: Array
) -> Conditions:
    """The rare cautions of spec section 6; an injection-site infection clears in 10 days."""
    shares = np.array([s for _, s in CONDITIONS])
    c_patient, c_code = np.nonzero(rng.random((n, len(CONDITIONS))) < shares)
    noted = diary_start[c_patient] - rng.integers(0, 2000, len(c_patient))
    infection = np.array(CONDITION_CODES)[c_code] == "injection_site_infection"
    noted = np.where(infection, diary_start[c_patient] + rng.integers(0, 20, len(c_patient)), noted)
    return Conditions(
        patient=(c_patient + first).astype(np.int32),
        code=c_code.astype(np.int8),
        noted_on=_as_dates(noted),
        resolved_on=_as_dates(np.where(infection, np.minimum(noted + 10, today), _NO_DAY)),
    )


def _allergies(rng: np.random.Generator, first: int, n: int, baseline_only: Array) -> Allergies:
    """A few patients still in their baseline turn out to be allergic to the toxin."""
    allergic = np.flatnonzero(baseline_only & (rng.random(n) < 0.03))
    return Allergies(patient=(allergic + first).astype(np.int32))


def _toxin_exposures(
    rng: np.random.Generator, first: int, n: int, today: int, first_session: Array, exemplar: bool
) -> ToxinExposures:
    """Botulinum toxin given for another reason before the first session."""
    t_patient = np.flatnonzero(rng.random(n) < 0.03)
    if exemplar:
        t_patient = t_patient[t_patient != 0]
    t_ind = _pick(rng, len(t_patient), (0.8, 0.2))
    anchor = np.where(first_session[t_patient] <= today, first_session[t_patient], today)
    return ToxinExposures(
        patient=(t_patient + first).astype(np.int32),
        date=_as_dates(anchor - rng.integers(20, 300, len(t_patient))),
        units=np.array([u for _, u in TOXIN_INDICATIONS], dtype=np.int16)[t_ind],
        indication=t_ind,
    )
