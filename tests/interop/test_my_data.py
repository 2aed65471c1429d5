"""The patient's own downloads (/me/data/): everything cephalog holds about them."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import shutil
import subprocess
import zipfile
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse

from cephalog.audit.models import AuditEvent
from cephalog.core.time import patient_today
from cephalog.diary.actions import save_days_bulk
from cephalog.diary.models import DiaryEntry
from cephalog.domain.diary import DiaryDay
from cephalog.eligibility.actions import decide_to_start
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


needs_pdftotext = pytest.mark.skipif(
    not shutil.which("pdftotext"), reason="poppler-utils not installed"
)


def _summary_text(cast: Cast, tmp_path: Path) -> str:
    """The patient's summary PDF as she reads it (pdftotext), whitespace folded."""
    pdf = tmp_path / "summary.pdf"
    pdf.write_bytes(_get(cast, "summary"))
    text = subprocess.run(
        ["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    return " ".join(text.split())  # table cells wrap


def _a_few_days(cast: Cast) -> None:
    """A brand-new patient's first days of diary, nothing else."""
    today = patient_today(cast.patient)
    save_days_bulk(
        patient=cast.patient,
        days=[
            DiaryDay(date=today - dt.timedelta(days=i), headache_hours=0)
            if i % 2
            else DiaryDay(
                date=today - dt.timedelta(days=i), headache_hours=4.0, peak_intensity="moderate"
            )
            for i in range(1, 5)
        ],
        by=cast.patient_user,
        today=today,
        source="patient",
    )


def _physician_decides_to_start(cast: Cast) -> None:
    """Seen in clinic: the physician decides to start before the diary shows enough."""
    decide_to_start(
        patient=cast.patient,
        policy_name=cast.clinic.default_policy,
        by=cast.physician,
        on=patient_today(cast.patient),
        override_reason="Seen in clinic: chronic migraine for years, diary started late.",
    )


def _condition(bundle: dict[str, Any]) -> dict[str, Any]:
    (condition,) = (
        e["resource"]
        for e in bundle["entry"]
        if e["resource"]["resourceType"] == "Condition"
        and e["resource"]["code"]["text"] == "Chronic migraine"
    )
    return condition


@needs_pdftotext
def test_the_summary_names_the_protocol_as_staff_see_it(
    rich: Rich, cast: Cast, tmp_path: Path
) -> None:
    text = _summary_text(cast, tmp_path)
    assert "PREEMPT 155 U" in text
    assert "preempt-155" not in text  # the stored key means nothing to a patient


@needs_pdftotext
def test_questionnaire_bands_are_named_not_coded(rich: Rich, cast: Cast, tmp_path: Path) -> None:
    """HIT-6 66 and MIDAS 30: "Severe impact" and "Grade IV: severe disability", on her
    summary and on the clinic's outcomes page, never the stored "severe_impact"."""
    text = _summary_text(cast, tmp_path)
    assert "Severe impact" in text
    assert "Grade IV: severe disability" in text
    assert "severe_impact" not in text
    page = client_for(cast, "physician").get(reverse("outcomes-patient", args=[cast.patient.pk]))
    html = page.content.decode()
    assert '<td data-label="Band / grade">Severe impact</td>' in html
    assert "severe_impact" not in html


@needs_pdftotext
def test_a_new_patients_summary_states_no_diagnosis_and_no_before_treatment_row(
    cast: Cast, tmp_path: Path
) -> None:
    _a_few_days(cast)
    text = _summary_text(cast, tmp_path)
    # Nobody has screened her: no diagnosis, no code, but her few days are there.
    assert "Chronic migraine" not in text
    assert "G43" not in text
    assert "None yet. The clinic makes a diagnosis after it has looked at your diary" in text
    assert "4 days recorded" in text
    # No treatment: the "before treatment" row would only repeat the latest 28 days.
    assert "Latest 28 days" in text
    assert "Before treatment" not in text
    assert "No treatment yet, so there is nothing from before treatment to compare with" in text


@needs_pdftotext
def test_the_summary_states_the_diagnosis_once_a_physician_decided_to_start(
    cast: Cast, tmp_path: Path
) -> None:
    _a_few_days(cast)
    _physician_decides_to_start(cast)
    text = _summary_text(cast, tmp_path)
    assert "Chronic migraine (ICD-10-CM G43.709" in text
    assert "Before treatment" not in text  # decided, but not treated yet


@needs_pdftotext
def test_a_treated_patients_summary_has_the_diagnosis_and_the_before_treatment_row(
    rich: Rich, cast: Cast, tmp_path: Path
) -> None:
    text = _summary_text(cast, tmp_path)
    assert "Chronic migraine (ICD-10-CM G43.719" in text
    assert "Before treatment (baseline)" in text
    assert "Latest 28 days" in text
    assert "No treatment yet" not in text


def test_the_fhir_condition_is_provisional_until_the_clinic_establishes_it(
    cast: Cast,
) -> None:
    _a_few_days(cast)
    condition = _condition(json.loads(_get(cast, "fhir")))
    assert condition["verificationStatus"]["coding"][0]["code"] == "provisional"
    _physician_decides_to_start(cast)
    bundle = json.loads(_get(cast, "fhir"))
    assert fhir.validation_problems(bundle) == []
    assert _condition(bundle)["verificationStatus"]["coding"][0]["code"] == "confirmed"


def test_a_treated_patients_fhir_condition_is_confirmed(rich: Rich, cast: Cast) -> None:
    condition = _condition(json.loads(_get(cast, "fhir")))
    assert condition["verificationStatus"]["coding"][0]["code"] == "confirmed"


def test_it_zips_everything_with_a_readme(rich: Rich, cast: Cast) -> None:
    archive = zipfile.ZipFile(io.BytesIO(_get(cast, "all")))
    assert set(archive.namelist()) == {"README.txt"} | {
        d.file_name for d in DOWNLOADS if d.key != "all"
    }
    assert archive.read("summary.pdf").startswith(b"%PDF")
    readme = archive.read("README.txt").decode()
    # In her words: what each file is and what opens it; the pointer for IT last and short.
    assert "cephalog's source" not in readme
    for download in DOWNLOADS:
        if download.key != "all":
            assert f"{download.file_name} - {download.title}" in readme
    assert "Opens in any PDF reader" in readme
    assert "Opens in a spreadsheet program: Excel" in readme
    assert "Give it to another clinic if they ask for your record" in readme
    it_part = readme.index("For a clinic's IT team")
    assert readme.index("FHIR R4") > it_part
    assert readme.index("docs/fhir.md") > it_part
    assert len(readme[it_part:].splitlines()) <= 2


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
