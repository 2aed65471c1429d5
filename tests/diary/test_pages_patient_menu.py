"""One patient menu, the same on every patient page (issue 16.4)."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from tests.personas import Cast, client_for

PATIENT_PAGES = {
    "diary-home": "Today",
    "diary-calendar": "Diary",
    "diary-settings": "More",
    "my-security": "More",
    "patient-more": "More",
    "patient-calendar": "Treatment",
    "my-sessions": "Treatment",
    "care-team": "Treatment",
    "my-eligibility": "Treatment",
    "my-progress": "Progress",
    "my-questionnaires": "More",
    "my-data": "More",
    "diary-io-import": "More",
    "safety-side-effect": None,
    "safety-my-reports": "More",
}
MENU = ["Today", "Diary", "Treatment", "Progress", "More"]


@pytest.mark.parametrize(("name", "current"), PATIENT_PAGES.items())
def test_every_patient_page_has_the_same_menu_and_one_report_link(
    cast: Cast, name: str, current: str | None
) -> None:
    page = client_for(cast, "patient_user").get(reverse(name))
    assert page.status_code == 200, name
    html = page.content.decode()
    menu = re.search(r'<nav class="patient-menu" aria-label="Main">(.*?)</nav>', html, re.S)
    assert menu is not None
    labels = re.findall(r">([A-Za-z]+)</a>", menu.group(1))
    assert labels == MENU
    marked = re.findall(r'aria-current="page">([A-Za-z]+)</a>', menu.group(1))
    assert marked == ([current] if current else [])
    assert html.count('<nav aria-label="Main"') + html.count('aria-label="Main">') == 1
    assert html.count(f'href="{reverse("safety-side-effect")}"') == 1


def test_staff_keep_their_own_menu(cast: Cast) -> None:
    html = client_for(cast, "nurse").get(reverse("patient-list")).content.decode()
    assert "patient-menu" not in html
    assert "Report a side effect" not in html


def visible_text(html: str) -> str:
    html = re.sub(r"<(script|style|datalist|select|header)\b.*?</\1>", " ", html, flags=re.S)
    html = re.sub(r"<[^>]+>", " ", html)
    return re.sub(r"\s+", " ", html)


CODE = re.compile(r"\b[a-z]+_[a-z_]+\b")  # simple_analgesic, peak_intensity, hit6_1
# An example of a file's date format ("e.g. 2024-03-14") is allowed.
ISO_DATE = re.compile(r"(?<!e\.g\. )\b\d{4}-\d{2}-\d{2}\b")
TWICE = re.compile(r"\b([A-Za-z]{3,})\s+\1\b")


@pytest.mark.parametrize("name", sorted(PATIENT_PAGES))
def test_every_patient_page_speaks_plainly(cast: Cast, name: str) -> None:
    """No codes, no field paths, no ISO dates, no "0 minutes ago", no word said twice
    in a row (issue 16.7)."""
    text = visible_text(client_for(cast, "patient_user").get(reverse(name)).content.decode())
    assert not CODE.findall(text), CODE.findall(text)
    assert not ISO_DATE.findall(text), ISO_DATE.findall(text)
    assert not TWICE.findall(text), TWICE.findall(text)
    assert not re.search(r"\b0 minutes", text)
