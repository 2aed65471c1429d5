"""Staff tables on a 360 px phone (staff walk, 7 Dec 2026: the sessions list cut its
Injector column, the schedule its Last session, the alert's "What was reported" its Still
present; the cohort and cycle tables and the adverse-event register scrolled sideways).

Tables of records are one labelled card per row at phone widths, as the patient list: each
cell shows its column's name, the header row is out of sight but still read by screen
readers, and nothing scrolls sideways. Tables of figures compared down their columns (a
patient's cycles, the cohort by cycle, headache days per week) keep their columns in their
own scroll box, the cycle column stays in view and a line above says to swipe. On a desktop
both look as before: the header row shows and no cell repeats its column's name. The
adverse-event register alone changes on a desktop: its dates and MRNs keep to one line."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Locator, Page, expect

from tests.e2e.conftest import DESKTOP, NARROW, SHOWN_LABELS, fits_narrow, screenshot, sign_in

# Each cell's column header as the table defines it (None for a cell spanning columns).
COLUMN_NAMES = """cells => cells.map(td => {
  const heads = td.closest('table').querySelectorAll('thead th');
  return td.colSpan > 1 ? null : heads[td.cellIndex].textContent.trim();
})"""
HEADERS = "t => [...t.querySelectorAll('thead th')].map(th => th.textContent.trim())"
# How many lines a cell's text takes.
LINES = """cells => cells.map(td => {
  const range = document.createRange();
  range.selectNodeContents(td);
  return Math.round(range.getBoundingClientRect().height / parseFloat(getComputedStyle(td).lineHeight));
})"""


@pytest.fixture
def demo(transactional_db: None) -> dict[str, Any]:
    """The demo clinic: a patient with seven sessions (one questionnaire entered), the
    schedule, the cohort, a red flag waiting and the adverse-event register."""
    from django.db.models import Count

    from cephalog.demo.load import load_demo
    from cephalog.outcomes.actions.questionnaires import record_questionnaire
    from cephalog.patients.models import Patient
    from cephalog.safety.models import SafetyAlert

    load_demo(n_patients=12, seed=1, today=timezone.localdate())
    patient = (
        Patient.objects.filter(clinic__slug="demo")
        .annotate(n=Count("sessions"))
        .order_by("-n", "mrn")
        .first()
    )
    assert patient is not None
    from cephalog.accounts.models import User

    record_questionnaire(
        patient=patient,
        by=User.objects.get(username="physician"),
        instrument="hit6",
        items={"hit6_1": 13, "hit6_2": 11, "hit6_3": 11, "hit6_4": 10, "hit6_5": 10, "hit6_6": 8},
        completed_on=timezone.localdate(),
        source="staff",
    )
    alert = SafetyAlert.objects.filter(clinic__slug="demo").order_by("pk").first()
    assert alert is not None
    return {"patient": patient.pk, "alert": alert.pk}


def _open(page: Page, base: str, path: str) -> Page:
    page.set_viewport_size(NARROW)
    sign_in(page, base, "physician")
    page.goto(base + path)
    return page


def _one_card_per_row(table: Locator) -> None:
    """At 360 px: the table fits its box, every cell shows its column's name, the header row
    is out of sight yet each column header is in the accessibility tree."""
    wrap = table.locator("xpath=..")
    assert wrap.evaluate("w => w.scrollWidth <= w.clientWidth + 1"), "the table scrolls sideways"
    cells = table.locator("tbody td")
    assert cells.count() > 0
    names = cells.evaluate_all(COLUMN_NAMES)
    shown = cells.evaluate_all(SHOWN_LABELS)
    assert shown == names, list(zip(names, shown, strict=True))
    right = max(cells.evaluate_all("cells => cells.map(td => td.getBoundingClientRect().right)"))
    assert right <= NARROW["width"], f"a cell ends at {right} px"
    head = table.locator("thead").bounding_box()
    assert head is not None
    assert head["height"] <= 1, head
    for name in table.evaluate(HEADERS):
        expect(table.get_by_role("columnheader", name=name, exact=True)).to_have_count(1)


def _in_full_view(cell: Locator) -> None:
    cell.scroll_into_view_if_needed()
    expect(cell).to_be_in_viewport(ratio=1)


def _columns_on_a_desktop(table: Locator) -> None:
    """At 1280 px the same table as before: its header row shows, no cell names its column."""
    for name in table.evaluate(HEADERS):
        expect(table.get_by_role("columnheader", name=name, exact=True)).to_be_visible()
    head = table.locator("thead").bounding_box()
    assert head is not None
    assert head["height"] > 10, head
    cells = table.locator("tbody td")
    assert cells.evaluate_all(SHOWN_LABELS) == [None] * cells.count()
    assert table.locator("tbody tr").first.evaluate("r => getComputedStyle(r).display") == (
        "table-row"
    )


def _scrolls_with_the_cycle_in_view(page: Page, table: Locator, row: str, last: str) -> None:
    """At 360 px a table of figures scrolls in its own box (the page does not), a box reached
    from the keyboard (scroll.js), says so above it, and its first column stays in place
    while the last column comes into view."""
    wrap = table.locator("xpath=..")
    expect(wrap).to_have_attribute("role", "region")
    expect(wrap).to_have_attribute("tabindex", "0")
    hint = wrap.locator("xpath=preceding-sibling::p[1]")
    expect(hint).to_be_visible()
    expect(hint).to_contain_text("Swipe the table sideways")
    assert wrap.evaluate("w => w.scrollWidth > w.clientWidth"), "the table fits: no scroll box"
    header = wrap.get_by_role("rowheader", name=row, exact=True)
    before = header.bounding_box()
    wrap.evaluate("w => { w.scrollLeft = w.scrollWidth; }")
    page.wait_for_function(
        "w => w.scrollLeft > 0", arg=wrap.element_handle(), polling="raf", timeout=2000
    )
    after = header.bounding_box()
    assert before is not None
    assert after is not None
    assert abs(after["x"] - before["x"]) <= 1, (before, after)
    far = wrap.get_by_role("columnheader", name=last, exact=True).bounding_box()
    box = wrap.bounding_box()
    assert far is not None
    assert box is not None
    assert after["x"] + after["width"] <= far["x"] + 1, "the cycle column covers the last one"
    assert far["x"] + far["width"] <= box["x"] + box["width"] + 1, far
    for name in wrap.locator("table").evaluate(HEADERS):
        expect(wrap.get_by_role("columnheader", name=name, exact=True)).to_have_count(1)
    wrap.evaluate("w => { w.scrollLeft = 0; }")


def _as_before_on_a_desktop(table: Locator) -> None:
    expect(table.locator("xpath=../preceding-sibling::p[1]")).to_be_hidden()
    first = table.locator("tbody th").first
    assert first.evaluate("th => getComputedStyle(th).position") == "static"
    _columns_on_a_desktop(table)


def test_a_patients_sessions_fit_a_phone_with_the_injector(
    page: Page, live_server: Any, demo: dict[str, Any]
) -> None:
    _open(page, live_server.url, f"/clinic/patients/{demo['patient']}/sessions/")
    table = page.locator("main table")
    rows = table.locator("tbody tr")
    expect(rows.first).to_be_visible()
    _one_card_per_row(table)
    injector = rows.first.locator("td").last
    expect(injector).to_have_text("Alex Morgan")
    _in_full_view(injector)
    # Read once by a screen reader: the cell's column header, not the label again.
    expect(table.get_by_role("cell", name="Alex Morgan", exact=True).first).to_be_visible()
    fits_narrow(page, "staff-tables-sessions-360")

    page.set_viewport_size(DESKTOP)
    _columns_on_a_desktop(table)
    screenshot(page, "staff-tables-sessions-1280")


def test_the_schedule_fits_a_phone_with_the_last_session(
    page: Page, live_server: Any, demo: dict[str, Any]
) -> None:
    _open(page, live_server.url, "/clinic/schedule/")
    tables = page.locator("table.schedule-table")
    expect(tables).to_have_count(2)  # overdue, and the next weeks
    for i in range(2):
        _one_card_per_row(tables.nth(i))
    last = tables.nth(0).locator("tbody tr").first.locator("td").last
    _in_full_view(last)
    fits_narrow(page, "staff-tables-schedule-360")

    page.set_viewport_size(DESKTOP)
    for i in range(2):
        _columns_on_a_desktop(tables.nth(i))
    screenshot(page, "staff-tables-schedule-1280")


def test_what_a_red_flag_reported_fits_a_phone(
    page: Page, live_server: Any, demo: dict[str, Any]
) -> None:
    _open(page, live_server.url, f"/clinic/alerts/{demo['alert']}/")
    table = page.locator("h2:text-is('What was reported') + .table-wrap table")
    expect(table.locator("tbody tr")).to_have_count(1)
    _one_card_per_row(table)
    _in_full_view(table.locator("tbody td").last)
    fits_narrow(page, "staff-tables-alert-360")

    page.set_viewport_size(DESKTOP)
    _columns_on_a_desktop(table)
    screenshot(page, "staff-tables-alert-1280")


def test_the_adverse_event_register_fits_a_phone_and_reads_on_a_desktop(
    page: Page, live_server: Any, demo: dict[str, Any]
) -> None:
    _open(page, live_server.url, "/clinic/safety/register/")
    table = page.locator("table.register")
    _one_card_per_row(table)
    first = table.locator("tbody tr").first
    _in_full_view(first.get_by_role("link", name="CSV"))
    fits_narrow(page, "staff-tables-register-360")

    page.set_viewport_size(DESKTOP)
    _columns_on_a_desktop(table)
    wrap = table.locator("xpath=..")
    assert wrap.evaluate("w => w.scrollWidth <= w.clientWidth + 1"), "it scrolls at 1280 px"
    # Less dense than ten columns of broken lines: onset, MRN and session date on one line.
    for column in (1, 2, 8):
        lines = table.locator(f"tbody td:nth-child({column})").evaluate_all(LINES)
        assert set(lines) == {1}, (column, lines)
    screenshot(page, "staff-tables-register-1280")


def test_a_patients_outcome_tables_fit_a_phone(
    page: Page, live_server: Any, demo: dict[str, Any]
) -> None:
    _open(page, live_server.url, f"/clinic/patients/{demo['patient']}/outcomes/")
    cycles, weekly = page.locator("table.cycles"), page.locator("table.weekly")
    _scrolls_with_the_cycle_in_view(page, cycles, "1", "Wearing-off")
    page.get_by_text("Table: headache days per week, by cycle").click()
    _scrolls_with_the_cycle_in_view(page, weekly, "Median", "W12")
    questionnaires = page.locator("#questionnaires table")
    expect(questionnaires.locator("tbody tr")).to_have_count(1)
    _one_card_per_row(questionnaires)
    fits_narrow(page, "staff-tables-outcomes-360")

    page.set_viewport_size(DESKTOP)
    _as_before_on_a_desktop(cycles)
    _as_before_on_a_desktop(weekly)
    _columns_on_a_desktop(questionnaires)
    screenshot(page, "staff-tables-outcomes-1280")


def test_the_cohort_tables_fit_a_phone(page: Page, live_server: Any, demo: dict[str, Any]) -> None:
    _open(page, live_server.url, "/clinic/cohort/")
    cohort = page.locator("table.cohort-table")
    _scrolls_with_the_cycle_in_view(page, cohort, "1", "Wearing-off")
    adverse = page.locator("section[aria-labelledby=ae-heading] .table-wrap")
    expect(adverse).to_have_count(2)
    for i in range(2):
        assert adverse.nth(i).evaluate("w => w.scrollWidth <= w.clientWidth + 1"), i
    fits_narrow(page, "staff-tables-cohort-360")

    page.set_viewport_size(DESKTOP)
    _as_before_on_a_desktop(cohort)
    screenshot(page, "staff-tables-cohort-1280")
