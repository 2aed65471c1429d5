"""Pages that belong to no single area: the home router, health check, error pages."""

from __future__ import annotations

from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache

from cephalog.accounts.access import patient_only, staff_clinic_ids
from cephalog.patients.models import Patient


@never_cache
def home(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect("login")
    if staff_clinic_ids(request.user):
        return redirect("patient-list")
    if hasattr(request.user, "patient"):
        return redirect("patient-home")
    return render(request, "web/no_role.html", status=403)


@patient_only
def patient_more(request: HttpRequest, patient: Patient) -> HttpResponse:
    """The patient menu's "More": everything that is not used every day (issue 16.4)."""
    return render(request, "web/more.html", {"patient": patient})


def healthz(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


# Error pages say what happened in general terms and never echo the request.
def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "errors/error.html", {"title": "Bad request", "status": 400}, status=400)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "errors/error.html", {"title": "Not allowed", "status": 403}, status=403)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(
        request, "errors/error.html", {"title": "Page not found", "status": 404}, status=404
    )


def server_error(request: HttpRequest) -> HttpResponse:
    return render(
        request, "errors/error.html", {"title": "Something went wrong", "status": 500}, status=500
    )
