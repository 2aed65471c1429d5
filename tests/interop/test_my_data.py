"""The patient's own downloads (/me/data/): everything cephalog holds about them."""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from django.urls import reverse

from cephalog.audit.models import AuditEvent
from cephalog.diary.models import DiaryEntry
from cephalog.interop import fhir
from cephalog.interop.portability import DOWNLOADS
from cephalog.safety.models import AdverseEvent
from cephalog.treatment.models import Session
from tests.interop.conftest import Rich
from tests.personas import STAFF, Cast, assert_refused, client_for


def _get(cast: Cast, key: str) -> bytes:
    response = client_for(cast, "patient_user").get(reverse("my-data-download", args=[key]))
    assert response.status_code == 200, key
    assert response["Content-Disposition"].startswith("attachment; filename=")
    return response.content


def test_it_lists_every_download_on_the_patients_page(cast: Cast) -> None:
    page = client_for(cast, "patient_user").get(reverse("my-data"))
    assert page.status_code == 200
    html = page.content.decode()
    for download in DOWNLOADS:
        assert reverse("my-data-download", args=[download.key]) in html
    # In her words: the page to print first, and what a CSV file is.
    assert html.index("Summary to print (PDF)") < html.index("Diary (spreadsheet, CSV)")
    assert "Spreadsheet files (CSV) open in Excel" in html
    assert "FHIR R4" not in html


def test_it_gives_the_patient_their_files(rich: Rich, cast: Cast) -> None:
    sessions = list(csv.DictReader(io.StringIO(_get(cast, "sessions").decode())))
    assert [(s["date"], s["units_given"], s["sites_injected"]) for s in sessions] == [
        ("2026-03-10", "160", "32")
    ]
    assert "lot C1234AB exp 2026-09-30" in sessions[0]["vials"]
    questionnaires = list(csv.DictReader(io.StringIO(_get(cast, "questionnaires").decode())))
    assert {(q["instrument"], q["total"]) for q in questionnaires} == {
        ("hit6", "66"),
        ("midas", "30"),
    }
    events = list(csv.DictReader(io.StringIO(_get(cast, "adverse-events").decode())))
    assert {e["symptom"] for e in events} == {
        e.symptom_label for e in AdverseEvent.objects.filter(patient=cast.patient)
    }
    assert len(events) == 2
    days = _get(cast, "diary").decode()
    assert days.count("\r\n") == 1 + DiaryEntry.objects.filter(patient=cast.patient).count()
    bundle = json.loads(_get(cast, "fhir"))
    assert fhir.validation_problems(bundle) == []
    assert _get(cast, "summary").startswith(b"%PDF")


@pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler-utils not installed")
def test_the_summary_names_the_protocol_as_staff_see_it(
    rich: Rich, cast: Cast, tmp_path: Path
) -> None:
    pdf = tmp_path / "summary.pdf"
    pdf.write_bytes(_get(cast, "summary"))
    text = subprocess.run(
        ["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    text = " ".join(text.split())  # table cells wrap
    assert "PREEMPT 155 U" in text
    assert "preempt-155" not in text  # the stored key means nothing to a patient


def test_it_zips_everything_with_a_readme(rich: Rich, cast: Cast) -> None:
    archive = zipfile.ZipFile(io.BytesIO(_get(cast, "all")))
    assert set(archive.namelist()) == {"README.txt"} | {
        d.file_name for d in DOWNLOADS if d.key != "all"
    }
    assert archive.read("summary.pdf").startswith(b"%PDF")


def test_it_makes_formula_like_text_harmless_in_spreadsheets(rich: Rich, cast: Cast) -> None:
    Session.objects.filter(pk=rich.session.pk).update(notes='=HYPERLINK("https://evil")')
    sessions = list(csv.DictReader(io.StringIO(_get(cast, "sessions").decode())))
    assert sessions[0]["notes"] == '\'=HYPERLINK("https://evil")'


def test_it_audits_each_download(cast: Cast) -> None:
    _get(cast, "sessions")
    event = AuditEvent.objects.get(category="portability")
    assert (event.action, event.object_ref, event.username) == ("export", "my-data:sessions", "ada")


def test_it_is_for_the_patient_alone(cast: Cast) -> None:
    for url in (reverse("my-data"), reverse("my-data-download", args=["fhir"])):
        assert_refused(cast, url, ["anonymous", *STAFF, "other_physician"])
    other = client_for(cast, "other_patient_user").get(reverse("my-data-download", args=["fhir"]))
    assert str(cast.patient.pk) not in other.content.decode()
    assert client_for(cast, "patient_user").get("/me/data/nothing/").status_code == 404
