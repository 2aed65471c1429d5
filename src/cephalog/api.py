"""cephalog's JSON API (django-ninja), mounted at /api/; OpenAPI at /api/openapi.json.

Authentication is the Django session for now (CSRF checked on unsafe methods);
token authentication may come later. Errors have two shapes, declared on every
operation: `{"detail": "..."}` for 401/403/404 and `{"errors": ["field: message",
...]}` for 422, whether the problem is found by the domain or by the request
parser (a date that is not `YYYY-MM-DD`, a body that is not JSON).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import ValidationError
from ninja.security import django_auth

from cephalog.core import http
from cephalog.core.errors import AppError
from cephalog.diary.api import ApiError
from cephalog.diary.api import router as diary_router

api = NinjaAPI(
    title="cephalog API",
    version="1",
    urls_namespace="api",
    auth=django_auth,
    description="Headache diary and treatment data. Session authentication; send the "
    "CSRF token in X-CSRFToken for PUT, POST and DELETE.",
)


def _where(loc: tuple[Any, ...] | list[Any]) -> str:
    """`("query", "start")` → `start`; `("body", "payload", "x")` → `x`."""
    parts = list(loc[1:])
    if loc and loc[0] == "body" and parts:
        parts = parts[1:]
    return ".".join(str(p) for p in parts) or "body"


def _message(error: dict[str, Any]) -> str:
    if error.get("type") == "missing":
        return "required"
    message = str(error.get("msg", "invalid"))
    return message.removeprefix("Value error, ")


@api.exception_handler(ValidationError)
def validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    errors = [f"{_where(e.get('loc', ()))}: {_message(e)}" for e in exc.errors]
    return api.create_response(request, {"errors": errors}, status=422)


@api.exception_handler(ApiError)
def api_error(request: HttpRequest, exc: ApiError) -> HttpResponse:
    if exc.status == 422:
        return api.create_response(request, {"errors": exc.messages}, status=422)
    return api.create_response(request, {"detail": "; ".join(exc.messages)}, status=exc.status)


@api.exception_handler(AppError)
def app_error(request: HttpRequest, exc: AppError) -> HttpResponse:
    """An action's refusal, field by field (the one mapping of `AppError` for the API)."""
    return api.create_response(request, http.api_body(exc), status=exc.status)


api.add_router("/", diary_router)
