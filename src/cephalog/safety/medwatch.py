"""A MedWatch-style export of one adverse event: the fields of FDA Form 3500, as PDF and CSV.

This is a worksheet for the clinician who files the report (online or on the
FDA form), not a submission. Block numbers follow the FDA 3500 layout of
sections A (patient), B (event), C (product availability), D (suspect
product: 1 name/strength/manufacturer, 2 dose/frequency/route, 3 dates of
use, 4 diagnosis, 5 abated, 6 lot, 7 expiry, 8 reappeared, 9 NDC),
E (device), F (concomitant products) and G (reporter). Newer form revisions
renumber some D blocks; the field names say what each holds. Unknown
values are "NI" (no information), as the form's instructions ask.

The PDF is rendered by WeasyPrint with a URL fetcher that refuses every
URL except data: URIs, so rendering never reaches the network or the disk.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.template.loader import render_to_string

from cephalog.accounts.access import role_in
from cephalog.accounts.models import Clinic, User
from cephalog.audit.models import AuditEvent
from cephalog.core.pdf import html_to_pdf
from cephalog.domain import csvcells
from cephalog.safety.models import AdverseEvent, Seriousness, Source
from cephalog.treatment.models import Session, SessionStatus

NI = "NI"
#: National Drug Codes by vial size (clinical-reference §14, confirmed).
NDC_BY_VIAL_UNITS = {100: "0023-1145-01", 200: "0023-3921-02"}
PRODUCT = "BOTOX (onabotulinumtoxinA) for injection"
MANUFACTURER = "Allergan (an AbbVie company)"


@dataclass(frozen=True)
class Field:
    block: str  # e.g. "B5"
    name: str  # the form's wording
    value: str

    @property
    def column(self) -> str:
        return f"{self.block} {self.name}"


@dataclass(frozen=True)
class Section:
    letter: str
    title: str
    fields: tuple[Field, ...]


#: What the seriousness fields say until a clinician has assessed the event.
NOT_ASSESSED = "Not yet assessed by a clinician: to be completed by the clinician who assesses it"


def clinician_assessed(event: AdverseEvent) -> bool:
    """Has a clinician looked at this event? Only then may a form say how serious it was.

    A clinician recorded it (clinic record), it came from the clinic's earlier records
    (import), or a clinician has edited the patient's report since. A patient's own
    report, red flag or not, is not an assessment: its seriousness stays blank.
    """
    if event.source != Source.PATIENT:
        return True
    return AuditEvent.objects.filter(
        category="adverse_event",
        action="update",
        object_ref=f"adverse_event:{event.pk}",
        user_id__isnull=False,
    ).exists()


def fda_date(d: dt.date | None) -> str:
    """The form's date format, dd-mmm-yyyy (01-Jan-1900)."""
    return d.strftime("%d-%b-%Y") if d else NI


def _initials(given: str, family: str) -> str:
    parts = [p for p in (given, family) if p]
    return ".".join(p[0].upper() for p in parts) + "." if parts else NI


