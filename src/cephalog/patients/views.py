from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from cephalog.accounts.access import patient_only, patient_view, staff_clinic_ids, staff_view
from cephalog.accounts.models import Clinic
from cephalog.audit.actions import record
from cephalog.core.http import add_messages, add_validation_to_form
from cephalog.patients import actions, queries
from cephalog.patients.forms import ContactForm, InviteEmailForm, PatientForm
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
            "email_change": actions.open_email_change(patient),
            "login_in_use": actions.login_in_use(patient.user),
            "invite_form": InviteEmailForm(),
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
        # Asked in place on the chart: the address is saved (audited), then the link sent.
        form = InviteEmailForm(request.POST)
        if not form.is_valid():
            for error in form.errors.get("email", ["Enter the patient's email address."]):
                messages.error(request, str(error))
            return redirect("patient-chart", patient.pk)
        try:
            actions.update_contact_details(
                patient=patient,
                by=request.user,
                email=form.cleaned_data["email"],
                phone=patient.phone,
                address=patient.address,
                time_zone=patient.time_zone,
                preferred_contact=patient.preferred_contact,
            )
        except ValidationError as error:
            add_messages(request, error)
            return redirect("patient-chart", patient.pk)
    try:
        actions.invite_patient(patient=patient, by=request.user)
    except ValidationError as error:
        # A refused invitation is kept too: re-inviting a login in use is worth knowing about.
        record(
            action="update",
            category="account",
            patient=patient,
            detail={"invited": False, "refused": True},
        )
        add_messages(request, error)
    else:
        messages.success(request, "Invitation sent. The link works once, for three days.")
    return redirect("patient-chart", patient.pk)


@patient_view(staff_only=True)
def patient_contact(request: HttpRequest, patient: Patient) -> HttpResponse:
    form = ContactForm(request.POST or None, instance=Patient.objects.get(pk=patient.pk))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            result = actions.update_contact_details(
                patient=patient,
                by=request.user,
                email=data["email"],
                phone=data["phone"],
                address=data["address"],
                time_zone=data["time_zone"],
                preferred_contact=data["preferred_contact"],
                gp_practice=data["gp_practice"],
            )
        except ValidationError as error:
            add_validation_to_form(form, error)
        else:
            if result.email_pending:
                messages.success(
                    request,
                    "Saved. The new email address is used once the patient confirms it: we sent "
                    "them a link, and told their current address.",
                )
            elif result.changed:
                messages.success(request, "Contact details saved.")
            else:
                messages.info(request, "Nothing was changed.")
            return redirect("patient-chart", patient.pk)
    record(action="read", category="contact_details", patient=patient)
    return render(
        request,
        "patients/contact.html",
        {
            "patient": patient,
            "form": form,
            "email_change": actions.open_email_change(patient),
            "login_in_use": actions.login_in_use(patient.user),
        },
    )


@require_POST
@patient_view(staff_only=True)
def patient_email_change_withdraw(request: HttpRequest, patient: Patient) -> HttpResponse:
    if actions.withdraw_email_change(patient=patient, by=request.user):
        messages.success(request, "The email change was withdrawn; the link no longer works.")
    return redirect("patient-chart", patient.pk)


@patient_only
def email_change_confirm(request: HttpRequest, patient: Patient, token: str) -> HttpResponse:
    change = actions.email_change_for(patient, token)
    if change is None:
        raise Http404("No such link")
    if request.method == "POST":
        try:
            actions.confirm_email_change(patient=patient, token=token, by=request.user)
        except ValidationError as error:
            add_messages(request, error)
        else:
            messages.success(request, "Your new email address is saved.")
        return redirect(reverse("patient-home"))
    record(action="read", category="contact_details", patient=patient)
    return render(request, "patients/email_confirm.html", {"change": change})
