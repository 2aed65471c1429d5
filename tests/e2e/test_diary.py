"""The diary on a phone: a patient completes 28 days and sees the calendar and counts;
the clinic reads the same diary. Every page is checked with axe-core and for sideways
overflow at 360 and 390 px; screenshots land in test-artifacts/."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from cephalog.core.time import patient_today
from cephalog.diary.actions import save_day
from cephalog.diary.queries import last_28_days
from tests.e2e.conftest import (
    DESKTOP,
    PHONE,
    SHOWN_LABELS,
    check_accessibility,
    screenshot,
    sign_in,
)
from tests.personas import PASSWORD, Cast

NARROW = {"width": 360, "height": 740}

MIGRAINE = {
    "headache_hours": 9,
    "peak_intensity": "severe",
    "pulsating": True,
    "nausea": True,
    "acute_medications": [{"name": "rizatriptan", "class": "triptan", "effective": True}],
}
HEADACHE = {
    "headache_hours": 5,
    "peak_intensity": "moderate",
    "acute_medications": [{"name": "ibuprofen", "class": "simple_analgesic", "effective": False}],
}


def long_date(date: dt.date) -> str:
    return f"{date:%A} {date.day} {date:%B}"


@pytest.fixture
def cast_db(transactional_db: None) -> Cast:
    from cephalog.accounts.models import Clinic
    from tests.personas import make_cast

    cast = make_cast()
    # The label day definition (us-label, spec section 11.1) has all four day classes,
    # including the short headache that is not a headache day.
    Clinic.objects.filter(pk=cast.clinic.pk).update(default_policy="us-label")
    cast.clinic.refresh_from_db()
    return cast


@pytest.fixture
def diary(cast_db: Cast) -> dt.date:
    """Days 27 to 5 before today, typed in by the clinic from a paper diary; the patient
    fills in the last five days (four through the form, today with one tap)."""
    today = patient_today(cast_db.patient)
    for ago in range(5, 28):
        facts = MIGRAINE if ago % 3 == 0 else HEADACHE if ago % 4 == 0 else {"headache_hours": 0}
        save_day(
            patient=cast_db.patient,
            data={"date": (today - dt.timedelta(days=ago)).isoformat(), **facts},
            by=cast_db.nurse,
            today=today,
            reason="Paper diary typed in",
            source="staff",
        )
    return today


def no_overflow(page: Page, name: str) -> None:
    """No sideways scrolling at 360 or 390 px; a screenshot at each width."""
    for size in (NARROW, PHONE):
        page.set_viewport_size(size)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= size["width"], (name, size, width)
        screenshot(page, f"{name}-{size['width']}")


def test_it_lets_a_patient_log_28_days_on_a_phone(
    page: Page,
    login: Callable[[str, str], Page],
    visit: Callable[..., Page],
    diary: dt.date,
    cast_db: Cast,
) -> None:
    today = diary
    errors: list[str] = []
    page.on(
        "console",
        lambda message: (
            errors.append(f"{page.url} {message.text}") if message.type == "error" else None
        ),
    )
    page.set_viewport_size(PHONE)
    login("ada", PASSWORD)
    expect(page.get_by_role("heading", name="Hello Ada")).to_be_visible()
    expect(page.get_by_text("You haven't filled in today yet.")).to_be_visible()
    check_accessibility(page)
    no_overflow(page, "diary-home-start")

    # Day 4 before today: a migraine with a triptan that worked, and a home remedy.
    day = today - dt.timedelta(days=4)
    page.get_by_role("link", name=f"Fill in {long_date(day)}").click()
    expect(page.get_by_role("heading", name=long_date(day))).to_be_visible()
    expect(page.get_by_text("Filling in later")).to_be_visible()
    page.get_by_label("Hours with headache").fill("7")
    page.get_by_label("Severe: I could not do my usual things").check()
    page.get_by_label("On one side of my head").check()
    page.get_by_label("Throbbing or pulsing").check()
    page.get_by_label("Feeling sick (nausea)").check()
    page.locator("#id_med-0-name").fill("sumatriptan")
    page.locator("#id_med-0-effective_0").check()
    # Three rows work without JavaScript; with it, empty rows wait behind "Add another".
    expect(page.locator("[data-medicine-row]")).to_have_count(3)
    expect(page.locator("[data-medicine-row]:visible")).to_have_count(1)
    for _ in range(4):
        page.get_by_role("button", name="Add another medicine").click()
    expect(page.locator("[data-medicine-row]:visible")).to_have_count(5)
    expect(page.locator("#id_med-4-name")).to_be_focused()
    page.locator("#id_med-4-name").fill("Grandma's tea")
    page.locator("#id_med-4-drug_class").select_option("other")
    check_accessibility(page)
    no_overflow(page, "diary-day-form")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Saved")).to_be_visible()

    # Day 3: a long headache with nothing else.
    day = today - dt.timedelta(days=3)
    page.get_by_role("link", name=f"Fill in {long_date(day)}").click()
    page.get_by_label("Hours with headache").fill("5")
    page.get_by_label("Moderate: it slowed me down").check()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", name="Hello Ada")).to_be_visible()

    # Day 2: forgetting the intensity shows the message and keeps what was typed.
    day = today - dt.timedelta(days=2)
    page.get_by_role("link", name=f"Fill in {long_date(day)}").click()
    page.get_by_label("Hours with headache").fill("1.5")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("alert")).to_contain_text(
        "How bad was it at its worst: required when you had a headache"
    )
    expect(page.get_by_label("Hours with headache")).to_have_value("1.5")
    check_accessibility(page)
    no_overflow(page, "diary-day-form-error")
    page.get_by_label("Mild: I could carry on with my day").check()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", name="Hello Ada")).to_be_visible()

    # Yesterday: one tap in the missed days list (htmx swaps the page in place).
    day = today - dt.timedelta(days=1)
    page.get_by_role("button", name=f"No headache on {long_date(day)}").click()
    expect(page.locator("#diary-status")).to_contain_text(f"Saved: no headache on {long_date(day)}")
    expect(page.get_by_role("heading", name="Days you missed")).to_have_count(0)

    # Today: the big button.
    page.get_by_role("button", name="No headache today").click()
    expect(page.locator("#diary-status")).to_contain_text("Saved: no headache today")
    expect(page.get_by_text("You have filled in today. Thank you!")).to_be_visible()
    check_accessibility(page)
    no_overflow(page, "diary-home-done")

    # The counts shown are the domain's counts for the same 28 days.
    window = last_28_days(cast_db.patient, today)
    assert window.recorded_days == 28
    shown = {
        "Days filled in": "28 of 28 (100%)",
        "Headache days": str(window.headache_days),
        "Migraine days": str(window.migraine_days),
        "Days with headache medicine": str(window.acute_medication_days),
        "Days with no headache": str(window.headache_free_days),
    }
    for term, value in shown.items():
        expect(page.locator(f'.counts div:has(dt:text-is("{term}")) dd')).to_have_text(value)

    # The month calendar: colour and symbol per class, with a key.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Diary").click()
    expect(page.get_by_role("heading", name="My diary")).to_be_visible()
    check_accessibility(page)
    no_overflow(page, "diary-calendar")
    key = page.get_by_role("list", name="Key")
    for words in ("No headache", "Headache day", "Migraine day", "Not filled in"):
        expect(key).to_contain_text(words)
    expect(page.locator('.counts div:has(dt:text-is("Days filled in")) dd')).to_have_text(
        "28 of 28 (100%)"
    )
    colours = {
        "free": "rgb(205, 238, 216)",
        "minor": "rgb(255, 243, 196)",
        "headache": "rgb(255, 210, 127)",
        "migraine": "rgb(243, 160, 160)",
    }
    expected = {
        today: ("free", "✓"),
        today - dt.timedelta(days=1): ("free", "✓"),
        today - dt.timedelta(days=2): ("minor", "h"),
        today - dt.timedelta(days=3): ("headache", "H"),
        today - dt.timedelta(days=4): ("migraine", "M"),
    }
    for date, (kind, symbol) in expected.items():
        if date.month != today.month:
            continue  # shown on the previous month's page, checked below
        cell = page.locator(f'td[data-date="{date.isoformat()}"]')
        expect(cell).to_have_class(f"day {kind}" + (" today" if date == today else ""))
        expect(cell).to_have_css("background-color", colours[kind])
        expect(cell.locator(".sym")).to_contain_text(symbol)
    cell = page.locator(f'td[data-date="{today.isoformat()}"]')
    expect(cell.get_by_role("link")).to_have_accessible_name(
        f"{long_date(today)} (today): No headache"
    )
    if (today - dt.timedelta(days=27)).month != today.month:
        page.get_by_role("link", name="previous month").click()
        expect(
            page.locator("td.day.unrecorded, td.day.free, td.day.migraine").first
        ).to_be_visible()
        check_accessibility(page)
        no_overflow(page, "diary-calendar-previous-month")

    # A day before the window is read-only, with the way to get it corrected.
    locked = today - dt.timedelta(days=9)
    visit(f"/me/diary/{locked.isoformat()}/", "diary-locked-day")
    expect(page.get_by_text("please ask your clinic to correct it")).to_be_visible()
    no_overflow(page, "diary-locked-day")

    # The evening reminder.
    visit("/me/settings/", "diary-settings")
    page.get_by_label("Remind me each evening at").fill("20:30")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Saved: we will remind you at 20:30 each evening.")).to_be_visible()
    check_accessibility(page)
    no_overflow(page, "diary-settings")
    # No Content-Security-Policy violations or script errors on the diary pages (the
    # login page is not the diary's; the favicon is not served).
    assert [e for e in errors if "/me/" in e.split()[0] and "404" not in e] == []


def test_it_shows_the_clinic_the_patients_diary(
    page: Page,
    visit: Callable[..., Page],
    diary: dt.date,
    cast_db: Cast,
    live_server: Any,
) -> None:
    today = diary
    page.set_viewport_size(DESKTOP)
    sign_in(page, live_server.url, "dr-house")  # logging in is tested through its pages elsewhere
    page.goto(live_server.url + "/")
    page.get_by_role("link", name="Quill, Ada").click()
    page.get_by_role("link", name="Diary calendar, windows, flags").click()
    expect(page.get_by_role("heading", name="Diary: Ada Quill")).to_be_visible()
    expect(page.get_by_text("No completed session yet")).to_be_visible()
    expect(page.get_by_role("heading", name="Medication-overuse screen")).to_be_visible()
    check_accessibility(page)
    screenshot(page, "clinic-diary-desktop")
    page.set_viewport_size(PHONE)
    screenshot(page, "clinic-diary-phone")

    # A clinician corrects an old entry: the reason is required.
    old = today - dt.timedelta(days=20)
    visit(f"/clinic/patients/{cast_db.patient.pk}/diary/{old.isoformat()}/", "clinic-diary-day")
    page.get_by_label("Hours with headache").fill("2")
    page.get_by_label("Mild: I could carry on with my day").check()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("alert")).to_contain_text("say why you are changing")
    check_accessibility(page)
    page.get_by_label("Reason for the change").fill("Patient phoned to correct the day")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", name="Diary: Ada Quill")).to_be_visible()
    expect(page.get_by_text(f"Saved {long_date(old)}: headache for 2 hours, mild")).to_be_visible()


def _joined_days_ago(cast_db: Cast, days: int, filled: range = range(0)) -> dt.date:
    """The cast's patient joined the programme `days` days ago, with the days `filled`
    days ago filled in by a nurse; her today."""
    from django.utils import timezone

    from cephalog.patients.models import Patient

    Patient.objects.filter(pk=cast_db.patient.pk).update(
        created_at=timezone.now() - dt.timedelta(days=days)
    )
    cast_db.patient.refresh_from_db()
    today = patient_today(cast_db.patient)
    for ago in filled:
        save_day(
            patient=cast_db.patient,
            data={"date": (today - dt.timedelta(days=ago)).isoformat(), "headache_hours": 0},
            by=cast_db.nurse,
            today=today,
            source="staff",
        )
    return today


def test_a_new_patient_counts_her_diary_from_the_day_she_joined(
    page: Page, live_server: Any, cast_db: Cast
) -> None:
    """Two days after joining, with today filled in: "1 of 3 since you joined", not "1 of
    28", and the calendar shows the days before she joined as not missed: those still in
    her window open, with no "Not filled in"."""
    from tests.e2e.conftest import fits_narrow, sign_in

    today = _joined_days_ago(cast_db, 2)
    page.set_viewport_size(NARROW)
    sign_in(page, live_server.url, "ada")
    page.goto(live_server.url + "/me/")
    page.get_by_role("button", name="No headache today").click()
    expect(page.locator("#diary-status")).to_contain_text("Saved: no headache today")
    expect(page.get_by_role("heading", name="Your diary so far")).to_be_visible()
    filled = page.locator('.counts div:has(dt:text-is("Days filled in")) dd')
    expect(filled).to_have_text("1 of 3 since you joined (33%)")
    fits_narrow(page, "diary-home-new-patient")

    before = today - dt.timedelta(days=3)
    page.goto(live_server.url + f"/me/diary/calendar/?month={before:%Y-%m}")
    cell = page.locator(f'td[data-date="{before.isoformat()}"]')
    expect(cell).to_have_class("day before-open")
    expect(cell.get_by_role("link")).to_have_accessible_name(
        f"{long_date(before)}: before your diary began; you can still fill it in"
    )
    expect(cell.locator(".sym")).to_have_text("")
    expect(page.locator('.counts div:has(dt:text-is("Days filled in")) dd')).to_have_text(
        "1 of 3 since you joined (33%)"
    )
    fits_narrow(page, "diary-calendar-new-patient")


def test_a_new_patient_fills_in_the_day_before_she_joined_from_the_calendar(
    page: Page, live_server: Any, cast_db: Cast
) -> None:
    """She joined today and remembers yesterday's migraine: on the calendar at 360 px
    yesterday is an open day she can tap (not blank like the future, not "Not filled
    in"); she fills it in and the calendar shows it recorded. Days before her window
    stay blank with no link."""
    from tests.e2e.conftest import fits_narrow, sign_in

    today = _joined_days_ago(cast_db, 0)
    yesterday = today - dt.timedelta(days=1)
    page.set_viewport_size(NARROW)
    sign_in(page, live_server.url, "ada")
    page.goto(live_server.url + "/me/")
    expect(page.locator("[data-before-open]")).to_contain_text("You can still fill them in")
    page.locator("[data-before-open]").get_by_role("link", name="your diary's calendar").click()
    if yesterday.month != today.month:
        page.get_by_role("link", name=f"{yesterday:%B %Y}, previous month").click()
    cell = page.locator(f'td[data-date="{yesterday.isoformat()}"]')
    expect(cell).to_have_class("day before-open")
    expect(page.locator(".cal-legend")).to_contain_text(
        "Before your diary began; you can still fill it in"
    )
    locked = yesterday - dt.timedelta(days=cast_db.clinic.backfill_days)
    if locked.month == yesterday.month:
        expect(page.locator(f'td[data-date="{locked.isoformat()}"]')).to_have_class("day before")
        expect(page.locator(f'td[data-date="{locked.isoformat()}"] a')).to_have_count(0)
    fits_narrow(page, "diary-calendar-before-open")

    cell.get_by_role(
        "link", name=f"{long_date(yesterday)}: before your diary began; you can still fill it in"
    ).click()
    expect(page.get_by_role("heading", name=long_date(yesterday))).to_be_visible()
    page.get_by_label("Hours with headache").fill("8")
    page.get_by_label("Severe: I could not do my usual things").check()
    page.get_by_label("Throbbing or pulsing").check()
    page.get_by_label("Feeling sick (nausea)").check()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Saved")).to_be_visible()

    page.goto(live_server.url + f"/me/diary/calendar/?month={yesterday:%Y-%m}")
    cell = page.locator(f'td[data-date="{yesterday.isoformat()}"]')
    expect(cell).to_have_class("day migraine")
    expect(cell.get_by_role("link")).to_have_accessible_name(
        f"{long_date(yesterday)}: Migraine day"
    )
    fits_narrow(page, "diary-calendar-before-filled")


def test_the_clinic_counts_a_new_patients_diary_from_the_day_she_joined(
    page: Page, live_server: Any, cast_db: Cast
) -> None:
    """Two days after joining, with today filled in: the clinic's page says "1 of 3 days
    filled in since the patient joined", not "1/28", and its calendar leaves the days
    before she joined blank; it fits 360 px."""
    from tests.e2e.conftest import fits_narrow

    today = _joined_days_ago(cast_db, 2, filled=range(1))
    joined = today - dt.timedelta(days=2)
    since = f"1 of 3 days filled in since the patient joined on {joined.day} {joined:%b} (33%)"
    page.set_viewport_size(NARROW)
    sign_in(page, live_server.url, "dr-house")
    before = today - dt.timedelta(days=3)
    page.goto(
        live_server.url + f"/clinic/patients/{cast_db.patient.pk}/diary/?month={before:%Y-%m}"
    )
    for span in (7, 28):
        compliance = page.locator(f'.facts div:has(dt:text-is("Compliance, last {span} days")) dd')
        expect(compliance).to_have_text(since)
    cell = page.locator(f'td[data-date="{before.isoformat()}"]')
    expect(cell).to_have_class("day before")
    expect(cell.get_by_role("link")).to_have_accessible_name(
        f"{long_date(before)}: before the patient joined"
    )
    expect(cell.locator(".sym")).to_have_text("")
    fits_narrow(page, "clinic-diary-new-patient")


def test_the_patient_list_counts_a_new_patients_diary_from_the_day_she_joined(
    page: Page, live_server: Any, cast_db: Cast
) -> None:
    """A day after joining, with both days filled in: the list says "2/2 (100%) since the
    patient joined", not 29% and 7%, and does not flag her; it fits 360 px."""
    from tests.e2e.conftest import fits_narrow

    today = _joined_days_ago(cast_db, 1, filled=range(2))
    joined = today - dt.timedelta(days=1)
    page.set_viewport_size(NARROW)
    sign_in(page, live_server.url, "dr-house")
    page.goto(live_server.url + "/clinic/patients/")
    row = page.locator("tr", has=page.get_by_role("link", name="Quill, Ada"))
    since = f"2/2 (100%) since the patient joined on {joined.day} {joined:%b}"
    expect(row.locator("td").nth(1)).to_have_text(since)
    expect(row.locator("td").nth(2)).to_have_text(since)
    expect(row).not_to_have_class("attention")
    fits_narrow(page, "patient-list-new-patient")


def test_the_patient_list_names_each_figure_on_a_phone(
    page: Page, live_server: Any, cast_db: Cast
) -> None:
    """At 360 px the list is one card per patient, its header row out of sight: each figure
    shows its column's name above it ("Diary, last 7 days"), the column headers stay for
    screen readers, and nothing scrolls sideways. On a desktop the header row shows instead."""
    from tests.e2e.conftest import fits_narrow

    today = patient_today(cast_db.patient)
    save_day(
        patient=cast_db.patient,
        data={"date": today.isoformat(), "headache_hours": 0},
        by=cast_db.nurse,
        today=today,
        source="staff",
    )
    page.set_viewport_size(NARROW)
    sign_in(page, live_server.url, "dr-house")
    page.goto(live_server.url + "/clinic/patients/")
    row = page.locator("tr", has=page.get_by_role("link", name="Quill, Ada"))
    names = ["MRN", "Diary, last 7 days", "Diary, last 28 days", "Last entry"]
    assert row.locator("td").evaluate_all(SHOWN_LABELS) == names
    # Read once by a screen reader: the cell's column header, not the label again.
    mrn = cast_db.patient.mrn
    expect(row.get_by_role("cell", name=mrn, exact=True)).to_have_count(1)
    for column in ("Patient", "MRN", "Diary, last 7 days", "Last 28 days", "Last entry"):
        expect(page.get_by_role("columnheader", name=column, exact=True)).to_have_count(1)
    wrap = page.locator(".table-wrap")
    assert wrap.evaluate("w => w.scrollWidth <= w.clientWidth"), "the list scrolls sideways"
    fits_narrow(page, "patient-list-labels")

    page.set_viewport_size(DESKTOP)
    expect(page.get_by_role("columnheader", name="Diary, last 7 days")).to_be_visible()
    assert row.locator("td").evaluate_all(SHOWN_LABELS) == [None] * 4
