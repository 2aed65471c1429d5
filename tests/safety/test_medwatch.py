"""MedWatch-style export (FDA 3500 fields) as CSV and PDF."""

from __future__ import annotations

import csv
import datetime as dt
import io
import subprocess
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone

from cephalog.core.pdf import data_only_fetcher
from cephalog.safety import actions, medwatch
from cephalog.safety.models import AdverseEvent, Seriousness
from cephalog.treatment.models import Session, Vial
from tests.personas import Cast, client_for

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture
def event(cast: Cast, session3: Session) -> AdverseEvent:
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
        relevant_tests="Videofluoroscopy normal.",
    )


def test_the_csv_has_the_form_field_names(cast: Cast, event: AdverseEvent) -> None:
    response = client_for(cast, "physician").get(reverse("safety-medwatch-csv", args=[event.pk]))
    assert response["Content-Type"].startswith("text/csv")
    header, values = list(csv.reader(io.StringIO(response.content.decode())))
    row = dict(zip(header, values, strict=True))
    for name in (
        "A1 Patient identifier (in confidence)",
        "A2 Age at time of event (years)",
        "A3 Sex",
        "A4 Weight",
        "B2 Outcome attributed to adverse event",
        "B3 Date of event",
        "B4 Date of this report",
        "B5 Describe event, problem or product use error",
        "B6 Relevant tests/laboratory data, including dates",
        "B7 Other relevant history, including pre-existing medical conditions",
        "D1 Name, strength, manufacturer",
        "D2 Dose or amount, frequency, route",
        "D3 Dates of use (from/to)",
        "D4 Diagnosis or reason for use",
        "D6 Lot #",
        "D7 Expiration date",
        "E Suspect medical device",
        "G1 Name, address, phone, email",
    ):
        assert name in row, name
    assert row["A1 Patient identifier (in confidence)"] == "A.Q."
    assert row["B2 Outcome attributed to adverse event"].startswith("Hospitalisation")
    assert row["B3 Date of event"] == medwatch.fda_date(event.onset)
    assert row["D6 Lot #"] == "C4521AB"
    assert "200 Units/vial" in row["D1 Name, strength, manufacturer"]
    assert row["D9 NDC # or unique ID"] == "0023-3921-02"
    assert "155 Units" in row["D2 Dose or amount, frequency, route"]
    assert row["E Suspect medical device"] == "Not applicable"
    assert "2 days after" in row["B5 Describe event, problem or product use error"]
    body = response.content.decode()
    for secret in ("Ada", "Quill", "MRN-1001"):
        assert secret not in body


def test_the_pdf_renders(cast: Cast, event: AdverseEvent) -> None:
    response = client_for(cast, "nurse").get(reverse("safety-medwatch-pdf", args=[event.pk]))
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    ARTIFACTS.mkdir(exist_ok=True)
    pdf = ARTIFACTS / "medwatch.pdf"
    pdf.write_bytes(response.content)
    subprocess.run(
        [
            "pdftoppm",
            "-png",
            "-r",
            "60",
            "-f",
            "1",
            "-l",
            "1",
            str(pdf),
            str(ARTIFACTS / "medwatch"),
        ],
        check=True,
    )
    png = next(ARTIFACTS.glob("medwatch-*1.png"))
    assert png.stat().st_size > 10_000  # a page with text, not a blank one


def test_the_pdf_fetcher_refuses_everything_but_data_uris() -> None:
    fetcher = data_only_fetcher()
    for url in ("http://example.org/x.css", "file:///etc/passwd", "https://example.org/logo.png"):
        with pytest.raises(ValueError, match="refused|disallowed"):
            fetcher.fetch(url)
    assert fetcher.fetch("data:text/plain,hello") is not None
