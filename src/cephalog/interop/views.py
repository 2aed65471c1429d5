"""FHIR `$everything`, the patient's downloads (/me/data/) and the clinic's bulk export.

- `GET /fhir/Patient/<uuid>/$everything`: staff of the patient's clinic and
  the patient themself; anyone else gets 404 (401 when not logged in), as a
  FHIR OperationOutcome. Audited.
- `/me/data/`: the patient's own files; every download is audited.
- `/clinic/export/`: clinic admins start a bulk export and watch its
  progress (htmx polls the status row); the zip is downloaded from there.
- `/clinic/fhir-import/`: staff import a patient from a FHIR R4 bundle (cephalog's
  or another system's); the page lists what was and was not imported, by type.
"""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from cephalog.accounts.access import (
    STAFF_ROLES,
    get_visible_patient,
    patient_only,
    role_in,
    staff_clinic_ids,
    staff_view,
)
from cephalog.accounts.models import Clinic, Role, User
from cephalog.accounts.reauth import password_again
from cephalog.core.time import patient_today
from cephalog.interop import actions, bulk, fhir, portability
from cephalog.interop.fhir_import import MAX_BUNDLE_BYTES, ImportRefused, import_bundle
from cephalog.interop.models import BulkExport
from cephalog.patients.models import Patient

# --- FHIR -----------------------------------------------------------------------------------------


def _outcome(status: int, code: str, text: str) -> HttpResponse:
    body = {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "error", "code": code, "diagnostics": text}],
    }
    response = HttpResponse(json.dumps(body), status=status, content_type=fhir.FHIR_JSON)
    if status == 401:
        response["WWW-Authenticate"] = 'Cookie realm="cephalog"'
    return response


def _fhir_response(bundle: fhir.Json) -> HttpResponse:
    response = HttpResponse(
        json.dumps(bundle, ensure_ascii=False), content_type=f"{fhir.FHIR_JSON}; charset=utf-8"
    )
    response["Cache-Control"] = "no-store"
    return response


@require_GET
def everything(request: HttpRequest, patient_id: str) -> HttpResponse:
    """Patient/$everything: the patient's whole record as a searchset Bundle."""
    if not request.user.is_authenticated:
        return _outcome(401, "login", "Log in to read patient records.")
    try:
        patient = get_visible_patient(request.user, patient_id)
    except Http404:
        return _outcome(404, "not-found", f"Patient/{patient_id} is not known")
    if (
        patient.user_id != request.user.pk
        and role_in(request.user, patient.clinic) not in STAFF_ROLES
    ):
        return _outcome(404, "not-found", f"Patient/{patient_id} is not known")
    bundle = actions.export_bundle(
        patient=patient, by=request.user, via="everything", bundle_type=fhir.BUNDLE_SEARCHSET
    )
    return _fhir_response(bundle)


# --- the patient's own data -------------------------------------------------------------------------


@patient_only
def my_data(request: HttpRequest, patient: Patient) -> HttpResponse:
    return render(
        request,
        "interop/my_data.html",
        {"patient": patient, "downloads": portability.DOWNLOADS, "nav": "data"},
    )


@patient_only
@password_again
def my_download(request: HttpRequest, patient: Patient, key: str) -> HttpResponse:
    download = portability.BY_KEY.get(key)
    if download is None:
        raise Http404("No such download")
    today = patient_today(patient)
    data, rows = portability.build(key, patient, today, request.user)
    actions.record_download(patient=patient, by=request.user, kind=key, rows=rows)
    response = HttpResponse(data, content_type=download.content_type)
    stem, _, ext = download.file_name.rpartition(".")
    response["Content-Disposition"] = f'attachment; filename="{stem}-{today.isoformat()}.{ext}"'
    response["Cache-Control"] = "no-store"
    return response


# --- importing a bundle ---------------------------------------------------------------------------


