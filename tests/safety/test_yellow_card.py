"""The adverse-event report follows the clinic's country (issue 17.6): a UK clinic gets the
MHRA Yellow Card fields on A4, a US clinic FDA MedWatch 3500 on US Letter; a red flag no
clinician has assessed never comes with its seriousness filled in."""

from __future__ import annotations

import csv
import datetime as dt
import io
import shutil
import subprocess
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone

from cephalog.accounts.models import Clinic
from cephalog.audit.models import AuditEvent
from cephalog.safety import actions, medwatch, yellow_card
from cephalog.safety.models import AdverseEvent, Seriousness
from cephalog.treatment.models import Session, Vial
from tests.personas import Cast, client_for

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture
def assessed(cast: Cast, session3: Session) -> AdverseEvent:
    Vial.objects.create(
        session=session3,
        lot="C4521AB",
        expiry=session3.date + dt.timedelta(days=200),
        size_units=200,
        diluent_ml=4,
        reconstituted_at=timezone.now() - dt.timedelta(days=3),
    )
    return actions.record_adverse_event(
        patient=cast.patient,
        user=cast.physician,
        symptom="dysphagia",
        onset=session3.date + dt.timedelta(days=2),
        severity="severe",
        seriousness=[Seriousness.HOSPITALISATION],
        relatedness="possibly",
        outcome="recovering",
        session=session3,
        description="Admitted overnight for swallowing assessment.",
    )


@pytest.fixture
def unassessed(cast: Cast, session3: Session) -> AdverseEvent:
    """A red flag as the patient reports it from their phone: nobody has assessed it."""
    result = actions.report_side_effect(
        patient=cast.patient,
        symptoms=[
            actions.ReportedSymptom(
                "breathing_difficulty",
                onset=timezone.localdate(),
                severity="moderate",
                still_present=True,
            )
        ],
    )
    (event,) = result.events
    assert event.red_flag
    return event


def _fields(secs: tuple[medwatch.Section, ...]) -> dict[str, str]:
    return {f.column: f.value for s in secs for f in s.fields}


def test_the_yellow_card_has_the_cards_fields(cast: Cast, assessed: AdverseEvent) -> None:
    fields = _fields(
        yellow_card.sections(assessed, reporter=cast.physician, today=dt.date(2026, 3, 2))
    )
    assert fields["1.1 Patient initials"] == "A.Q."
    assert fields["1.7 Identification number (your practice or hospital ref.)"] == "MRN-1001"
    assert fields["2.2 Batch"] == "C4521AB"
    assert fields["2.3 Route"] == "Intramuscular"
    assert fields["2.8 Prescribed for"] == "Chronic migraine (prophylaxis)"
    assert fields["3.4 Do you consider the reaction to be serious?"] == "Yes"
    assert fields["3.5 If yes, why is it serious?"] == (
        "Resulted in hospitalisation or prolonged inpatient hospitalisation"
    )
    assert fields["3.6 Outcome"] == "Recovering"
    assert fields["6.4 Profession"] == "Doctor"
    assert fields["6.6 Date"] == "02/03/2026"
    assert "FDA" not in " ".join(fields.values())


def test_an_unassessed_red_flag_has_no_seriousness_on_either_form(
    cast: Cast, unassessed: AdverseEvent
) -> None:
    uk = _fields(yellow_card.sections(unassessed, reporter=cast.nurse, today=timezone.localdate()))
    assert uk["3.4 Do you consider the reaction to be serious?"] == medwatch.NOT_ASSESSED
    assert uk["3.5 If yes, why is it serious?"] == medwatch.NOT_ASSESSED
    us = _fields(medwatch.sections(unassessed, reporter=cast.nurse, today=timezone.localdate()))
    assert us["B2 Outcome attributed to adverse event"] == medwatch.NOT_ASSESSED
    assert "Not serious" not in " ".join(us.values())
    # Once a clinician has assessed (edited) it, the form says what they recorded.
    actions.update_adverse_event(event=unassessed, user=cast.physician, seriousness=[])
    unassessed.refresh_from_db()
    uk = _fields(yellow_card.sections(unassessed, reporter=cast.nurse, today=timezone.localdate()))
    assert uk["3.4 Do you consider the reaction to be serious?"] == "No"


@pytest.mark.skipif(not shutil.which("pdftoppm"), reason="poppler-utils not installed")
@pytest.mark.parametrize(
    ("country", "url_name", "size", "title"),
    [
        ("GB", "safety-yellow-card-pdf", "(A4)", "Yellow Card"),
        ("US", "safety-medwatch-pdf", "612 x 792 pts (letter)", "FDA Form 3500"),
    ],
)
def test_the_report_pdf_is_on_the_clinics_paper(
    cast: Cast,
    assessed: AdverseEvent,
    unassessed: AdverseEvent,
    tmp_path: Path,
    country: str,
    url_name: str,
    size: str,
    title: str,
) -> None:
    Clinic.objects.filter(pk=cast.clinic.pk).update(country=country)
    client = client_for(cast, "nurse")
    events = client.get(reverse("safety-patient-events", args=[cast.patient.pk])).content.decode()
    assert reverse(url_name, args=[assessed.pk]) in events
    for event, name in ((assessed, "assessed"), (unassessed, "red-flag-unassessed")):
        response = client.get(reverse(url_name, args=[event.pk]))
        assert response.status_code == 200
        pdf = tmp_path / f"{country}-{name}.pdf"
        pdf.write_bytes(response.content)
        info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
        assert size in info
        stem = tmp_path / f"report-{country}-{name}"
        subprocess.run(["pdftoppm", "-png", "-r", "60", str(pdf), str(stem)], check=True)
        ARTIFACTS.mkdir(exist_ok=True)
        for png in tmp_path.glob(f"report-{country}-{name}*.png"):
            shutil.copy(png, ARTIFACTS / png.name)
        text = " ".join(
            subprocess.run(
                ["pdftotext", str(pdf), "-"], capture_output=True, text=True
            ).stdout.split()
        )
        assert title in text
        if event is unassessed:
            assert "Not yet assessed by a clinician" in text
            assert "Not serious" not in text


def test_the_yellow_card_csv_and_its_audit(cast: Cast, assessed: AdverseEvent) -> None:
    response = client_for(cast, "physician").get(
        reverse("safety-yellow-card-csv", args=[assessed.pk])
    )
    header, row = list(csv.reader(io.StringIO(response.content.decode())))
    values = dict(zip(header, row, strict=True))
    assert values["2.2 Batch"] == "C4521AB"
    assert AuditEvent.objects.filter(category="yellow_card", action="export").count() == 1
    # Another clinic's event is not found; patients and admins are refused.
    for who in ("other_physician", "patient_user", "clinic_admin"):
        url = reverse("safety-yellow-card-pdf", args=[assessed.pk])
        assert client_for(cast, who).get(url).status_code in (302, 404), who
