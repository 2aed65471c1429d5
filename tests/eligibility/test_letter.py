"""The prior-authorisation letter carries the patient's real figures, as HTML and as a PDF
(rendered, rasterised with pdftoppm and read back with pdftotext)."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from pathlib import Path

import pytest

from cephalog.accounts.models import Clinic
from cephalog.audit.models import AuditEvent
from cephalog.core.pdf import data_only_fetcher
from cephalog.core.pdf import html_to_pdf as render_pdf
from cephalog.eligibility import actions
from cephalog.patients.models import Patient
from tests.personas import Cast, client_for

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture
def us_clinic(cast: Cast) -> Cast:
    """The prior-authorisation letter is a United States clinic's (issue 17.6)."""
    Clinic.objects.filter(pk=cast.clinic.pk).update(country="US")
    cast.clinic.refresh_from_db()
    cast.patient.clinic.refresh_from_db()
    return cast


def test_it_writes_the_letter_with_the_patients_figures(
    us_clinic: Cast, cast: Cast, overuse_case: dt.date
) -> None:
    cast.physician.first_name, cast.physician.last_name = "Gregory", "House"
    cast.physician.save()
    url = f"/clinic/patients/{cast.patient.pk}/eligibility/letter/?policy=us-payer"
    html = client_for(cast, "physician").get(url).content.decode()
    assert "G43.709" in html
    assert "Chronic migraine without aura, not intractable, without status migrainosus" in html
    assert "4 Mar 2026 to 31 Mar 2026" in html
    assert "28 of 28 days recorded (compliance 100%)" in html
    assert '<th scope="row">Headache days</th><td>20</td><td>20.0</td>' in html
    assert '<th scope="row">Migraine days</th><td>13</td><td>13.0</td>' in html
    assert "Preventive treatments tried and failed (3)" in html
    for name, cls, length in (
        ("topiramate", "Antiepileptic", "3.5 months"),
        ("propranolol", "Beta blocker", "4 weeks"),
        ("amitriptyline", "Antidepressant", "3.6 months"),
    ):
        assert f"<td>{name}</td><td>{cls}</td>" in html
        assert length in html
    assert (
        "candesartan" not in html.split("Preventive treatments")[1].split("Medication overuse")[0]
    )
    assert "overuse (triptan)" in html
    assert "155 units intramuscularly, 5 units into each of 31 fixed sites" in html
    assert "every 12 weeks" in html
    assert "CPT 64615</td>" in html
    assert "HCPCS J0585</td>" in html
    assert "HCPCS J0585-JW</td>" in html
    assert "<td>155</td>" in html
    assert "<td>45</td>" in html
    assert "Gregory House" in html


def test_it_chooses_the_icd10_code_from_aura_intractability_and_status(
    us_clinic: Cast, cast: Cast, overuse_case: dt.date
) -> None:
    actions.update_history(
        patient=cast.patient,
        by=cast.nurse,
        today=overuse_case,
        migraine_onset_year=2001,
        migraine_with_aura=True,
        chronic_headache_since=dt.date(2024, 6, 1),
        intractable=True,
        status_migrainosus=False,
    )
    url = f"/clinic/patients/{cast.patient.pk}/eligibility/letter/"
    html = client_for(cast, "nurse").get(url).content.decode()
    assert "G43.E19" in html
    assert "Migraine since 2001" in html
    # A nurse prepares it; the clinic's physician signs.
    assert "dr-house" in html


@pytest.mark.skipif(not shutil.which("pdftoppm"), reason="poppler-utils not installed")
def test_it_renders_the_letter_as_a_pdf(
    us_clinic: Cast, cast: Cast, overuse_case: dt.date, tmp_path: Path
) -> None:
    url = f"/clinic/patients/{cast.patient.pk}/eligibility/letter.pdf?policy=us-payer"
    response = client_for(cast, "physician").get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Cache-Control"] == "no-store"
    assert response.content.startswith(b"%PDF")
    pdf = tmp_path / "letter.pdf"
    pdf.write_bytes(response.content)

    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True)
    pages = int(next(x for x in info.stdout.splitlines() if x.startswith("Pages:")).split()[1])
    assert 1 <= pages <= 2
    assert "612 x 792 pts (letter)" in info.stdout

    subprocess.run(["pdftoppm", "-png", "-r", "70", str(pdf), str(tmp_path / "letter")], check=True)
    pngs = sorted(tmp_path.glob("letter*.png"))
    assert len(pngs) == pages
    ARTIFACTS.mkdir(exist_ok=True)
    for png in pngs:  # kept for a person to look at
        shutil.copy(png, ARTIFACTS / f"eligibility-{png.name}")

    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    for expected in (
        "G43.709",
        "Leeds Headache Centre",
        "Ada Quill",
        "4 Mar 2026 to 31 Mar 2026",
        "compliance 100%",
        "Headache days",
        "20.0",
        "13.0",
        "topiramate",
        "propranolol",
        "amitriptyline",
        "64615",
        "J0585-JW",
        "dr-house",
    ):
        assert expected in text, expected


