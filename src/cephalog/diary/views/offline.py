"""The offline diary's pages: the day form for any date and the service worker."""

from __future__ import annotations

import functools
import hashlib
import json
from pathlib import Path

from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse

from cephalog.accounts.access import patient_only
from cephalog.diary.forms import DayForm, medicine_formset
from cephalog.domain.catalogue import SUGGESTIONS
from cephalog.patients.models import Patient


@patient_only
def offline_day(request: HttpRequest, patient: Patient) -> HttpResponse:
    """The day form for any date, kept by the service worker: offline, it stands in for a
    day page not seen before (the date comes from the address, cephalog/offline.js).
    Its version is 0 ("not recorded yet"): a day recorded meanwhile comes back as a
    conflict for the patient to choose, never silently overwritten."""
    form = DayForm(initial={"version": 0})
    return render(
        request,
        "diary/offline_day.html",
        {
            "patient": patient,
            "form": form,
            "medicines": medicine_formset(),
            "errors": [],
            "suggestions": SUGGESTIONS,
        },
    )


@functools.cache
def _service_worker_source() -> str:
    path = finders.find("cephalog/sw.js")
    if path:
        return Path(str(path)).read_text()
    with staticfiles_storage.open("cephalog/sw.js") as file:
        return str(file.read().decode())


#: What the service worker keeps for offline use besides the pages (their URLs differ
#: per deployment: hashed names in production).
SHELL_STATIC = (
    "cephalog/site.css",
    "cephalog/diary.js",
    "cephalog/offline.js",
    "django_htmx/htmx-2.min.js",
)


def service_worker(request: HttpRequest) -> HttpResponse:
    """/me/sw.js: the offline diary's service worker (static/cephalog/sw.js), served under
    /me/ so that its scope covers the patient's pages, with the URLs it keeps."""
    assets = [static(name) for name in SHELL_STATIC]
    pages = [reverse("diary-home"), reverse("diary-offline-day")]
    source = _service_worker_source()
    version = hashlib.sha256(("\n".join([*assets, source])).encode()).hexdigest()[:12]
    config = {"version": version, "assets": assets, "pages": pages, "login": reverse("login")}
    body = f"self.CEPHALOG = {json.dumps(config)};\n{source}"
    response = HttpResponse(body, content_type="text/javascript; charset=utf-8")
    response["Cache-Control"] = "no-cache"
    response["Service-Worker-Allowed"] = reverse("diary-home")
    return response
