"""Security pages in Chromium: /api/docs under the CSP (no CDN), the second factor's
recovery codes (issue 18.1, 18.6)."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page

from tests.e2e.conftest import DESKTOP
from tests.personas import Cast

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
