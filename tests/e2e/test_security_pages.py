"""Security pages in Chromium: /api/docs under the CSP (no CDN), the second factor's
recovery codes (issue 18.1, 18.6)."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page

from tests.e2e.conftest import DESKTOP, PHONE, check_accessibility, log_in, screenshot
from tests.personas import PASSWORD, Cast

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_api_docs_work_under_the_csp(page: Page, live_server: Any, cast: Cast) -> None:
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    outside: list[str] = []
    page.on(
        "request",
        lambda r: outside.append(r.url) if not r.url.startswith(live_server.url) else None,
    )
    page.set_viewport_size(DESKTOP)  # type: ignore[arg-type]
    response = page.goto(live_server.url + "/api/docs")
    assert response is not None
    assert response.status == 200
    assert "script-src" in response.headers.get("content-security-policy", "")
    page.wait_for_selector(".swagger-ui .opblock", timeout=20000)
    assert page.locator(".swagger-ui .opblock").count() > 3
    assert not outside, outside
    assert not [p for p in problems if "Content Security Policy" in p], problems


# --- passkeys in Chromium's virtual authenticator (issue 16.1) ----------------------------------


def _authenticator(page: Page) -> tuple[Any, str]:
    """A platform authenticator with user verification, as a phone's (CDP WebAuthn)."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    added = cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    return cdp, str(added["authenticatorId"])


def _add_passkey(page: Page, base: str, name: str) -> None:
    page.goto(base + "/accounts/passkeys/")
    page.get_by_label("Name it").fill(name)
    page.get_by_role("button", name="Add a passkey").click()
    page.wait_for_selector(f"text={name}")
    check_accessibility(page)


def _log_out(page: Page) -> None:
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url("**/accounts/login/**")


def test_a_patient_signs_in_with_a_passkey(page: Page, live_server: Any, cast: Cast) -> None:
    base = live_server.url.replace("127.0.0.1", "localhost")  # an IP is no WebAuthn rp id
    page.set_viewport_size(PHONE)  # type: ignore[arg-type]
    cdp, authenticator = _authenticator(page)
    log_in(page, base, "ada", PASSWORD)
    page.goto(base + "/me/settings/")
    page.get_by_role("link", name="Set up a passkey").click()
    _add_passkey(page, base, "Ada's phone")
    screenshot(page, "passkeys-patient")
    stored = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator})
    assert len(stored["credentials"]) == 1
    assert stored["credentials"][0]["isResidentCredential"]
    _log_out(page)
    page.get_by_role("button", name="Sign in with a passkey").click()
    page.wait_for_url(lambda url: "/accounts/login" not in url)
    assert page.get_by_role("button", name="Log out").is_visible()
    screenshot(page, "passkeys-patient-signed-in")
    from cephalog.audit.models import AuditEvent

    assert AuditEvent.objects.filter(action="login", user_id=cast.patient_user.pk).count() == 2


def test_staff_use_a_passkey_as_their_second_factor(
    page: Page, live_server: Any, cast: Cast
) -> None:
    base = live_server.url.replace("127.0.0.1", "localhost")
    page.set_viewport_size(DESKTOP)  # type: ignore[arg-type]
    _authenticator(page)
    log_in(page, base, "nurse-joy", PASSWORD)
    _add_passkey(page, base, "Ward laptop")
    _log_out(page)
    # A staff passkey does not sign in on its own...
    page.get_by_role("button", name="Sign in with a passkey").click()
    page.wait_for_selector("text=sign in with their password first")
    # ...but after the password it is the second factor.
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Username or email").fill("nurse-joy")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/accounts/mfa/**")
    page.get_by_role("button", name="Use a passkey instead").click()
    page.wait_for_url(lambda url: "/accounts/" not in url)
    response = page.goto(base + "/clinic/patients/")
    assert response is not None
    assert response.status == 200
    assert "/accounts/" not in page.url


def test_a_first_authenticator_waits_for_the_code_emailed_to_the_account(
    page: Page, live_server: Any, cast: Cast
) -> None:
    """At 360 px: a password alone shows "Check your email", never the authenticator key; a
    wrong code is refused beside its box; the emailed code opens the QR code."""
    from tests.e2e.conftest import NARROW, emailed_code, fits_narrow

    page.set_viewport_size(NARROW)  # type: ignore[arg-type]
    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("Username or email").fill("dr-house")
    page.get_by_label("Password").fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/accounts/mfa/setup/**")
    assert page.get_by_role("heading", name="Check your email").is_visible()
    assert page.locator(".qr").count() == 0
    fits_narrow(page, "mfa-mailbox")
    code = emailed_code()
    page.get_by_label("Code from the email").fill("000000" if code != "000000" else "111111")
    with page.expect_navigation():
        page.get_by_role("button", name="Continue").click()
    assert page.get_by_role("alert").filter(has_text="did not match").is_visible()
    page.get_by_label("Code from the email").fill(code)
    with page.expect_navigation():
        page.get_by_role("button", name="Continue").click()
    assert page.get_by_role("heading", name="Set up your authenticator app").is_visible()
    assert page.locator(".qr svg").count() == 1
    fits_narrow(page, "mfa-setup-after-mailbox")


def test_signing_in_again_sends_no_new_code_and_says_to_use_the_recent_one(
    page: Page, live_server: Any, cast: Cast
) -> None:
    """Set-up codes are counted per account: a second sign-in a moment later (another
    browser, another session) is sent none, is told so, and the code already sent works."""
    from django.core import mail

    from tests.e2e.conftest import NARROW, emailed_code, fits_narrow

    def sign_in_with_password(window: Page) -> None:
        window.goto(live_server.url + "/accounts/login/")
        window.get_by_label("Username or email").fill("dr-house")
        window.get_by_label("Password").fill(PASSWORD)
        with window.expect_navigation():
            window.get_by_role("button", name="Log in").click()
        window.wait_for_url("**/accounts/mfa/setup/**")

    page.set_viewport_size(NARROW)  # type: ignore[arg-type]
    sign_in_with_password(page)
    code = emailed_code()
    assert page.context.browser is not None
    other = page.context.browser.new_context(viewport=NARROW)  # type: ignore[arg-type]
    try:
        again = other.new_page()
        sign_in_with_password(again)
        assert len(mail.outbox) == 1
        notice = again.get_by_role("status").filter(has_text="a short while ago")
        assert notice.is_visible()
        assert "Use the code in that email: it works for 15 more minutes." in notice.inner_text()
        fits_narrow(again, "mfa-mailbox-recent-code")
        again.get_by_label("Code from the email").fill(code)
        with again.expect_navigation():
            again.get_by_role("button", name="Continue").click()
        assert again.get_by_role("heading", name="Set up your authenticator app").is_visible()
    finally:
        other.close()
