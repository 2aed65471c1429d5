from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from cephalog.accounts.access import patient_view, staff_clinic_ids, staff_view
from cephalog.accounts.models import Clinic
from cephalog.audit.actions import record
from cephalog.patients import actions, queries
from cephalog.patients.forms import PatientForm
from cephalog.patients.models import Patient


@staff_view()
def patient_list(request: HttpRequest) -> HttpResponse:
    # The search is POSTed so that names never appear in URLs or access logs.
    # PostgreSQL refuses NUL characters in text (a 500 before): drop them from the search.
    query = request.POST.get("q", "")[:100].replace("\x00", "") if request.method == "POST" else ""
    # A page number is all the URL carries (1,000 patients are 20 pages of 50).
    number = request.GET.get("page", "1")
    today = timezone.localdate()
    page = queries.patient_page(
        request.user,
        today=today,
        query=query,
        page=int(number) if number.isascii() and number.isdigit() and len(number) < 7 else 1,
    )
    record(
        action="read",
        category="patient_list",
        detail={"count": len(page.rows), "page": page.number, "searched": bool(query)},
    )
    template = "patients/_results.html" if request.htmx else "patients/list.html"  # type: ignore[attr-defined]
    return render(
        request, template, {"page": page, "rows": page.rows, "query": query, "today": today}
    )


@patient_view(staff_only=True)
def patient_chart(request: HttpRequest, patient: Patient) -> HttpResponse:
    record(action="read", category="chart", patient=patient)
    return render(
        request,
        "patients/chart.html",
        {
            "patient": patient,
            "preventives": patient.preventives.all(),
            "medications": patient.medications.all(),
            "conditions": patient.conditions.all(),
            "sessions": patient.sessions.order_by("-date")[:20],
        },
    )


@staff_view()
def patient_new(request: HttpRequest) -> HttpResponse:
    clinics = Clinic.objects.filter(pk__in=staff_clinic_ids(request.user))
    form = PatientForm(request.POST or None, clinics=clinics)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        clinic = data.pop("clinic")
        try:
            patient = actions.create_patient(clinic=clinic, **data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, "Patient added.")
            return redirect("patient-chart", patient.pk)
    return render(request, "patients/new.html", {"form": form})


@require_POST
@patient_view(staff_only=True)
def patient_invite(request: HttpRequest, patient: Patient) -> HttpResponse:
    if not patient.email:
        messages.error(request, "Add the patient's email address first.")
    else:
        try:
            actions.invite_patient(patient=patient)
        except ValidationError:
            messages.error(
                request,
                "Another account already uses this email address: check the patient's "
                "email address, or ask an administrator.",
            )
        else:
            messages.success(request, "Invitation sent. The link works once, for three days.")
    return redirect("patient-chart", patient.pk)
