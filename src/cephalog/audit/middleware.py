from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from cephalog.audit import context


def client_ip(request: HttpRequest) -> str | None:
    # Behind the production proxy, REMOTE_ADDR is set from X-Forwarded-For by the server.
    return request.META.get("REMOTE_ADDR") or None


class RequestContextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = context.set_context(
            context.RequestContext(user=request.user, source_ip=client_ip(request))
        )
        try:
            return self.get_response(request)
        finally:
            context.reset(token)
