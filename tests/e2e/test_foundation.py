"""The two journeys every later capability stands on."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import DESKTOP, PHONE, check_accessibility, screenshot
from tests.personas import PASSWORD, Cast


@pytest.fixture
def cast_db(transactional_db: None) -> Cast:
    from tests.personas import make_cast

    return make_cast()


def test_it_shows_the_physician_their_patient_list(page: Page, login: Any, cast_db: Cast) -> None:
    page.set_viewport_size(DESKTOP)
    login("dr-house", PASSWORD)
    expect(page.get_by_role("heading", name="Patients")).to_be_visible()
    expect(page.get_by_role("link", name="Quill, Ada")).to_be_visible()
    expect(page.get_by_text("Vantablack")).to_have_count(0)
    check_accessibility(page)
    screenshot(page, "physician-patient-list")
    page.get_by_role("link", name="Quill, Ada").click()
    expect(page.get_by_role("heading", name="Ada Quill")).to_be_visible()
    check_accessibility(page)


def test_it_shows_a_patient_their_home_on_a_phone(page: Page, login: Any, cast_db: Cast) -> None:
    page.set_viewport_size(PHONE)
    login("ada", PASSWORD)
    expect(page.get_by_role("heading", name="Hello Ada")).to_be_visible()
    check_accessibility(page)
    # Nothing overflows sideways at phone width.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(page, "patient-home-phone")