def _age(born: dt.date, on: dt.date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def _vials(session: Session | None) -> list[Any]:
    # Vials are recorded by the treatment app; sessions imported without them have none.
    if session is None or not hasattr(session, "vials"):
        return []
    return list(session.vials.all())


def _narrative(event: AdverseEvent) -> str:
    session = event.session
    parts = [f"{event.symptom_label}, {event.get_severity_display().lower()}"]
    if session is not None:
        days = (event.onset - session.date).days
        parts.append(
            f"onset {fda_date(event.onset)}, {days} day{'s' if days != 1 else ''} after "
            f"onabotulinumtoxinA {session.total_units} Units intramuscularly in "
            f"{session.sites_injected} head and neck sites for chronic migraine "
            f"({fda_date(session.date)})"
        )
    else:
        parts.append(f"onset {fda_date(event.onset)}")
    text = "; ".join(parts) + "."
    if event.red_flag:
        text += (
            " Reported as a red-flag symptom (boxed warning: possible distant spread of "
            "toxin effect, or hypersensitivity)."
        )
    if event.region or event.site_codes:
        where = event.get_region_display() if event.region else ""
        sites = ", ".join(event.site_codes)
        text += f" Region injected: {where}{' – ' if where and sites else ''}{sites}."
    text += f" Source: {event.get_source_display().lower()}."
    if event.description:
        text += f" {event.description}"
    text += f" Outcome: {event.get_outcome_display().lower()}"
    text += f", resolved {fda_date(event.resolved_on)}." if event.resolved_on else "."
    if event.relatedness:
        text += f" Causality (reporter): {event.get_relatedness_display().lower()}."
    if event.actions:
        text += f" Actions: {event.actions}"
    return text


def sections(event: AdverseEvent, *, reporter: User, today: dt.date) -> tuple[Section, ...]:
    """Every form field for this event, in form order."""
    patient = event.patient
    medications = [f"{m.name} ({m.get_drug_class_display()})" for m in patient.medications.all()]
    return (
        _patient_section(event),
        _event_section(event, today),
        Section(
            "C",
            "Product availability",
            (Field("C1", "Product available for evaluation", "No (single-use vials, discarded)"),),
        ),
        _suspect_product_section(event),
        Section(
            "E", "Suspect medical device", (Field("E", "Suspect medical device", "Not applicable"),)
        ),
        Section(
            "F",
            "Other (concomitant) medical products",
            (Field("F", "Concomitant medical products", "; ".join(medications) or NI),),
        ),
        _reporter_section(reporter, patient.clinic),
    )


def _patient_section(event: AdverseEvent) -> Section:
    """A: the patient, identified in confidence."""
    patient = event.patient
    return Section(
        "A",
        "Patient information",
        (
            Field(
                "A1",
                "Patient identifier (in confidence)",
                _initials(patient.given_name, patient.family_name),
            ),
            Field("A2", "Age at time of event (years)", str(_age(patient.birth_date, event.onset))),
            Field("A3", "Sex", patient.get_sex_display()),
            Field("A4", "Weight", NI),
        ),
    )


def _outcomes(event: AdverseEvent) -> list[str]:
    """B2: the outcomes, or why there are none yet."""
    outcomes = event.seriousness_labels()
    if Seriousness.DEATH in event.seriousness:
        outcomes = [f"{o} (date: {NI})" if o == "Death" else o for o in outcomes]
    if not outcomes:
        outcomes = ["Serious (outcome not coded)"] if event.serious else ["Not serious"]
    if not clinician_assessed(event):
        outcomes = [NOT_ASSESSED]
    return outcomes


def _event_section(event: AdverseEvent, today: dt.date) -> Section:
    """B: the event, its outcome and the relevant history."""
    patient = event.patient
    history = [event.relevant_history] if event.relevant_history else []
    conditions = [c.get_code_display() for c in patient.conditions.all()]
    allergies = [a.get_code_display() for a in patient.allergies.all()]
    if conditions:
        history.append("Recorded conditions: " + ", ".join(conditions) + ".")
    if allergies:
        history.append("Allergies: " + ", ".join(allergies) + ".")
    return Section(
        "B",
        "Adverse event, product problem",
        (
            Field("B1", "Type of report", "Adverse event"),
            Field("B2", "Outcome attributed to adverse event", "; ".join(_outcomes(event))),
            Field("B3", "Date of event", fda_date(event.onset)),
            Field("B4", "Date of this report", fda_date(today)),
            Field("B5", "Describe event, problem or product use error", _narrative(event)),
            Field(
                "B6",
                "Relevant tests/laboratory data, including dates",
                event.relevant_tests or NI,
            ),
            Field(
                "B7",
                "Other relevant history, including pre-existing medical conditions",
                " ".join(history) or NI,
            ),
        ),
    )


def _suspect_product_section(event: AdverseEvent) -> Section:
    """D: the product, dose, dates of use, lots and NDCs of the session's vials."""
    session = event.session
    vials = _vials(session)
    sizes = sorted({v.size_units for v in vials})
    first = (
        Session.objects.filter(patient=event.patient, status=SessionStatus.COMPLETED)
        .order_by("date")
        .values_list("date", flat=True)
        .first()
    )
    strength = " and ".join(f"{s} Units/vial" for s in sizes) if sizes else f"strength {NI}"
    return Section(
        "D",
        "Suspect product",
        (
            Field("D1", "Name, strength, manufacturer", f"{PRODUCT}, {strength}, {MANUFACTURER}"),
            Field(
                "D2",
                "Dose or amount, frequency, route",
                (
                    f"{session.total_units} Units ({session.sites_injected} sites, 5 Units each); "
                    "every 12 weeks; intramuscular"
                    if session
                    else f"{NI}; every 12 weeks; intramuscular"
                ),
            ),
            Field(
                "D3",
                "Dates of use (from/to)",
                f"{fda_date(first)} to {fda_date(session.date)}" if session else NI,
            ),
            Field("D4", "Diagnosis or reason for use", "Chronic migraine (prophylaxis)"),
            Field("D5", "Event abated after use stopped or dose reduced", "Doesn't apply"),
            Field("D6", "Lot #", ", ".join(sorted({v.lot for v in vials})) or NI),
            Field(
                "D7",
                "Expiration date",
                ", ".join(sorted({fda_date(v.expiry) for v in vials})) or NI,
            ),
            Field("D8", "Event reappeared after reintroduction", NI),
            Field(
                "D9",
                "NDC # or unique ID",
                ", ".join(NDC_BY_VIAL_UNITS.get(s, NI) for s in sizes) or NI,
            ),
        ),
    )


def _reporter_section(reporter: User, clinic: Clinic) -> Section:
    """G: the reporter, reached through the clinic."""
    reporter_name = reporter.get_full_name() or reporter.username
    role = role_in(reporter, clinic) or ""
    contact = (
        reporter_name,
        clinic.name,
        clinic.phone,
        clinic.safety_email or reporter.email or "",
    )
    return Section(
        "G",
        "Reporter",
        (
            Field("G1", "Name, address, phone, email", "; ".join(x for x in contact if x)),
            Field("G2", "Health professional", "Yes"),
            Field("G3", "Occupation", dict(_ROLE_NAMES).get(role, role or NI)),
            Field("G4", "Also reported to", NI),
        ),
    )


_ROLE_NAMES = (
    ("physician", "Physician"),
    ("nurse", "Nurse"),
    ("clinic_admin", "Clinic administrator"),
)


def to_csv(secs: tuple[Section, ...]) -> str:
    """Two rows: the field names ("B5 Describe event, ...") and the values."""
    fields = [f for s in secs for f in s.fields]
    # Spreadsheet-safe: a reporter's text starting with "=" is shown, never run.
    return csvcells.to_csv([f.column for f in fields], [[f.value for f in fields]])


def to_pdf(
    secs: tuple[Section, ...],
    *,
    event: AdverseEvent,
    today: dt.date,
    template: str = "safety/medwatch_pdf.html",
) -> bytes:
    """The worksheet as PDF, on the paper of the patient's clinic (A4 or US Letter)."""
    html = render_to_string(
        template,
        {
            "sections": secs,
            "event": event,
            "today": today,
            "paper": event.patient.clinic.paperwork.css_page_size,
        },
    )
    return html_to_pdf(html)
