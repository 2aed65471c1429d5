from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from cephalog.accounts.access import patient_view, staff_view
from cephalog.audit.actions import record
from cephalog.patients import queries
from cephalog.patients.models import Patient


@staff_view()
def patient_list(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "")[:100]
    today = timezone.localdate()
    rows = queries.patient_rows(request.user, today=today, query=query)
    record(
        action="read", category="patient_list", detail={"count": len(rows), "searched": bool(query)}
    )
    template = "patients/_rows.html" if request.htmx else "patients/list.html"  # type: ignore[attr-defined]
    return render(request, template, {"rows": rows, "query": query, "today": today})


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
