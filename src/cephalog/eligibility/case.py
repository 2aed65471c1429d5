"""Build the domain's Case from a patient's stored record.

One function feeds every screen, report, API and export that assesses a
patient, so they all compute with exactly the rules of `cephalog assess`.
It lives in eligibility (above patients and diary, whose records it reads, and
next to the clinic's policies it assesses with), so `patients` imports no app above it.
"""

from __future__ import annotations

import datetime as dt

from cephalog.accounts.rules_queries import clinic_ruleset, policy_for
from cephalog.diary.queries import diary_days
from cephalog.domain import case as domain
from cephalog.domain.assess import Assessment, assess
from cephalog.domain.point_of_care import product_of
from cephalog.domain.rulesets import Ruleset
from cephalog.patients.models import Patient


def build_case(patient: Patient, assessed_on: dt.date) -> domain.Case:
    """The patient's data as a `cephalog.case/1` Case, assessed on `assessed_on`.

    Injections are the completed chronic-migraine sessions (cancelled and planned ones
    do not count); toxin given for other indications comes from ToxinExposure, with its
    product as the vocabulary's code (blank = onabotulinumtoxinA, spec section 11.5).
    """
    days = diary_days(patient)
    sessions = patient.sessions.filter(status="completed").order_by("date")
    return domain.Case(
        patient=domain.Patient(
            birth_date=patient.birth_date,
            sex=patient.sex,
            chronic_headache_since=patient.chronic_headache_since,
        ),
        assessed_on=assessed_on,
        diary=tuple(days[d] for d in sorted(days)),
        conditions=tuple(
            sorted(
                c.code
                for c in patient.conditions.all()
                if c.resolved_on is None or c.resolved_on > assessed_on
            )
        ),
        allergies=tuple(sorted({a.code for a in patient.allergies.all()})),
        medications=tuple(
            domain.Medication(drug_class=m.drug_class, name=m.name, start=m.start, stop=m.stop)
            for m in patient.medications.all()
        ),
        preventives=tuple(
            domain.Preventive(
                name=p.name, outcome=p.outcome, drug_class=p.drug_class, start=p.start, stop=p.stop
            )
            for p in patient.preventives.all()
        ),
        toxin_exposures=tuple(
            domain.ToxinExposure(
                date=t.date,
                units=t.units,
                indication=t.indication,
                product=product_of(t.product).value,
            )
            for t in patient.toxin_exposures.all()
        ),
        injections=tuple(
            domain.Injection(date=s.date, units=s.total_units, sites=s.sites_injected)
            for s in sessions
        ),
    )


def assess_patient(
    patient: Patient,
    assessed_on: dt.date,
    policy_name: str | None = None,
    include_days: bool = False,
    ruleset: Ruleset | str | None = None,
) -> Assessment:
    """The spec section 10 assessment of a stored patient, under the clinic's default policy
    (a built-in policy or one of the clinic's own) and the clinic's ruleset (spec section 11)
    unless others are named."""
    case = build_case(patient, assessed_on)
    policy = policy_for(patient.clinic, policy_name)
    chosen = ruleset if ruleset is not None else clinic_ruleset(patient.clinic)
    return assess(case, policy.name, include_days, policy=policy, ruleset=chosen)
