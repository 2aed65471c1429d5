"""The FHIR import page in a browser (issue 15.3): a nurse imports a bundle in the layout
of the IPS minimal example, is asked for an MRN, then sees every entry accounted for."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from cephalog.patients.models import Patient
from tests.e2e.conftest import check_accessibility, screenshot, sign_in
from tests.personas import Cast

IPS = Path(__file__).resolve().parents[1] / "interop" / "fixtures" / "ips_minimal_layout.json"


@pytest.fixture
def cast_db(transactional_db: None) -> Cast:
    from tests.personas import make_cast

    return make_cast()


def test_a_nurse_imports_a_patient_summary_and_sees_every_entry(
    page: Page, live_server: Any, cast_db: Cast, login: Callable[[str, str], Page]
) -> None:
    page.set_viewport_size({"width": 1024, "height": 900})
    sign_in(page, live_server.url, "nurse-joy")
    page.goto(f"{live_server.url}/clinic/fhir-import/")
    check_accessibility(page)
    page.get_by_label("FHIR bundle (JSON)").set_input_files(str(IPS))
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_role("heading", name="Nothing was imported")).to_be_visible()
    expect(page.get_by_text("give one with --mrn", exact=False)).to_be_visible()
    page.get_by_label("FHIR bundle (JSON)").set_input_files(str(IPS))
    page.get_by_label("MRN in this clinic (optional)").fill("IPS-77")
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_role("heading", name="Imported", exact=True)).to_be_visible()
    table = page.get_by_role("table", name="Every entry of the bundle")
    expect(table.get_by_role("row")).to_have_count(9)  # header + 8 resource types
    expect(table.get_by_role("row", name="Composition")).to_contain_text("document's header")
    check_accessibility(page)
    screenshot(page, "fhir-import-result")
    assert Patient.objects.filter(clinic=cast_db.clinic, mrn="IPS-77").exists()