def test_a_uk_clinic_prints_on_a4(cast: Cast, overuse_case: dt.date, tmp_path: Path) -> None:
    # A name with a quote and markup reaches the running footer as text, nothing else.
    Patient.objects.filter(pk=cast.patient.pk).update(family_name='O\'Quill "</style>"')
    url = f"/clinic/patients/{cast.patient.pk}/eligibility/letter.pdf?paper=letter"
    pdf = tmp_path / "a4.pdf"
    pdf.write_bytes(client_for(cast, "physician").get(url).content)
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True)
    assert "(A4)" in info.stdout
    text = subprocess.run(
        ["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert 'Ada O\'Quill "</style>" · MRN-1001' in text


def test_it_never_fetches_anything_outside_the_document(monkeypatch: pytest.MonkeyPatch) -> None:
    import urllib.request

    def no_network(*args: object, **kwargs: object) -> None:
        raise AssertionError("the PDF renderer tried to open a URL")

    fetcher = data_only_fetcher()
    for url in ("http://127.0.0.1:9/x.png", "file:///etc/passwd", "https://example.org/a.css"):
        with pytest.raises(ValueError, match="only data: URIs"):
            fetcher.fetch(url)
    assert fetcher.fetch("data:text/plain,hello").read() == b"hello"
    monkeypatch.setattr(urllib.request.OpenerDirector, "open", no_network)
    pdf = render_pdf(
        '<link rel="stylesheet" href="file:///etc/passwd">'
        '<img src="http://127.0.0.1:9/x.png" alt="x"><p>Letter</p>'
    )
    assert pdf.startswith(b"%PDF")


def test_it_audits_the_letter_as_an_export(
    us_clinic: Cast, cast: Cast, overuse_case: dt.date
) -> None:
    base = f"/clinic/patients/{cast.patient.pk}/eligibility/"
    client = client_for(cast, "physician")
    client.get(base + "letter/")
    client.get(base + "letter.pdf")
    rows = AuditEvent.objects.filter(category="prior_auth_letter", action="export")
    assert sorted(r.detail["format"] for r in rows) == ["html", "pdf"]
    assert {r.patient_id for r in rows} == {cast.patient.pk}
    assert {r.user_id for r in rows} == {cast.physician.pk}


def test_only_physicians_who_can_sign_in_are_offered_as_prescriber(
    us_clinic: Cast, cast: Cast, overuse_case: dt.date
) -> None:
    """A colleague invited but never signed in (no password chosen yet) and a disabled login
    cannot sign a letter: the clinic expects its active physicians only."""
    from cephalog.accounts.models import Membership, Role, User

    invited = User(username="dr-new", first_name="Nia", last_name="Newcomer")
    invited.set_unusable_password()
    invited.save()
    left = User.objects.create_user(
        "dr-gone", password="x" * 16, first_name="Gus", last_name="Gone"
    )
    left.is_active = False
    left.save()
    for user in (invited, left):
        Membership.objects.create(user=user, clinic=cast.clinic, role=Role.PHYSICIAN)
    url = f"/clinic/patients/{cast.patient.pk}/eligibility/letter/"
    html = client_for(cast, "nurse").get(url).content.decode()
    options = html.split('id="l-prescriber"', 1)[1].split("</select>", 1)[0]
    assert "dr-house" in options
    assert "Nia Newcomer" not in options
    assert "Gus Gone" not in options
    chosen = client_for(cast, "nurse").get(f"{url}?prescriber={invited.pk}").content.decode()
    assert "Nia Newcomer" not in chosen