class FhirImportForm(forms.Form):
    clinic = forms.ChoiceField(label="Clinic")
    file = forms.FileField(
        label="FHIR bundle (JSON)",
        help_text="A FHIR R4 Bundle in JSON: from cephalog, or another system's "
        "(a patient summary, a patient's record).",
        widget=forms.ClearableFileInput(attrs={"accept": ".json,application/json"}),
    )
    mrn = forms.CharField(
        label="MRN in this clinic (optional)",
        help_text="Needed when the bundle has no medical record number, or when its number "
        "is already used here.",
        required=False,
        max_length=50,
    )

    def __init__(self, *args: Any, clinics: list[Clinic], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.clinics = {c.slug: c for c in clinics}
        clinic_field = self.fields["clinic"]
        assert isinstance(clinic_field, forms.ChoiceField)
        clinic_field.choices = [(c.slug, c.name) for c in clinics]
        if len(clinics) == 1:
            self.fields["clinic"].widget = forms.HiddenInput()
            self.initial["clinic"] = clinics[0].slug

    def clean_file(self) -> Any:
        file = self.cleaned_data["file"]
        if (file.size or 0) > MAX_BUNDLE_BYTES:
            raise forms.ValidationError(f"The file is larger than {MAX_BUNDLE_BYTES // 2**20} MB.")
        return file


@staff_view()
@require_http_methods(["GET", "POST"])
def clinic_fhir_import(request: HttpRequest) -> HttpResponse:
    clinics = list(Clinic.objects.filter(pk__in=staff_clinic_ids(request.user)).order_by("name"))
    result = None
    problems: list[str] = []
    form = FhirImportForm(clinics=clinics)
    if request.method == "POST":
        form = FhirImportForm(request.POST, request.FILES, clinics=clinics)
        if form.is_valid():
            clinic = form.clinics[form.cleaned_data["clinic"]]
            try:
                result = import_bundle(
                    form.cleaned_data["file"].read(),
                    clinic,
                    request.user,
                    mrn=form.cleaned_data["mrn"].strip() or None,
                )
            except ImportRefused as refused:
                problems = refused.problems
            else:
                form = FhirImportForm(clinics=clinics)  # ready for the next bundle
    return render(
        request,
        "interop/fhir_import.html",
        {"form": form, "result": result, "problems": problems[:200]},
    )


# --- the clinic's bulk export -------------------------------------------------------------------------


def _clinic_for(request: HttpRequest) -> Any:
    clinics = bulk.admin_clinics(request.user)
    if not clinics:
        raise Http404("Not found")
    wanted = request.POST.get("clinic") or request.GET.get("clinic")
    if wanted:
        for clinic in clinics:
            if clinic.slug == wanted:
                return clinic, clinics
        raise Http404("Not found")
    return clinics[0], clinics


def _export_of(request: HttpRequest, export_id: int) -> BulkExport:
    export = get_object_or_404(BulkExport.objects.select_related("clinic"), pk=export_id)
    if (
        not isinstance(request.user, User)
        or role_in(request.user, export.clinic) != Role.CLINIC_ADMIN
    ):
        raise Http404("Not found")
    return export


@staff_view(roles=(Role.CLINIC_ADMIN,))
@require_http_methods(["GET", "POST"])
def clinic_export(request: HttpRequest) -> HttpResponse:
    clinic, clinics = _clinic_for(request)
    if request.method == "POST":
        bulk.start_bulk_export(clinic=clinic, by=request.user)
        return redirect(f"{request.path}?clinic={clinic.slug}")
    exports = list(BulkExport.objects.filter(clinic=clinic).select_related("requested_by")[:10])
    return render(
        request,
        "interop/clinic_export.html",
        {
            "clinic": clinic,
            "clinics": clinics,
            "exports": exports,
            "patients": Patient.objects.filter(clinic=clinic).count(),
            "busy": any(e.in_progress for e in exports),
        },
    )


@staff_view(roles=(Role.CLINIC_ADMIN,))
@require_GET
def clinic_export_status(request: HttpRequest, export_id: int) -> HttpResponse:
    """One row of the exports table (polled by htmx while the export runs)."""
    return render(request, "interop/_export_row.html", {"export": _export_of(request, export_id)})


@staff_view(roles=(Role.CLINIC_ADMIN,))
@require_GET
def clinic_export_download(request: HttpRequest, export_id: int) -> FileResponse:
    export = _export_of(request, export_id)
    path = bulk.export_path(export)
    if path is None:
        raise Http404("This export is not available")
    bulk.record_download(export=export, by=request.user)
    response = FileResponse(
        path.open("rb"),
        as_attachment=True,
        filename=export.file_name,
        content_type="application/zip",
    )
    response["Cache-Control"] = "no-store"
    return response
