"""The Content-Security-Policy header (cephalog.ops.csp): built once per configuration
while no nonce is used, it is exactly Django's; a nonce, a changed setting or a view's
own policy still come out as Django writes them (issue 19.1)."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.middleware.csp import ContentSecurityPolicyMiddleware as DjangoCSP
from django.test import Client, RequestFactory, override_settings
from django.utils.csp import CSP, build_policy

from cephalog.ops.csp import ContentSecurityPolicyMiddleware


def _headers(middleware_class: type, touch_nonce: bool = False, own: dict | None = None) -> dict:  # type: ignore[type-arg]
    def view(request: HttpRequest) -> HttpResponse:
        response = HttpResponse("ok")
        if touch_nonce:
            str(request._csp_nonce)  # type: ignore[attr-defined]
        if own is not None:
            response._csp_config = own  # type: ignore[attr-defined]
        return response

    request = RequestFactory().get("/")
    response = middleware_class(view)(request)
    return {
        h: response.get(h) for h in (CSP.HEADER_ENFORCE, CSP.HEADER_REPORT_ONLY) if h in response
    }


def test_the_header_is_djangos_with_and_without_a_nonce() -> None:
    for _ in range(2):  # built, then kept
        assert _headers(ContentSecurityPolicyMiddleware) == _headers(DjangoCSP)
    assert _headers(ContentSecurityPolicyMiddleware)[CSP.HEADER_ENFORCE] == build_policy(
        settings.SECURE_CSP
    )
    with_nonce = _headers(ContentSecurityPolicyMiddleware, touch_nonce=True)[CSP.HEADER_ENFORCE]
    assert "'nonce-" in with_nonce
    own = {"default-src": [CSP.NONE]}
    assert _headers(ContentSecurityPolicyMiddleware, own=own) == _headers(DjangoCSP, own=own)


def test_a_changed_setting_changes_the_header() -> None:
    before = _headers(ContentSecurityPolicyMiddleware)[CSP.HEADER_ENFORCE]
    other = {**settings.SECURE_CSP, "img-src": [CSP.SELF]}
    with override_settings(SECURE_CSP=other, SECURE_CSP_REPORT_ONLY={"default-src": [CSP.SELF]}):
        headers = _headers(ContentSecurityPolicyMiddleware)
        assert headers == _headers(DjangoCSP)
        assert headers[CSP.HEADER_ENFORCE] != before
        assert headers[CSP.HEADER_REPORT_ONLY] == "default-src 'self'"
    assert _headers(ContentSecurityPolicyMiddleware)[CSP.HEADER_ENFORCE] == before


def test_pages_and_the_api_carry_the_policy(cast: object) -> None:
    client = Client()
    for path in ("/accounts/login/", "/api/me/diary"):
        response = client.get(path, secure=True)
        policy = response["Content-Security-Policy"]
        assert "script-src 'self'" in policy
        assert "frame-ancestors 'none'" in policy
