"""The patient's own pages (/me/): care team, past sessions, aftercare."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from cephalog.accounts.access import patient_only
from cephalog.audit.actions import record
from cephalog.domain.safety import AFTERCARE_INFORMATION
from cephalog.patients.models import Patient
from cephalog.treatment import queries
from cephalog.treatment.models import Session, SessionStatus


@patient_only
def care_team(request: HttpRequest, patient: Patient) -> HttpResponse:
    record(action="read", category="care_team", patient=patient)
    return render(
        request,
        "treatment/care_team.html",
        {"patient": patient, "team": queries.care_team(patient)},
    )


@patient_only
def my_sessions(request: HttpRequest, patient: Patient) -> HttpResponse:
    record(action="read", category="session_list", patient=patient)
    sessions = patient.sessions.filter(status=SessionStatus.COMPLETED).order_by("-date")
    return render(request, "treatment/my_sessions.html", {"patient": patient, "sessions": sessions})


@patient_only
def session_aftercare(request: HttpRequest, patient: Patient, session_id: int) -> HttpResponse:
    session = get_object_or_404(
        Session, patient=patient, pk=session_id, status=SessionStatus.COMPLETED
    )
    record(action="read", category="aftercare", patient=patient, object_ref=f"session:{session.pk}")
    lines = queries.aftercare(patient.clinic)
    return render(
        request,
        "treatment/aftercare.html",
        {
            "patient": patient,
            "session": session,
            "information": AFTERCARE_INFORMATION,
            "label_lines": [line for line in lines if line.tag == "Label guidance"],
            "optional_lines": [line for line in lines if line.tag != "Label guidance"],
        },
    )
