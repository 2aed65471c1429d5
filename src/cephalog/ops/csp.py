"""Django's Content-Security-Policy middleware, with each policy header built once.

Django builds the header text from the SECURE_CSP settings on every response (issue
19.1: about 3 % of a one-row API request's CPU). The text depends only on the
configuration and the request's nonce; while no nonce was used (the API, most pages) it
is the same every time, so it is kept per configuration object (a changed setting is a
new object: override_settings, a reload). A response with a nonce, or with a
configuration of its own, is built as Django builds it.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.middleware import csp as django_csp
from django.utils.csp import CSP, build_policy

#: id(config) -> (config, its header text without a nonce).
_built: dict[int, tuple[Any, str]] = {}


def _policy(config: Any) -> str:
    found = _built.get(id(config))
    if found is not None and found[0] is config:
        return found[1]
    text = build_policy(config, None)
    if len(_built) > 64:  # configurations of tests come and go
        _built.clear()
    _built[id(config)] = (config, text)
    return text


class ContentSecurityPolicyMiddleware(django_csp.ContentSecurityPolicyMiddleware):
    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        if (
            django_csp.get_nonce(request)
            or hasattr(response, "_csp_config")
            or hasattr(response, "_csp_ro_config")
        ):
            return super().process_response(request, response)
        for header, config in (
            (CSP.HEADER_ENFORCE, settings.SECURE_CSP),
            (CSP.HEADER_REPORT_ONLY, settings.SECURE_CSP_REPORT_ONLY),
        ):
            if config and header not in response:
                response.headers[str(header)] = _policy(config)
        return response
