"""Browser tests: Playwright driving Debian's Chromium against a live server.

Never downloads a browser. Every visited page is checked with axe-core
(bundled in axe-playwright-python, no network); serious or critical
violations fail the test. Screenshots land in test-artifacts/ (gitignored).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = os.environ.get("CEPHALOG_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
PHONE = {"width": 390, "height": 844}
NARROW = {"width": 360, "height": 780}
DESKTOP = {"width": 1280, "height": 800}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} not found: install Debian's chromium (make browser)")
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "headless": True,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-quic",
        ],
    }


_axe = Axe()


def check_accessibility(page: Page) -> None:
    """Fail on serious or critical axe-core violations of the current page."""
    results = _axe.run(page)
    bad = [v for v in results.response["violations"] if v.get("impact") in ("serious", "critical")]
    assert not bad, "\n".join(
        f"{v['id']} ({v['impact']}): {v['help']} – {[n['target'] for n in v['nodes']][:3]}"
        for v in bad
    )


def screenshot(page: Page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{re.sub(r'[^a-z0-9_-]+', '-', name.lower())}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def fits_narrow(page: Page, name: str) -> None:
    """The page fits 360 px (wide tables scroll in their own box), passes axe, and is
    kept as test-artifacts/<name>.png. After a click the next document may still be
    committing: it waits for it to be complete first."""
    page.wait_for_load_state("load")
    page.wait_for_function(
        "document.documentElement !== null && document.readyState === 'complete'"
    )
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= NARROW["width"], f"{page.url} is {width} px wide"
    check_accessibility(page)
    screenshot(page, name)


@pytest.fixture(autouse=True)
def _empty_cache() -> Any:
    """The live server shares this process's cache: counters kept per account there (login
    failures, set-up codes sent) start empty in each browser test, as in tests/accounts."""
    from django.core.cache import caches

    caches["default"].clear()
    yield
    caches["default"].clear()


@pytest.fixture
def phone(browser: Browser) -> Any:
    """New 360 px browser windows, closed before the live server stops (no late requests)."""
    contexts: list[Any] = []

    def open_page() -> Page:
        context = browser.new_context(viewport=NARROW)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def visit(page: Page, live_server: Any) -> Callable[..., Page]:
    """Open a path on the live server, check it with axe, screenshot it."""

    def _visit(path: str, name: str | None = None) -> Page:
        page.goto(live_server.url + path)
        check_accessibility(page)
        screenshot(page, name or path.strip("/").replace("/", "-") or "home")
        return page

    return _visit


def emailed_code() -> str:
    """The newest six-digit code emailed by the live server (same process, locmem outbox)."""
    from django.core import mail

    codes = re.findall(r"\b(\d{6})\b", mail.outbox[-1].body)
    assert codes, "no code in the newest email"
    return codes[0]


def current_code(username: str) -> str:
    """The TOTP code an authenticator app would show now for the user's device."""
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = (
        TOTPDevice.objects.filter(user__username=username).order_by("-confirmed", "-id").first()
    )
    assert device is not None, f"{username} has no TOTP device"
    code = totp(
        device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=device.drift
    )
    return str(code).zfill(device.digits)


def log_in(page: Page, base_url: str, username: str, password: str) -> Page:
    """Log in through the real pages, passing the staff second factor when asked."""
    page.goto(base_url + "/accounts/login/")
    check_accessibility(page)
    page.get_by_label("Username or email").fill(username)
    page.get_by_label("Password").fill(password)
    # expect_navigation: on a loaded machine the next goto could otherwise abort the
    # login POST before its redirect lands (CI saw the login page where the calendar was).
    with page.expect_navigation():
        page.get_by_role("button", name="Log in").click()
    if "/accounts/mfa/" in page.url and page.get_by_label("Code from the email").count():
        # a first enrolment: the account's mailbox first (the code emailed just now)
        check_accessibility(page)
        page.get_by_label("Code from the email").fill(emailed_code())
        with page.expect_navigation():
            page.get_by_role("button", name="Continue").click()
    if "/accounts/mfa/" in page.url:
        check_accessibility(page)
        page.get_by_label("6-digit code").fill(current_code(username))
        with page.expect_navigation():
            page.get_by_role("button", name=re.compile("Continue|Confirm")).click()
    if "/accounts/recovery-codes/" in page.url:  # first enrolment: the codes, shown once
        check_accessibility(page)
        with page.expect_navigation():
            page.get_by_role("link", name="I have kept them, continue").click()
    return page


def sign_in(page: Page, base_url: str, username: str) -> Page:
    """Start the page's browser signed in as `username` (second factor passed for staff),
    with a session cookie made on the server side (tests.personas.login_client) instead of
    the log-in pages: for journeys that begin after logging in. Log-in itself is tested
    through its pages (log_in, test_foundation, test_security_pages, tests/accounts)."""
    from django.conf import settings
    from django.test import Client

    from cephalog.accounts.models import User
    from tests.personas import login_client

    client = login_client(Client(), User.objects.get(username=username))
    name = settings.SESSION_COOKIE_NAME
    page.context.add_cookies([{"name": name, "value": client.cookies[name].value, "url": base_url}])
    return page


@pytest.fixture
def login(page: Page, live_server: Any) -> Callable[[str, str], Page]:
    def _login(username: str, password: str) -> Page:
        return log_in(page, live_server.url, username, password)

    return _login


# Each cell's generated label as the browser shows it (None when none is shown).
SHOWN_LABELS = """cells => cells.map(td => {
  const before = getComputedStyle(td, '::before');
  const shown = before.content.match(/^"(.*?)"/);  // the text before any "/ alt text"
  return before.display === 'none' || !shown ? null : shown[1];
})"""
