"""A patient's phone at 390x844 (issue 16): an invited patient sets a password from the
emailed link and signs in with their email address (16.1); the diary opens offline,
two days are recorded there and, back online, each is stored once (16.2)."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from typing import Any

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from cephalog.core.time import patient_today
from cephalog.diary.models import DiaryEntry, DiaryEntryRevision, DiarySubmission
from cephalog.patients import actions as patient_actions
from cephalog.patients.models import Patient
from tests.e2e.conftest import NARROW, PHONE, check_accessibility, fits_narrow, log_in, screenshot
from tests.personas import PASSWORD, Cast


@pytest.fixture
def cast_db(transactional_db: None) -> Cast:
    from tests.personas import make_cast

    return make_cast()


def long_date(date: dt.date) -> str:
    return f"{date:%A} {date.day} {date:%B}"


def go_offline_ready(page: Page) -> None:
    """Wait until the service worker controls the page and has kept the diary pages."""
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    if not page.evaluate("navigator.serviceWorker.controller !== null"):
        page.reload()
    page.wait_for_function("navigator.serviceWorker.controller !== null")
    page.wait_for_function(
        "caches.open('cephalog-pages').then(c => c.match('/me/diary/offline/')).then(Boolean)"
    )


def test_an_invited_patient_sets_a_password_and_signs_in_with_their_email(
    page: Page, live_server: Any, cast_db: Cast, settings: Any
) -> None:
    settings.SITE_URL = live_server.url
    patient = cast_db.other_clinic_patient  # no login yet
    patient.email = "Cyrus.V@Example.org"
    patient.save(update_fields=["email"])
    mail.outbox.clear()
    patient_actions.invite_patient(patient=patient)
    assert len(mail.outbox) == 1
    body = mail.outbox[0].body
    assert "log in with this email address, cyrus.v@example.org" in body
    link = re.search(r"https?://\S+/accounts/invite/\S+/", body)
    assert link is not None

    page.set_viewport_size(PHONE)
    page.goto(link.group(0))
    expect(page.get_by_role("heading", name="Welcome – choose a password")).to_be_visible()
    expect(page.get_by_text("You will log in with your email address")).to_contain_text(
        "cyrus.v@example.org"
    )
    check_accessibility(page)
    screenshot(page, "invite-set-password-390")
    new_password = "a long passphrase for my diary"
    page.get_by_label("New password", exact=True).fill(new_password)
    page.get_by_label("New password, again").fill(new_password)
    page.get_by_role("button", name="Save password").click()
    expect(page.get_by_role("heading", name="Password saved")).to_be_visible()
    page.get_by_role("link", name="Log in").click()

    page.get_by_label("Username or email").fill("CYRUS.V@example.org")
    page.get_by_label("Password").fill(new_password)
    page.get_by_label("Keep me signed in on this phone").check()
    check_accessibility(page)
    screenshot(page, "login-390")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Hello Cyrus")).to_be_visible()
    assert page.url.endswith("/me/")
    cookie = next(c for c in page.context.cookies() if c["name"] == "sessionid")
    assert cookie["expires"] > dt.datetime.now().timestamp() + 29 * 24 * 3600
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_the_diary_works_offline_and_sends_each_day_once(
    page: Page, live_server: Any, cast_db: Cast
) -> None:
    # Ada joined the programme a month ago: the days she has not filled in are "missed".
    Patient.objects.filter(pk=cast_db.patient.pk).update(
        created_at=timezone.now() - dt.timedelta(days=30)
    )
    today = patient_today(cast_db.patient)
    missed = today - dt.timedelta(days=2)
    page.set_viewport_size(PHONE)
    log_in(page, live_server.url, "ada@example.org", PASSWORD)
    expect(page.get_by_role("heading", name="Hello Ada")).to_be_visible()
    go_offline_ready(page)
    manifest = page.evaluate("document.querySelector('link[rel=manifest]').href")
    assert page.request.get(manifest).json()["display"] == "standalone"

    page.context.set_offline(True)
    opened = page.goto(live_server.url + "/me/")
    assert opened is not None
    assert opened.from_service_worker  # the kept copy: there is no network
    status = page.locator("#offline-status")
    expect(status).to_contain_text("You are offline")
    page.get_by_role("button", name="No headache today").click()
    expect(status).to_contain_text("Waiting to be sent (1): Today, no headache.")

    page.get_by_role("link", name=f"Fill in {long_date(missed)}").click()
    expect(page.get_by_role("heading", name=long_date(missed))).to_be_visible()
    page.get_by_label("Hours with headache").fill("4")
    page.get_by_label("Moderate: it slowed me down").check()
    page.get_by_label("Notes").fill("Typed on the train, no signal")
    check_accessibility(page)
    screenshot(page, "offline-day-form-390")
    page.get_by_role("button", name="Save").click()
    expect(status).to_contain_text("Waiting to be sent (2)")
    expect(status).to_contain_text(f"{long_date(missed)}, headache for 4 hours")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(page, "offline-waiting-390")
    assert not DiaryEntry.objects.filter(patient=cast_db.patient).exists()
    kept = page.evaluate(
        "new Promise(r => { const q = indexedDB.open('cephalog-diary'); q.onsuccess = () =>"
        " { const g = q.result.transaction('pending').objectStore('pending').getAll();"
        " g.onsuccess = () => r(g.result); }; })"
    )
    assert len(kept) == 2

    page.context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    expect(status).to_contain_text("Sent to your clinic")
    screenshot(page, "offline-sent-390")
    entries = {e.date: e for e in DiaryEntry.objects.filter(patient=cast_db.patient)}
    assert set(entries) == {today, missed}
    assert float(entries[today].headache_hours) == 0
    assert (float(entries[missed].headache_hours), entries[missed].peak_intensity) == (
        4,
        "moderate",
    )
    assert entries[missed].notes == "Typed on the train, no signal"
    assert all(e.version == 1 for e in entries.values())

    # Sent again (a lost answer, a second tab): stored once all the same.
    for item in kept:
        answer = page.evaluate(
            """async (item) => {
                const body = new URLSearchParams(item.fields);
                body.set('idempotency_key', item.key);
                const token = JSON.parse(document.body.getAttribute('hx-headers'))['X-CSRFToken'];
                const r = await fetch(item.url, {method: 'POST', body,
                    headers: {'X-Cephalog-Sync': '1', 'X-CSRFToken': token}});
                return (await r.json()).status;
            }""",
            item,
        )
        assert answer == "replayed"
    assert DiaryEntry.objects.filter(patient=cast_db.patient).count() == 2
    assert not DiaryEntryRevision.objects.filter(patient=cast_db.patient).exists()
    assert DiarySubmission.objects.filter(patient=cast_db.patient).count() == 2


def test_offline_the_home_page_does_not_say_today_is_missing_once_kept(
    page: Page, live_server: Any, cast_db: Cast
) -> None:
    """At 360 px, offline: once today is kept on the phone the today card no longer says
    "You haven't filled in today yet" beside "Kept on this phone"; a page that needs the
    internet (progress), shown as the diary instead, says so rather than changing silently."""
    page.set_viewport_size(NARROW)
    log_in(page, live_server.url, "ada@example.org", PASSWORD)
    go_offline_ready(page)
    page.context.set_offline(True)
    page.goto(live_server.url + "/me/")
    not_filled = page.get_by_text("You haven't filled in today yet.")
    expect(not_filled).to_be_visible()
    page.get_by_role("button", name="No headache today").click()
    status = page.locator("#offline-status")
    expect(status).to_contain_text("Waiting to be sent (1): Today, no headache.")
    expect(page.get_by_text("Kept on this phone: Today, no headache.")).to_be_visible()
    expect(not_filled).to_be_hidden()
    fits_narrow(page, "offline-today-kept-360")

    opened = page.goto(live_server.url + "/me/progress/")
    assert opened is not None
    assert opened.from_service_worker
    expect(status).to_contain_text("needs the internet")
    expect(not_filled).to_be_hidden()  # kept, also on the home page shown again
    fits_narrow(page, "offline-page-not-kept-360")
    assert not DiaryEntry.objects.filter(patient=cast_db.patient).exists()


def test_a_day_the_clinic_changed_meanwhile_shows_both_versions_to_choose(
    page: Page, live_server: Any, cast_db: Cast
) -> None:
    from cephalog.diary.actions import save_day

    today = patient_today(cast_db.patient)
    day = today - dt.timedelta(days=1)
    page.set_viewport_size(PHONE)
    log_in(page, live_server.url, "ada", PASSWORD)
    go_offline_ready(page)
    page.goto(f"{live_server.url}/me/diary/{day.isoformat()}/")  # seen online: kept
    page.context.set_offline(True)
    opened = page.goto(f"{live_server.url}/me/diary/{day.isoformat()}/")
    assert opened is not None
    assert opened.from_service_worker
    page.get_by_label("Hours with headache").fill("2")
    page.get_by_label("Mild: I could carry on with my day").check()
    page.get_by_role("button", name="Save").click()
    status = page.locator("#offline-status")
    expect(status).to_contain_text("Waiting to be sent (1)")
    # Meanwhile the clinic types in the paper diary for that day.
    save_day(
        patient=cast_db.patient,
        data={"date": day.isoformat(), "headache_hours": 8, "peak_intensity": "severe"},
        by=cast_db.nurse,
        reason="Paper diary",
        source="staff",
    )
    page.context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    expect(status).to_contain_text("was changed by your clinic while you were offline")
    expect(status).to_contain_text("Your clinic's: Headache for 8 hours, severe at worst")
    expect(status).to_contain_text("Yours, from this phone: Headache for 2 hours")
    check_accessibility(page)
    screenshot(page, "offline-conflict-390")
    assert float(DiaryEntry.objects.get(patient=cast_db.patient, date=day).headache_hours) == 8
    page.get_by_role("button", name="Keep mine").click()
    expect(status).to_contain_text("Sent to your clinic")
    entry = DiaryEntry.objects.get(patient=cast_db.patient, date=day)
    assert (float(entry.headache_hours), entry.peak_intensity, entry.version) == (2, "mild", 2)


def test_the_patient_header_targets_are_big_enough_to_tap_at_360_px(
    page: Page, live_server: Any, cast_db: Cast
) -> None:
    """Log out sat in a 20 px high line of text: a thumb's target is 44 px (WCAG 2.5.5;
    2.5.8's minimum is 24). The header stays one row above the menu."""
    page.set_viewport_size(NARROW)
    log_in(page, live_server.url, "ada@example.org", PASSWORD)
    expect(page.get_by_role("heading", name="Hello Ada")).to_be_visible()
    for target in (
        page.get_by_role("button", name="Log out"),
        page.get_by_role("link", name="Report a side effect"),
        page.get_by_role("link", name="cephalog"),
    ):
        box = target.bounding_box()
        assert box is not None
        assert box["height"] >= 44, box
        assert box["width"] >= 44, box
        assert box["x"] + box["width"] <= NARROW["width"]
    logout = page.get_by_role("button", name="Log out").bounding_box()
    report = page.get_by_role("link", name="Report a side effect").bounding_box()
    assert logout is not None
    assert report is not None
    assert abs(logout["y"] - report["y"]) < 10  # one row
    fits_narrow(page, "patient-header-360")


