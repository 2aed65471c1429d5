"""An MHRA Yellow Card worksheet for one adverse event (a UK clinic's report), as PDF and CSV.

The fields of the Yellow Card for health professionals, in its order: the
patient, the suspected drug, the suspected reaction (with its seriousness and
outcome), other medicines taken in the 3 months before, additional relevant
information, and the reporter. Like the MedWatch worksheet, it is for the
clinician who files the report (online at yellowcard.mhra.gov.uk or on the
form), not a submission. Unknown values are "Not known"; dates are dd/mm/yyyy.
Seriousness is left for the clinician when nobody has assessed the event
(`medwatch.clinician_assessed`). The CSV goes through the MedWatch CSV code
path (`medwatch.to_csv`).
"""

from __future__ import annotations

import datetime as dt

from cephalog.accounts.access import role_in
from cephalog.accounts.models import Clinic, User
from cephalog.eligibility.models import ConditionCode
from cephalog.safety.medwatch import (
    NOT_ASSESSED,
    Field,
    Section,
    _age,
    _initials,
    _narrative,
    _vials,
    clinician_assessed,
)
from cephalog.safety.models import AdverseEvent, Outcome, Seriousness
from cephalog.treatment.models import Session, SessionStatus

NOT_KNOWN = "Not known"
PRODUCT = "Botox (onabotulinumtoxinA) powder for solution for injection, Allergan/AbbVie"

#: The Yellow Card's "why serious" boxes for each recorded seriousness code.
WHY_SERIOUS = {
    Seriousness.DEATH: "Patient died due to reaction",
    Seriousness.LIFE_THREATENING: "Life threatening",
    Seriousness.HOSPITALISATION: "Resulted in hospitalisation or prolonged inpatient "
    "hospitalisation",
    Seriousness.DISABILITY: "Involved persistent or significant disability or incapacity",
    Seriousness.CONGENITAL_ANOMALY: "Congenital abnormality",
    Seriousness.REQUIRED_INTERVENTION: "Medically significant (intervention needed to prevent "
    "permanent impairment)",
    Seriousness.OTHER_SERIOUS: "Medically significant",
}
#: The card's outcome boxes: Recovered, Recovering, Continuing, Other.
OUTCOMES = {
    Outcome.RECOVERED: "Recovered",
    Outcome.RECOVERING: "Recovering",
    Outcome.NOT_RECOVERED: "Continuing",
    Outcome.RECOVERED_WITH_SEQUELAE: "Other: recovered with lasting effects",
    Outcome.FATAL: "Other: fatal",
    Outcome.UNKNOWN: "Other: not known",
}
_PROFESSIONS = {"physician": "Doctor", "nurse": "Nurse", "clinic_admin": "Clinic administrator"}


def uk_date(d: dt.date | None) -> str:
    return d.strftime("%d/%m/%Y") if d else NOT_KNOWN


def _seriousness(event: AdverseEvent) -> tuple[str, str]:
    """(Serious? Yes/No, why): blank for the clinician when nobody has assessed it."""
    if not clinician_assessed(event):
        return NOT_ASSESSED, NOT_ASSESSED
    if not event.serious and not event.seriousness:
        return "No", "Not applicable"
    reasons = [WHY_SERIOUS.get(Seriousness(c), c) for c in event.seriousness if c in WHY_SERIOUS]
    return "Yes", "; ".join(reasons) or "Serious (reason not coded)"


def _patient_section(event: AdverseEvent) -> Section:
    patient = event.patient
    conditions = {c.code for c in patient.conditions.all()}
    pregnant = "Yes" if ConditionCode.PREGNANCY in conditions else NOT_KNOWN
    return Section(
        "1",
        "Patient details",
        (
            Field("1.1", "Patient initials", _initials(patient.given_name, patient.family_name)),
            Field("1.2", "Sex", patient.get_sex_display()),
            Field("1.3", "Is the patient pregnant?", pregnant),
            Field("1.4", "Age (at time of reaction)", str(_age(patient.birth_date, event.onset))),
            Field("1.5", "Weight (kg)", NOT_KNOWN),
            Field("1.6", "Ethnicity", NOT_KNOWN),
            Field("1.7", "Identification number (your practice or hospital ref.)", patient.mrn),
        ),
    )


