"""Diary files on the web (issue 3, part 6): CSV downloads and the import page, for the
patient (/me/diary-data/...) and for clinic staff (/clinic/patients/<uuid>/diary-data/...).

Exports are open to whoever may read the diary; imports to the patient (within
their backfill window, see cephalog.diary.imports) and to clinical staff. A
large import shows its progress: the form posts with htmx and a status line
polls `import-status/<token>/`, which reads the counts the import writes to the
cache (a shared cache is needed for this when several processes serve the site).
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Mapping
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.files.uploadedfile import UploadedFile
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from cephalog.accounts.access import CLINICAL_ROLES, STAFF_ROLES, patient_only, patient_view
from cephalog.accounts.reauth import password_again
from cephalog.audit.actions import record
from cephalog.core.time import patient_today
from cephalog.diary import imports
from cephalog.diary.exports import export_diary
from cephalog.domain.catalogue import normalise
from cephalog.domain.vocab import ACUTE_CLASS_CODES
from cephalog.patients.models import Patient

#: Content types browsers send for .csv and .txt files.
CSV_TYPES = frozenset(
    {
        "text/csv",
        "text/plain",
        "text/comma-separated-values",
        "application/csv",
        "application/vnd.ms-excel",
        "application/octet-stream",
    }
)
#: How many problems the result page lists; the rest are counted.
SHOWN_PROBLEMS = 200
_TOKEN = re.compile(r"[0-9a-f]{32}")
STATUS_SECONDS = 15 * 60


#: The kinds of medicine in a patient's words (issue 16.7), and the codes they stand for;
#: the codes themselves are still accepted.
CLASS_WORDS = {
    "painkiller": "simple_analgesic",
    "triptan": "triptan",
    "ergot": "ergot",
    "opioid": "opioid",
    "combination painkiller": "combination_analgesic",
    "gepant": "gepant",
    "ditan": "ditan",
    "other": "other",
}


class ImportForm(forms.Form):
    kind = forms.ChoiceField(
        label="Format",
        choices=[
            (imports.MIGRAINE_BUDDY, "Migraine Buddy export (CSV)"),
            ("cephalog", "cephalog CSV (days or attacks, as exported here)"),
        ],
        widget=forms.RadioSelect,
        initial=imports.MIGRAINE_BUDDY,
    )
    file = forms.FileField(
        label="CSV file",
        help_text="A .csv file of at most 5 MB.",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )
    classes = forms.CharField(
        label="Kinds of medicines cephalog does not know (optional)",
        help_text=(
            "One per line, name = kind, e.g. “Migrastop 5mg = triptan”. Kinds: "
            + ", ".join(CLASS_WORDS)
            + ". Medicines left without a kind are not imported."
        ),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    date_order = forms.ChoiceField(
        label="How the file's dates are written (Migraine Buddy)",
        choices=[
            ("", "Work it out from the file (asks when both readings fit)"),
            ("mdy", "Month first, e.g. 3/14/24 for 14 March (US)"),
            ("dmy", "Day first, e.g. 14/3/24 for 14 March (UK, Europe, Australia)"),
            ("ymd", "Year first, e.g. 2024-03-14"),
        ],
        widget=forms.RadioSelect,
        required=False,
        initial="",
    )
    confirm = forms.BooleanField(
        label="Where the file differs from what has been recorded since, use the file's values",
        help_text="Leave this unticked to keep what is recorded; the differences are listed.",
        required=False,
    )
    token = forms.CharField(widget=forms.HiddenInput, required=False, max_length=32)

    def __init__(self, *args: Any, unknown: list[str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # One class choice per medicine the last import did not know (posted back with it).
        names = unknown or []
        self.unknown_fields: list[tuple[forms.BoundField, forms.BoundField]] = []
        for index, name in enumerate(names[:50]):
            key = f"unknown_class_{index}"
            self.fields[f"unknown_name_{index}"] = forms.CharField(
                widget=forms.HiddenInput, initial=name, required=False, max_length=100
            )
            self.fields[key] = forms.ChoiceField(
                label=name,
                choices=[
                    ("", "Leave out (not imported)"),
                    *((c, c.replace("_", " ")) for c in ACUTE_CLASS_CODES),
                ],
                required=False,
            )
            self.unknown_fields.append((self[f"unknown_name_{index}"], self[key]))

    def clean_file(self) -> UploadedFile[bytes]:
        file: UploadedFile[bytes] = self.cleaned_data["file"]
        name = (file.name or "").lower()
        if (file.size or 0) > imports.MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                "The file is larger than 5 MB. Export a shorter period, or split the file by year."
            )
        if not name.endswith((".csv", ".txt")) or (file.content_type or "") not in CSV_TYPES:
            raise forms.ValidationError("Only CSV files (.csv) can be imported.")
        return file

    def clean_classes(self) -> dict[str, str]:
        classes: dict[str, str] = {}
        errors = []
        for number, raw in enumerate(self.cleaned_data["classes"].splitlines(), start=1):
            if not raw.strip():
                continue
            name, sep, drug_class = raw.rpartition("=")
            name, drug_class = name.strip(), drug_class.strip().lower()
            if not sep or not name:
                errors.append(f"Line {number}: write name = kind.")
            elif drug_class in ACUTE_CLASS_CODES or drug_class in CLASS_WORDS:
                classes[normalise(name)] = CLASS_WORDS.get(drug_class, drug_class)
            elif drug_class:
                errors.append(f"Line {number}: “{drug_class[:30]}” is not one of the kinds.")
        if errors:
            raise forms.ValidationError(errors)
        return classes

    def chosen_classes(self) -> dict[str, str]:
        """The classes typed in the box and chosen for each unknown medicine."""
        classes = dict(self.cleaned_data.get("classes") or {})
        index = 0
        while f"unknown_class_{index}" in self.fields:
            name = self.cleaned_data.get(f"unknown_name_{index}") or ""
            drug_class = self.cleaned_data.get(f"unknown_class_{index}") or ""
            if name and drug_class:
                classes[normalise(name)] = drug_class
            index += 1
        return classes

    def clean_token(self) -> str:
        token: str = self.cleaned_data["token"]
        return token if _TOKEN.fullmatch(token) else ""


def _status_key(user: Any, token: str) -> str:
    return f"diary-import:{user.pk}:{token}"


def _csv_response(text: str, name: str) -> HttpResponse:
    response = HttpResponse(text, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "no-store"
    return response


def _export(request: HttpRequest, patient: Patient, kind: str) -> HttpResponse:
    text = export_diary(patient=patient, kind=kind, user=request.user)
    stamp = patient_today(patient).isoformat()
    return _csv_response(text, f"cephalog-{kind}-{stamp}.csv")


def _import_page(
    request: HttpRequest, patient: Patient, *, urls: Mapping[str, str], staff: bool
) -> HttpResponse:
    result = None
    if request.method == "POST":
        form = ImportForm(request.POST, request.FILES, unknown=_posted_unknown(request))
        if form.is_valid():
            result = _run_import(
                request, patient, form.cleaned_data | {"classes": form.chosen_classes()}
            )
            form = ImportForm(
                initial={
                    "kind": form.cleaned_data["kind"],
                    "date_order": form.cleaned_data["date_order"],
                },
                unknown=list(result.unknown_medicines),
            )
    else:
        form = ImportForm()
        record(action="read", category="diary_import", patient=patient)
    token = uuid.uuid4().hex
    form.initial["token"] = token
    context = {
        "patient": patient,
        "form": form,
        "result": result,
        "problems": result.problems[:SHOWN_PROBLEMS] if result else [],
        "more_problems": max(0, len(result.problems) - SHOWN_PROBLEMS) if result else 0,
        "urls": urls,
        "staff": staff,
        "base_template": "base.html" if staff else "diary/patient_base.html",
        "status_url": reverse("diary-io-import-status", args=[token]),
        "backfill_from": patient_today(patient) - dt.timedelta(days=patient.clinic.backfill_days),
    }
    if getattr(request, "htmx", False):
        return render(request, "diary_io/_import_swap.html", context)
    return render(request, "diary_io/import.html", context)


def _posted_unknown(request: HttpRequest) -> list[str]:
    names = []
    index = 0
    while f"unknown_name_{index}" in request.POST and index < 50:
        names.append(request.POST[f"unknown_name_{index}"][:100])
        index += 1
    return names


def _run_import(
    request: HttpRequest, patient: Patient, data: Mapping[str, Any]
) -> imports.ImportResult:
    token = data["token"]
    key = _status_key(request.user, token) if token else ""

    def progress(done: int, total: int) -> None:
        cache.set(key, {"state": "writing", "done": done, "total": total}, STATUS_SECONDS)

    if key:
        cache.set(key, {"state": "checking"}, STATUS_SECONDS)
    file = data["file"]
    options: dict[str, Any] = {
        "today": patient_today(patient),
        "progress": progress if key else None,
        "filename": file.name or "",
        "confirm": data.get("confirm", False),
    }
    try:
        if data["kind"] == imports.MIGRAINE_BUDDY:
            return imports.import_migraine_buddy_csv(
                patient,
                file,
                request.user,
                classes=data["classes"],
                date_order=data.get("date_order") or None,
                **options,
            )
        return imports.import_cephalog_csv(patient, file, request.user, **options)
    finally:
        if key:
            cache.set(key, {"state": "done"}, STATUS_SECONDS)


@login_required
def import_status(request: HttpRequest, token: str) -> HttpResponse:
    """The progress line of the user's running import (polled by the import page)."""
    if not _TOKEN.fullmatch(token):
        raise Http404("No such import")
    status = cache.get(_status_key(request.user, token)) or {"state": "waiting"}
    percent = 0
    if status.get("total"):
        percent = round(100 * status["done"] / status["total"])
    return render(
        request,
        "diary_io/_import_status.html",
        {"status": status, "percent": percent, "status_url": request.path},
    )


