"""Diary files in a browser: a nurse imports a Migraine Buddy export with htmx (the
result replaces the form without a reload), a broken file lists its problems, and a
patient downloads their diary. Pages are checked with axe-core at phone width."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from cephalog.diary.models import DiaryEntry
from tests.e2e.conftest import PHONE, check_accessibility, screenshot, sign_in
from tests.personas import Cast

FIXTURE = Path(__file__).resolve().parents[1] / "diary" / "fixtures" / "migraine_buddy_export.csv"
APP_EXPORTS = FIXTURE.parent / "migraine_buddy"


@pytest.fixture
def cast_db(transactional_db: None) -> Cast:
    from tests.personas import make_cast

    return make_cast()


def no_overflow(page: Page) -> None:
    """No sideways scrolling at 360 and 390 px."""
    for width in (360, 390):
        page.set_viewport_size({"width": width, "height": 800})
        assert page.evaluate("document.documentElement.scrollWidth") <= width


def test_it_imports_a_migraine_buddy_export_in_the_browser(
    page: Page, live_server: Any, cast_db: Cast, login: Callable[[str, str], Page]
) -> None:
    page.set_viewport_size(PHONE)
    sign_in(page, live_server.url, "nurse-joy")
    page.goto(f"{live_server.url}/clinic/patients/{cast_db.patient.pk}/diary-data/import/")
    check_accessibility(page)
    no_overflow(page)
    page.get_by_label("Migraine Buddy export (CSV)").check()
    page.get_by_label("CSV file").set_input_files(str(FIXTURE))
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        page.get_by_role("button", name="Import").click()
    assert posted.value.request.headers.get("hx-request") == "true"
    expect(page.get_by_role("heading", name="Imported", exact=True)).to_be_visible()
    expect(page.get_by_text("Magnesium 400mg", exact=False).first).to_be_visible()
    check_accessibility(page)
    no_overflow(page)
    screenshot(page, "diary-import-done")
    assert DiaryEntry.objects.filter(patient=cast_db.patient).count() == 8

    # The unknown medicine gets a class chosen on the page; the same file again adds it.
    page.get_by_label("Magnesium 400mg").select_option("other")
    page.get_by_label("CSV file").set_input_files(str(FIXTURE))
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_role("heading", name="Imported", exact=True)).to_be_visible()
    expect(page.get_by_role("heading", name="Medicines not imported")).to_have_count(0)

    broken = (
        FIXTURE.read_text().replace("05h 30m", "5 fortnights").replace(",7,Left", ",eleven,Left")
    )
    page.get_by_label("CSV file").set_input_files(
        files=[{"name": "broken.csv", "mimeType": "text/csv", "buffer": broken.encode()}]
    )
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_role("heading", name="Nothing was imported")).to_be_visible()
    expect(page.get_by_text("line 2: Lasted:", exact=False)).to_be_visible()
    check_accessibility(page)
    screenshot(page, "diary-import-problems")


def test_it_lets_a_patient_download_their_diary(
    page: Page, live_server: Any, cast_db: Cast, login: Callable[[str, str], Page]
) -> None:
    page.set_viewport_size(PHONE)
    sign_in(page, live_server.url, "ada")
    page.goto(f"{live_server.url}/me/diary-data/import/")
    check_accessibility(page)
    no_overflow(page)
    with page.expect_download() as download:
        page.get_by_role("link", name="Days (CSV)").click()
    assert download.value.suggested_filename.startswith("cephalog-days-")


def test_it_asks_the_date_order_of_an_export_in_the_browser(
    page: Page, live_server: Any, cast_db: Cast, login: Callable[[str, str], Page]
) -> None:
    page.set_viewport_size(PHONE)
    sign_in(page, live_server.url, "nurse-joy")
    page.goto(f"{live_server.url}/clinic/patients/{cast_db.patient.pk}/diary-data/import/")
    page.get_by_label("Migraine Buddy export (CSV)").check()
    page.get_by_label("CSV file").set_input_files(str(APP_EXPORTS / "ambiguous_export.csv"))
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_role("heading", name="Nothing was imported")).to_be_visible()
    expect(page.get_by_text("read as month/day or as day/month", exact=False)).to_be_visible()
    page.get_by_label("Day first", exact=False).check()
    page.get_by_label("CSV file").set_input_files(str(APP_EXPORTS / "ambiguous_export.csv"))
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_role("heading", name="Imported", exact=True)).to_be_visible()
    check_accessibility(page)
    no_overflow(page)
    screenshot(page, "diary-import-date-order")
    dates = set(DiaryEntry.objects.filter(patient=cast_db.patient).values_list("date", flat=True))
    assert {d.isoformat() for d in dates} == {"2026-02-03", "2026-03-01"}
