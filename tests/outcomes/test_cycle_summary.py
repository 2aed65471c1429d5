"""The one-page cycle summary (HTML and PDF) and the renewal letter, with real figures.

The PDFs are turned into PNGs (`pdftoppm -png -r 70`, copied to
test-artifacts/outcomes-pdf-*.png to be looked at) and text (`pdftotext`)."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from cephalog.audit.models import AuditEvent
from cephalog.core.pdf import data_only_fetcher
from cephalog.outcomes import actions
from cephalog.safety.models import AdverseEvent
from tests.outcomes.helpers import SECOND_SESSION, write_history
from tests.personas import Cast, client_for

NOW = dt.datetime(2026, 5, 12, 10, 0, tzinfo=dt.UTC)
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture
def summary_cast(cast: Cast, time_machine: Any) -> Cast:
    time_machine.move_to(NOW, tick=False)
    write_history(cast.patient)
    AdverseEvent.objects.create(
        patient=cast.patient,
        symptom="neck_pain",
        onset=SECOND_SESSION + dt.timedelta(days=2),
        severity="mild",
    )
    for instrument, items, day in (
        (
            "hit6",
            dict.fromkeys(("hit6_1", "hit6_2", "hit6_3", "hit6_4", "hit6_5", "hit6_6"), 11),
            1,
        ),
        (
            "hit6",
            {"hit6_1": 10, "hit6_2": 10, "hit6_3": 8, "hit6_4": 8, "hit6_5": 8, "hit6_6": 10},
            90,
        ),
        ("midas", {"midas_1": 6, "midas_2": 8, "midas_3": 5, "midas_4": 4, "midas_5": 3}, 1),
        ("midas", {"midas_1": 1, "midas_2": 2, "midas_3": 1, "midas_4": 2, "midas_5": 1}, 90),
    ):
        actions.record_questionnaire(
            patient=cast.patient,
            by=cast.nurse,
            instrument=instrument,
            items=items,
            completed_on=dt.date(2025, 10, 27) + dt.timedelta(days=day),
            source="staff",
        )
    actions.record_decision(
        patient=cast.patient,
        by=cast.physician,
        decision="continue",
        reason="Half the headache days; wants to continue.",
        policy="us-payer",
    )
    return cast


def base(cast: Cast) -> str:
    return f"/clinic/patients/{cast.patient.pk}/"


def test_it_shows_the_cycle_with_real_figures(summary_cast: Cast) -> None:
    html = client_for(summary_cast, "nurse").get(
        base(summary_cast) + "cycle-summary/?policy=us-payer"
    )
    assert html.status_code == 200
    page = html.content.decode()
    assert "Cycle summary: cycle 2" in page
    for text in (
        "20",  # baseline headache days per 28
        "10",  # cycle 2
        "50% fewer",
        "≥50%: <strong>Yes</strong>",
        "Neck pain",
        "Acute-medication days per 28",
        "HIT-6",
        "66",  # first HIT-6 total
        "54",
        "MIDAS",
        "Decision:</strong> Continue as before",
        "Half the headache days",
        "due 21 Apr 2026",
    ):
        assert text in page, text


@pytest.mark.skipif(not shutil.which("pdftoppm"), reason="poppler-utils not installed")
@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (
            "cycle-summary.pdf",
            ["Cycle summary: cycle 2", "50% fewer", "Neck pain", "HIT-6", "Decision:", "Next session:"],
        ),
        (
            "renewal-letter.pdf",
            ["Request for continued authorisation", "a reduction of 50%", "20", "10",
             "meets the 50% reduction", "neck pain"],
        ),
    ],
)  # fmt: skip
def test_the_pdfs_render_on_one_page_with_the_figures(
    summary_cast: Cast, tmp_path: Path, name: str, expected: list[str]
) -> None:
    response = client_for(summary_cast, "clinic_admin").get(
        base(summary_cast) + name + "?policy=us-payer"
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    pdf = tmp_path / name
    pdf.write_bytes(response.content)
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True, text=True
    ).stdout
    for phrase in expected:
        assert phrase in text, (phrase, text)
    assert summary_cast.patient.full_name in text
    subprocess.run(["pdftoppm", "-png", "-r", "70", str(pdf), str(tmp_path / "page")], check=True)
    pages = sorted(tmp_path.glob("page*.png"))
    assert len(pages) == 1, pages  # one page
    ARTIFACTS.mkdir(exist_ok=True)  # kept to be looked at
    shutil.copy(pages[0], ARTIFACTS / f"outcomes-pdf-{name.removesuffix('.pdf')}.png")
    assert AuditEvent.objects.filter(action="export", object_ref=name).exists()


def test_the_pdf_renderer_fetches_nothing_but_data_uris() -> None:
    fetcher = data_only_fetcher()
    with pytest.raises(ValueError, match="only data"):
        fetcher.fetch("file:///etc/passwd")
    with pytest.raises(ValueError, match="only data"):
        fetcher.fetch("http://example.org/x.png")
    response = fetcher.fetch("data:text/plain,hello")
    assert response is not None


def test_a_patient_without_sessions_gets_a_summary_without_figures(cast: Cast) -> None:
    base_url = f"/clinic/patients/{cast.other_patient.pk}/"
    client = client_for(cast, "physician")
    page = client.get(base_url + "cycle-summary/")
    assert page.status_code == 200
    assert "Cycle summary" in page.content.decode()
    for name in ("cycle-summary.pdf", "renewal-letter.pdf"):
        response = client.get(base_url + name)
        assert response.status_code == 200
        assert response.content.startswith(b"%PDF")
    letter = client.get(base_url + "outcomes/").content.decode()
    assert "No completed session yet" in letter


def test_the_recommendation_reads_as_sentences(cast: Cast) -> None:
    """ "Too early to judge. no complete cycle …": each sentence starts with a capital and
    ends with a full stop."""
    from cephalog.treatment.models import Session, SessionStatus

    Session.objects.create(
        patient=cast.patient,
        date=dt.date(2026, 3, 2),
        status=SessionStatus.COMPLETED,
        total_units=155,
        sites_injected=31,
    )
    page = client_for(cast, "physician").get(base(cast) + "cycle-summary/").content.decode()
    paragraph = re.search(r"<p><strong>Recommendation \(.*?</p>", page)
    assert paragraph is not None
    text = re.sub(r"<[^>]+>", "", paragraph.group(0))
    assert re.search(r"\. [a-z]", text) is None, text
    assert text.endswith("."), text
    assert not text.endswith(".."), text


@pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler-utils not installed")
def test_the_summary_and_the_letter_write_dates_for_people(
    summary_cast: Cast, tmp_path: Path
) -> None:
    """The one-page summary read "Baseline 2025-10-07 to 2025-11-03" and "due 21 Apr 2026;
    earliest allowed 2026-04-21"; the renewal letter's table headed its columns with ISO
    dates too."""
    import re

    iso = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
    page = client_for(summary_cast, "nurse").get(
        base(summary_cast) + "cycle-summary/?policy=us-payer"
    )
    html = page.content.decode()
    body = html[html.index('<p class="meta">') : html.index("</main>")]
    text = re.sub(r"<[^>]+>", " ", body)
    assert not iso.search(text), iso.findall(text)
    assert re.search(r"Baseline \d{1,2} [A-Z][a-z]{2} \d{4} to \d{1,2} [A-Z][a-z]{2} \d{4}", text)
    for name in ("cycle-summary.pdf", "renewal-letter.pdf"):
        response = client_for(summary_cast, "physician").get(
            base(summary_cast) + name + "?policy=us-payer"
        )
        pdf = tmp_path / name
        pdf.write_bytes(response.content)
        pdf_text = subprocess.run(
            ["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True, text=True
        ).stdout
        assert not iso.search(pdf_text), (name, iso.findall(pdf_text))
