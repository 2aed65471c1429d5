"""The clinic's pages of a patient's diary."""

from __future__ import annotations

import datetime as dt

from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse

from cephalog.accounts.access import CLINICAL_ROLES, patient_view, staff_clinic_ids
from cephalog.core.time import patient_today
from cephalog.diary import summaries
from cephalog.diary.views.common import month_page
from cephalog.diary.views.day_form import _day_form_page
from cephalog.patients.models import Patient


@patient_view(staff_only=True)
def clinic_diary(request: HttpRequest, patient: Patient) -> HttpResponse:
    """Calendar, each day's flags with reasons, baseline and latest windows, compliance,
    the overuse screen (issue 3, part 5)."""
    return month_page(
        request,
        patient,
        build=summaries.clinic_diary,
        template="diary/clinic.html",
        ref="clinic",
        can_edit=patient.clinic_id in staff_clinic_ids(request.user, CLINICAL_ROLES),
    )


@patient_view(staff_only=True, roles=CLINICAL_ROLES)
def clinic_day(request: HttpRequest, patient: Patient, date: dt.date) -> HttpResponse:
    """Staff correct or add any past day; changing an existing entry needs a reason."""
    if date > patient_today(patient):
        raise Http404("That day has not happened yet")
    back = reverse("clinic-diary", args=[patient.pk]) + f"?month={date:%Y-%m}"
    return _day_form_page(
        request,
        patient,
        date,
        staff=True,
        done_url=back,
        template="diary/clinic_day.html",
        extra={"back": back, "revisions": summaries.revisions(patient, date)},
    )
