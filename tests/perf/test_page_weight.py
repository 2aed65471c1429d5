"""The patient's diary pages stay light on a phone (issue 10): at most 100 KB on first
load, of which at most 30 KB JavaScript, counted as transferred (tests/perf/weight.py)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse

from tests.perf.data import NOW, TODAY, add_diary
from tests.perf.weight import KB, page_weight
from tests.personas import Cast, client_for
from tests.treatment.helpers import full_session

BUDGET_KB = 100
JS_BUDGET_KB = 30

PAGES = {
    "home": lambda: reverse("diary-home"),
    "calendar": lambda: reverse("diary-calendar"),
    "day": lambda: reverse("diary-day", args=[TODAY - dt.timedelta(days=1)]),
}


@pytest.fixture
def diary_patient(cast: Cast, frozen: None) -> Cast:
    """A patient two years into treatment, a check-in due and a few missed days."""
    add_diary(cast.patient, 700, before=TODAY - dt.timedelta(days=5))
    full_session(cast.patient, cast.physician, now=NOW - dt.timedelta(days=4))
    return cast


@pytest.mark.parametrize("name", sorted(PAGES))
def test_a_patient_diary_page_is_within_its_weight_budget(diary_patient: Cast, name: str) -> None:
    url = PAGES[name]()
    response = client_for(diary_patient, "patient_user").get(url)
    assert response.status_code == 200
    weight = page_weight(response.content, url)
    assert weight.total() <= BUDGET_KB * KB, weight.describe()
    assert weight.total(kind="js") <= JS_BUDGET_KB * KB, weight.describe()
    # Everything the page loads is its own static file (page_weight refuses anything else),
    # and the browser asks for nothing it does not name (no /favicon.ico 404). The web app
    # manifest makes the diary installable (issue 16.2); its icons load only on install.
    assert {a.kind for a in weight.assets} <= {"html", "css", "js", "manifest"}, weight.describe()
    assert b'rel="icon"' in response.content


def test_the_weight_counts_what_the_page_references(diary_patient: Cast) -> None:
    response = client_for(diary_patient, "patient_user").get(reverse("diary-home"))
    weight = page_weight(response.content, reverse("diary-home"))
    urls = [a.url for a in weight.assets]
    assert urls[0] == reverse("diary-home")
    assert any(u.endswith("/site.css") for u in urls)
    assert any(u.endswith("/diary.js") for u in urls)
    assert any("htmx" in u for u in urls)
    html = weight.assets[0]
    assert html.raw == html.transferred == len(response.content)  # HTML counts in full
    for asset in weight.assets[1:]:
        assert 0 < asset.transferred < asset.raw  # CSS and JS travel compressed


def test_a_page_that_references_a_missing_file_is_an_error() -> None:
    with pytest.raises(ValueError, match="not found"):
        page_weight(b'<script src="/static/cephalog/nope.js"></script>')
    with pytest.raises(ValueError, match="not a static file"):
        page_weight(b'<link rel="stylesheet" href="https://cdn.example/x.css">')


def test_css_references_count_too(settings: Any, tmp_path: Any) -> None:
    (tmp_path / "a.css").write_text('@import "b.css"; body { background: url(img/dot.png) }')
    (tmp_path / "b.css").write_text("p { color: red }")
    (tmp_path / "img").mkdir()
    (tmp_path / "img" / "dot.png").write_bytes(b"\x89PNG" + b"\x00" * 96)
    settings.STATICFILES_DIRS = [tmp_path]
    weight = page_weight(b'<link rel="stylesheet" href="/static/a.css">', "/me/")
    assert [a.url for a in weight.assets] == [
        "/me/",
        "/static/a.css",
        "/static/b.css",
        "/static/img/dot.png",
    ]
    assert weight.assets[3].transferred == weight.assets[3].raw == 100  # images as they are