def test_a_phone_in_another_time_zone_is_told_the_diary_counts_days_elsewhere(
    browser: Browser, live_server: Any, cast_db: Cast
) -> None:
    """Ada's diary keeps London time (the clinic's choice). On a phone whose date is not
    London's, the home page says so: her evening entry would otherwise land on the wrong
    day without a word. On a phone in London it says nothing."""
    now = timezone.now()
    london = now.astimezone(zoneinfo.ZoneInfo("Europe/London")).date()
    # One of the two is on another date than London at any hour.
    away = next(
        zone
        for zone in ("Pacific/Kiritimati", "Pacific/Pago_Pago")
        if now.astimezone(zoneinfo.ZoneInfo(zone)).date() != london
    )
    contexts = []
    try:
        for zone in (away, "Europe/London"):
            context = browser.new_context(viewport=NARROW, timezone_id=zone)
            contexts.append(context)
            page = context.new_page()
            log_in(page, live_server.url, "ada@example.org", PASSWORD)
            expect(page.get_by_role("heading", name="Hello Ada")).to_be_visible()
            note = page.locator(".clock-note")
            if zone == away:
                expect(note).to_contain_text("your diary keeps Europe/London time")
                expect(note).to_contain_text(f"where it is {long_date(london)}")
                expect(note).to_contain_text("ask your clinic to change it")
                fits_narrow(page, "home-other-time-zone-360")
                # Still there after a one-tap swaps the card.
                page.get_by_role("button", name="No headache today").click()
                expect(page.get_by_text("You have filled in today")).to_be_visible()
                expect(note).to_be_visible()
            else:
                page.wait_for_load_state("load")
                expect(note).to_have_count(0)
    finally:
        for context in contexts:
            context.close()


def test_a_new_patients_empty_counts_fit_on_one_line_each_at_360_px(
    page: Page, live_server: Any, cast_db: Cast
) -> None:
    """Before her first entry, "Not known yet" stood in the figures' 1.4 rem bold, three
    lines tall four times over: the first thing a new patient saw below the buttons."""
    page.set_viewport_size(NARROW)
    log_in(page, live_server.url, "ada@example.org", PASSWORD)
    unknown = page.locator(".counts dd", has_text="Not known yet")
    expect(unknown).to_have_count(4)
    line = float(unknown.first.evaluate("e => parseFloat(getComputedStyle(e).lineHeight)"))
    for index in range(4):
        box = unknown.nth(index).bounding_box()
        assert box is not None
        assert box["height"] <= line * 1.5, box  # one line
    fits_narrow(page, "new-patient-counts-360")
