"""The clinic's country chooses its letters and paper (issue 17.6): a UK clinic writes a
NICE TA260 funding/continuation letter and a GP letter on A4; a US clinic a prior-
authorisation letter on US Letter. Each PDF is rasterised (kept in test-artifacts/ for a
person to look at) and read back with pdftotext."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from pathlib import Path

import pytest
import time_machine
from django.test import Client

from cephalog.accounts.models import Clinic, User
from cephalog.audit.models import AuditEvent
from cephalog.demo.load import load_demo
from cephalog.patients.models import Patient
from tests.personas import login_client

TODAY = dt.date(2026, 6, 30)
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(not shutil.which("pdftoppm"), reason="poppler-utils not installed"),
]


@pytest.fixture
def demo() -> Patient:
    """The demo clinic (UK, NICE TA260) and its patient mid-treatment (4 sessions)."""
    with time_machine.travel(dt.datetime(2026, 6, 30, 12, tzinfo=dt.UTC), tick=False):
        load_demo(n_patients=3, seed=1, today=TODAY)
    patient = Patient.objects.get(user__username="patient")
    Patient.objects.filter(pk=patient.pk).update(
        gp_practice="Dr J Okonkwo\nPark Lane Surgery\n2 Park Lane\nLeeds LS1 2AB"
    )
    Clinic.objects.filter(pk=patient.clinic_id).update(
        address="Headache Unit, Level 2\n1 Infirmary Street\nLeeds LS1 3EX"
    )
    return Patient.objects.select_related("clinic").get(pk=patient.pk)


def _pdf(
    client: Client, patient: Patient, query: str, name: str, tmp_path: Path
) -> tuple[str, str]:
    with time_machine.travel(dt.datetime(2026, 6, 30, 12, tzinfo=dt.UTC), tick=False):
        response = client.get(f"/clinic/patients/{patient.pk}/eligibility/letter.pdf?{query}")
    assert response.status_code == 200
    assert response.content.startswith(b"%PDF")
    pdf = tmp_path / f"{name}.pdf"
    pdf.write_bytes(response.content)
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    subprocess.run(["pdftoppm", "-png", "-r", "60", str(pdf), str(tmp_path / name)], check=True)
    ARTIFACTS.mkdir(exist_ok=True)
    for png in sorted(tmp_path.glob(f"{name}*.png")):
        shutil.copy(png, ARTIFACTS / f"letter-{png.name}")
    text = subprocess.run(
        ["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    return info, " ".join(text.split())  # lines wrap where the page is full


def _physician() -> Client:
    return login_client(Client(), User.objects.get(username="physician"))


def test_a_uk_clinic_writes_a_nice_continuation_letter_on_a4(demo: Patient, tmp_path: Path) -> None:
    client = _physician()
    page = client.get(f"/clinic/patients/{demo.pk}/eligibility/letter/").content.decode()
    assert "Funding and continuation letter (NICE TA260)" in page
    assert "Letter to the GP" in page
    assert "Prior-authorisation" not in page
    info, text = _pdf(client, demo, "kind=continuation", "uk-continuation", tmp_path)
    assert "(A4)" in info
    for expected in (
        "Continuation of onabotulinumtoxinA",
        "NICE TA260",
        "Integrated Care Board",
        "NHS number",
        "4 treatment sessions given",
        "30% reduction",
        "Recommendation under NICE TA260",
        "1 Infirmary Street",
        "Alex Morgan",
        "GMC number",
    ):
        assert expected in text, expected
    # No US paperwork in a UK letter.
    for absent in ("CPT", "HCPCS", "NPI", "ICD-10-CM", "prior authorisation"):
        assert absent not in text, absent
    rows = AuditEvent.objects.filter(category="continuation_letter", action="export")
    assert sorted(r.detail["format"] for r in rows) == ["html", "pdf"]
    assert {r.detail["letter"] for r in rows} == {"continuation"}


def test_a_uk_clinic_writes_to_the_gp(demo: Patient, tmp_path: Path) -> None:
    info, text = _pdf(_physician(), demo, "kind=gp", "uk-gp", tmp_path)
    assert "(A4)" in info
    for expected in (
        "Park Lane Surgery",
        "Dear Doctor",
        "chronic migraine",
        "155 units into 31 sites",
        "4 sessions given",
        "aminoglycoside antibiotics",
        "swallowing, speaking or breathing",
        "Yours sincerely",
    ):
        assert expected in text, expected
    assert "CPT" not in text


def test_a_us_clinic_writes_a_prior_authorisation_on_us_letter(
    demo: Patient, tmp_path: Path
) -> None:
    Clinic.objects.filter(pk=demo.clinic_id).update(country="US")
    client = _physician()
    # A UK letter asked of a US clinic is its own letter instead.
    info, text = _pdf(client, demo, "kind=continuation&policy=us-payer", "us-pa", tmp_path)
    assert "612 x 792 pts (letter)" in info
    for expected in ("prior authorisation", "ICD-10-CM", "64615", "J0585", "NPI"):
        assert expected in text, expected
    assert "NICE TA260" not in text.split("Eligibility")[0]