# --- The patient's own diary ------------------------------------------------------------


@patient_only
@password_again
def my_days_csv(request: HttpRequest, patient: Patient) -> HttpResponse:
    return _export(request, patient, "days")


@patient_only
@password_again
def my_attacks_csv(request: HttpRequest, patient: Patient) -> HttpResponse:
    return _export(request, patient, "attacks")


@patient_only
def my_import(request: HttpRequest, patient: Patient) -> HttpResponse:
    urls = {"days": reverse("diary-io-days"), "attacks": reverse("diary-io-attacks")}
    return _import_page(request, patient, urls=urls, staff=False)


# --- Clinic staff -------------------------------------------------------------------------


@patient_view(staff_only=True, roles=STAFF_ROLES)
def clinic_days_csv(request: HttpRequest, patient: Patient) -> HttpResponse:
    return _export(request, patient, "days")


@patient_view(staff_only=True, roles=STAFF_ROLES)
def clinic_attacks_csv(request: HttpRequest, patient: Patient) -> HttpResponse:
    return _export(request, patient, "attacks")


@patient_view(staff_only=True, roles=CLINICAL_ROLES)
def clinic_import(request: HttpRequest, patient: Patient) -> HttpResponse:
    urls = {
        "days": reverse("clinic-diary-io-days", args=[patient.pk]),
        "attacks": reverse("clinic-diary-io-attacks", args=[patient.pk]),
    }
    return _import_page(request, patient, urls=urls, staff=True)
