"""The generated patients (through `create_patient`) and their bulk rows: history,
sessions, adverse events and the diary, written by `cephalog.demo.actions`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from cephalog.accounts.models import Clinic, User
from cephalog.demo import generate as gen
from cephalog.demo.actions import store_cohort_history
from cephalog.demo.load.base import _dates, _required_dates
from cephalog.demo.load.diary import _diary_batches
from cephalog.eligibility.models import Allergy, Condition, Medication, Preventive, ToxinExposure
from cephalog.patients.actions import create_patient
from cephalog.patients.models import Patient
from cephalog.safety.models import AdverseEvent
from cephalog.treatment.models import Session, SessionStatus


def _write_cohort(
    clinic: Clinic,
    cohort: gen.Cohort,
    *,
    injector: User,
    seed: int,
    first_patient_user: User | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, int]:
    p = cohort.patients
    n = cohort.n_patients
    birth = _dates(p.birth_date)
    consent = _dates(p.diary_start)
    chronic = _dates(p.chronic_headache_since)
    sexes = [gen.SEXES[code] for code in p.sex.tolist()]
    patients: list[Patient] = []
    for i in range(n):
        patients.append(
            create_patient(
                clinic=clinic,
                user=first_patient_user if i == 0 else None,
                mrn=str(p.mrn[i]),
                given_name=str(p.given_name[i]),
                family_name=str(p.family_name[i]),
                birth_date=birth[i],
                sex=sexes[i],
                email=first_patient_user.email if i == 0 and first_patient_user else "",
                consent_date=consent[i],
                consent_version="demo",
                chronic_headache_since=chronic[i],
                migraine_onset_year=int(p.migraine_onset_year[i]),
                migraine_with_aura=bool(p.migraine_with_aura[i]),
            )
        )

    sessions = _session_rows(cohort, patients, injector)
    per_patient = {
        "diary_entries": np.bincount(cohort.diary.patient, minlength=n),
        "sessions": np.bincount(cohort.sessions.patient, minlength=n),
        "adverse_events": np.bincount(cohort.adverse_events.patient, minlength=n),
    }
    diary_entries = store_cohort_history(
        history=_history_rows(cohort, patients),
        sessions=sessions,
        adverse_events=_adverse_event_rows(cohort, patients, sessions),
        diary=_diary_batches(cohort, patients, progress),
        audit=[
            (patient, {"seed": seed} | {k: int(v[i]) for k, v in per_patient.items()})
            for i, patient in enumerate(patients)
        ],
    )
    return {
        "diary_entries": diary_entries,
        "sessions": len(sessions),
        "adverse_events": len(cohort.adverse_events.patient),
    }


def _preventive_rows(cohort: gen.Cohort, patients: list[Patient]) -> list[Any]:
    pv = cohort.preventives
    rows: list[Any] = []
    for i, drug, start, stop, outcome in zip(
        pv.patient.tolist(),
        pv.drug.tolist(),
        _dates(pv.start),
        _dates(pv.stop),
        pv.outcome.tolist(),
        strict=True,
    ):
        name, drug_class, dose = gen.PREVENTIVE_DRUGS[drug]
        rows.append(
            Preventive(
                patient=patients[i],
                name=name,
                drug_class=drug_class,
                dose=dose,
                start=start,
                stop=stop,
                outcome=gen.PREVENTIVE_OUTCOMES[outcome],
            )
        )
    return rows


def _medication_and_condition_rows(cohort: gen.Cohort, patients: list[Patient]) -> list[Any]:
    rows: list[Any] = []
    md = cohort.medications
    for i, drug, start, stop in zip(
        md.patient.tolist(), md.drug.tolist(), _dates(md.start), _dates(md.stop), strict=True
    ):
        name, drug_class, _ = gen.OTHER_MEDICATIONS[drug]
        rows.append(
            Medication(
                patient=patients[i], name=name, drug_class=drug_class, start=start, stop=stop
            )
        )
    cd = cohort.conditions
    for i, code, noted, resolved in zip(
        cd.patient.tolist(),
        cd.code.tolist(),
        _dates(cd.noted_on),
        _dates(cd.resolved_on),
        strict=True,
    ):
        rows.append(
            Condition(
                patient=patients[i],
                code=gen.CONDITION_CODES[code],
                noted_on=noted,
                resolved_on=resolved,
            )
        )
    return rows


def _history_rows(cohort: gen.Cohort, patients: list[Patient]) -> list[Any]:
    rows: list[Any] = [
        *_preventive_rows(cohort, patients),
        *_medication_and_condition_rows(cohort, patients),
    ]
    for i in cohort.allergies.patient.tolist():
        rows.append(Allergy(patient=patients[i], reaction="Rash and facial swelling"))
    tx = cohort.toxin_exposures
    for i, date, units, indication in zip(
        tx.patient.tolist(),
        _required_dates(tx.date),
        tx.units.tolist(),
        tx.indication.tolist(),
        strict=True,
    ):
        rows.append(
            ToxinExposure(
                patient=patients[i],
                date=date,
                product="onabotulinumtoxinA",
                units=units,
                indication=gen.TOXIN_INDICATIONS[indication][0],
            )
        )
    return rows


def _session_rows(cohort: gen.Cohort, patients: list[Patient], injector: User) -> list[Session]:
    s = cohort.sessions
    return [
        Session(
            patient=patients[i],
            date=date,
            status=SessionStatus.COMPLETED,
            total_units=units,
            sites_injected=sites,
            injector=injector,
        )
        for i, date, units, sites in zip(
            s.patient.tolist(),
            _required_dates(s.date),
            s.units.tolist(),
            s.sites.tolist(),
            strict=True,
        )
    ]


def _adverse_event_rows(
    cohort: gen.Cohort, patients: list[Patient], sessions: list[Session]
) -> list[AdverseEvent]:
    ae = cohort.adverse_events
    return [
        AdverseEvent(
            patient=patients[i],
            session=sessions[session],
            symptom=gen.AE_SYMPTOMS[symptom],
            onset=onset,
            severity=gen.SEVERITIES[severity],
            serious=serious,
            red_flag=red_flag,
            resolved_on=resolved,
        )
        for i, session, symptom, onset, severity, serious, red_flag, resolved in zip(
            ae.patient.tolist(),
            ae.session.tolist(),
            ae.symptom.tolist(),
            _dates(ae.onset),
            ae.severity.tolist(),
            ae.serious.tolist(),
            ae.red_flag.tolist(),
            _dates(ae.resolved_on),
            strict=True,
        )
    ]