def _drug_section(event: AdverseEvent, given: list[dt.date]) -> Section:
    session = event.session
    vials = _vials(session)
    return Section(
        "2",
        "Suspected drug(s)",
        (
            Field("2.1", "Drug (brand if known)", PRODUCT),
            Field("2.2", "Batch", ", ".join(sorted({v.lot for v in vials})) or NOT_KNOWN),
            Field("2.3", "Route", "Intramuscular"),
            Field(
                "2.4",
                "Dosage",
                f"{session.total_units} units ({session.sites_injected} sites, 5 units each)"
                if session
                else NOT_KNOWN,
            ),
            Field("2.5", "Frequency", "Every 12 weeks"),
            Field("2.6", "Date started", uk_date(given[0] if given else None)),
            Field(
                "2.7",
                "Date stopped",
                f"Last dose {uk_date(session.date)}" if session else NOT_KNOWN,
            ),
            Field("2.8", "Prescribed for", "Chronic migraine (prophylaxis)"),
        ),
    )


def _reaction_section(event: AdverseEvent) -> Section:
    serious, why = _seriousness(event)
    return Section(
        "3",
        "Suspected reaction(s)",
        (
            Field("3.1", "Describe the reaction(s) and any treatment given", _narrative(event)),
            Field("3.2", "Date reaction(s) started", uk_date(event.onset)),
            Field("3.3", "Date reaction(s) stopped", uk_date(event.resolved_on)),
            Field("3.4", "Do you consider the reaction to be serious?", serious),
            Field("3.5", "If yes, why is it serious?", why),
            Field("3.6", "Outcome", OUTCOMES.get(Outcome(event.outcome), NOT_KNOWN)),
        ),
    )


def _other_drugs_section(event: AdverseEvent) -> Section:
    three_months_before = event.onset - dt.timedelta(days=91)
    others = [
        f"{m.name} ({m.get_drug_class_display()}), from {uk_date(m.start)}"
        + (f" to {uk_date(m.stop)}" if m.stop else "")
        for m in event.patient.medications.all()
        if m.stop is None or m.stop >= three_months_before
    ]
    return Section(
        "4",
        "Other drugs (including self-medication and herbal remedies)",
        (
            Field(
                "4.1",
                "Did the patient take any other medicines in the last 3 months before the "
                "reaction?",
                "Yes" if others else "None recorded",
            ),
            Field("4.2", "Drug, route, dosage, dates, prescribed for", "; ".join(others) or "–"),
        ),
    )


def _history_section(event: AdverseEvent, given: list[dt.date]) -> Section:
    patient = event.patient
    extra = []
    if event.relevant_history:
        extra.append(event.relevant_history)
    labels = [c.get_code_display() for c in patient.conditions.all()]
    if labels:
        extra.append("Recorded conditions: " + ", ".join(labels) + ".")
    allergies = [a.get_code_display() for a in patient.allergies.all()]
    if allergies:
        extra.append("Known allergies: " + ", ".join(allergies) + ".")
    if event.relevant_tests:
        extra.append("Tests: " + event.relevant_tests)
    if len(given) > 1:
        extra.append(
            f"Rechallenge: {len(given)} sessions given from {uk_date(given[0])}; "
            "see the description for any earlier reactions."
        )
    return Section(
        "5",
        "Additional relevant information",
        (
            Field(
                "5.1",
                "Medical history, test results, known allergies, rechallenge, interactions",
                " ".join(extra) or NOT_KNOWN,
            ),
        ),
    )


def _reporter_section(reporter: User, clinic: Clinic, today: dt.date) -> Section:
    reporter_name = reporter.get_full_name() or reporter.username
    role = role_in(reporter, clinic) or ""
    return Section(
        "6",
        "Reporter details",
        (
            Field(
                "6.1",
                "Name and professional address",
                "; ".join(
                    x for x in (reporter_name, clinic.name, clinic.address.replace("\n", ", ")) if x
                ),
            ),
            Field("6.2", "Telephone", clinic.phone or NOT_KNOWN),
            Field("6.3", "Email", clinic.safety_email or reporter.email or NOT_KNOWN),
            Field("6.4", "Profession", _PROFESSIONS.get(role, role or NOT_KNOWN)),
            Field("6.5", "Speciality", "Neurology (headache)"),
            Field("6.6", "Date", uk_date(today)),
        ),
    )


def sections(event: AdverseEvent, *, reporter: User, today: dt.date) -> tuple[Section, ...]:
    """Every Yellow Card field for this event, in the card's order."""
    given = list(
        Session.objects.filter(patient=event.patient, status=SessionStatus.COMPLETED)
        .order_by("date")
        .values_list("date", flat=True)
    )
    return (
        _patient_section(event),
        _drug_section(event, given),
        _reaction_section(event),
        _other_drugs_section(event),
        _history_section(event, given),
        _reporter_section(reporter, event.patient.clinic, today),
    )
