"""cephalog's URLs plus the baseline views of the latency benchmark (bench/server.py)."""

from __future__ import annotations

from typing import Any

from django.db import connection, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import path

from cephalog.urls import urlpatterns as cephalog_urls

TABLE = "bench_baseline"


def _one_row() -> Any:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id, n FROM {TABLE} WHERE id = 1")
        return cursor.fetchone()


def read_one(request: HttpRequest) -> HttpResponse:
    """A one-row read for a logged-in user (the whole middleware stack runs first)."""
    if request.user.pk is None:
        return JsonResponse({"detail": "Unauthorized"}, status=401)
    return JsonResponse({"row": _one_row()})


def write_one(request: HttpRequest) -> HttpResponse:
    """A one-row insert, committed, for a logged-in user (CSRF checked by the middleware)."""
    if request.user.pk is None:
        return JsonResponse({"detail": "Unauthorized"}, status=401)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {TABLE} (n) VALUES (%s) RETURNING id", [request.user.pk])
        (row_id,) = cursor.fetchone()
    return JsonResponse({"id": row_id}, status=201)


def bare(request: HttpRequest) -> HttpResponse:
    """The same one-row read with no middleware (called by bench/server.py directly)."""
    return JsonResponse({"row": _one_row()})


urlpatterns = [
    path("bench/read", read_one),
    path("bench/write", write_one),
    *cephalog_urls,
]
handler400 = "cephalog.web.views.bad_request"
handler403 = "cephalog.web.views.permission_denied"
handler404 = "cephalog.web.views.page_not_found"
handler500 = "cephalog.web.views.server_error"
