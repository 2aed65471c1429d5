"""The session list: today's safety check, its sign-offs, and starting a session."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import fields
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from cephalog.accounts.access import CLINICAL_ROLES, patient_view, role_in
from cephalog.accounts.models import Role, User
from cephalog.audit.actions import record
from cephalog.domain import dosing, point_of_care
from cephalog.eligibility import actions as record_actions
from cephalog.eligibility.models import ConditionCode
from cephalog.patients.models import Patient
from cephalog.treatment import actions, queries
from cephalog.treatment.forms import NewItemForm, SafetyCheckForm, SignOffForm, StartSessionForm
from cephalog.treatment.models import SessionStatus
from cephalog.treatment.views.common import clinical_write, in_clinic_time, user_of


def _start_form(patient: Patient, user: User, data: Any = None) -> StartSessionForm:
    staff = queries.clinical_staff(patient.clinic)
    experience = queries.injector_experience(staff)
    injectors = User.objects.filter(pk__in=[u.pk for u, _ in staff]).order_by(
        "last_name", "username"
    )
    physicians = injectors.filter(pk__in=[u.pk for u, role in staff if role == Role.PHYSICIAN])
    default = user if any(u.pk == user.pk for u, _ in staff) else None
    labels, names = {}, {}
    for u, role in staff:
        label = f"{queries.display_name(u, role)}, {Role(role).label.split(' (')[0].lower()}"
        names[u.pk] = queries.display_name(u, role)
        why = actions.needs_supervision(experience[u.pk])
        labels[u.pk] = f"{label} ({why}: needs a supervisor)" if why else label
    return StartSessionForm(
        data,
        protocols=queries.protocol_choices(patient.clinic),
        injectors=injectors,
        injector_labels=labels,
        supervisors=physicians,
        supervisor_labels=names,
        initial={"injector": default, "protocol": dosing.PREEMPT_155.name},
    )


def _check_form(pre: queries.PreSession, data: Any = None) -> SafetyCheckForm:
    initial: dict[str, Any] = {}
    if pre.check is not None:
        a = pre.check.answers
        initial = {
            k: ("yes" if a.get(k) else "no")
            for k in ("infection_at_sites", "red_flags_since_last", "pregnant")
        }
        if a.get("new_since_last") is not None:
            initial["new_since_last"] = "yes" if a["new_since_last"] else "no"
        initial["new_since_last_note"] = a.get("new_since_last_note", "")
    return SafetyCheckForm(data, initial=initial)


#: Where a refusal keyed by a control shows on the session list (the control's id).
_ANCHORS = {
    "safety_check": "questions",
    "new_since_last": "id_new_since_last_0",
    "new_item": "id_item-name",
}


def _error_links(errors: dict[str, list[str]]) -> list[tuple[str, str]]:
    """The refusals shown beside a control, said again in the box above the questions with a
    link to it: "Start session" sits a screen or more below the first of them."""
    return [
        (text, _ANCHORS.get(field, field if field.startswith("flag-") else f"id_{field}"))
        for field, texts in errors.items()
        if field
        for text in texts
    ]


def _render_list(
    request: HttpRequest,
    patient: Patient,
    form: StartSessionForm | None = None,
    problems: Sequence[str] = (),
    status: int = 200,
    *,
    errors: dict[str, list[str]] | None = None,
    check_form: SafetyCheckForm | None = None,
    item_form: NewItemForm | None = None,
    notes: dict[str, str] | None = None,
) -> HttpResponse:
    today = timezone.localdate()
    user = user_of(request)
    role = role_in(user, patient.clinic)
    sessions = list(patient.sessions.select_related("injector").order_by("-date"))
    clinical = role in CLINICAL_ROLES
    pre = queries.pre_session(patient, today)
    preview = pre.preview(dosing.PREEMPT_155)
    errors = errors or {}
    return render(
        request,
        "treatment/session_list.html",
        {
            "patient": patient,
            "sessions": sessions,
            "open_today": next(
                (s for s in sessions if s.date == today and s.status == SessionStatus.IN_PROGRESS),
                None,
            ),
            # Given and signed today: no second one today (the interval rule refuses it).
            "done_today": next(
                (s for s in sessions if s.date == today and s.status == SessionStatus.COMPLETED),
                None,
            ),
            "form": (form or _start_form(patient, user)) if clinical else None,
            "check_form": (check_form or _check_form(pre)) if clinical else None,
            "item_form": item_form or NewItemForm(),
            "pre": pre,
            "can_sign": role == Role.PHYSICIAN,
            "problems": [p for field, texts in errors.items() if not field for p in texts]
            if errors
            else problems,
            "problem_links": _error_links(errors),
            "errors": errors,
            "flag_errors": {k: v for k, v in errors.items() if k.startswith("flag-")},
            "notes": notes or {},
            "preview": preview,
            "early_needed": any(
                r.rule == "retreatment_interval" and r.status == "needs_override" for r in preview
            ),
            "continuation_active": actions.continuation_rule(patient, "")["status"] == "ok",
            "today": today,
        },
        status=status,
    )


@patient_view(staff_only=True)
@in_clinic_time
def session_list(request: HttpRequest, patient: Patient) -> HttpResponse:
    record(action="read", category="session_list", patient=patient)
    return _render_list(request, patient)


def _answers(data: dict[str, Any]) -> dict[str, Any]:
    """The safety questions' answers in a form's data (the fields of `point_of_care.Answers`)."""
    return {f.name: data[f.name] for f in fields(point_of_care.Answers)}


@clinical_write
def session_check(request: HttpRequest, patient: Patient) -> HttpResponse:
    """Record the answers to the safety questions for today's session."""
    form = SafetyCheckForm(request.POST)
    if not form.is_valid():
        return _render_list(request, patient, check_form=form, status=400)
    data = form.cleaned_data
    try:
        actions.record_check(
            patient=patient,
            by=user_of(request),
            answers=point_of_care.Answers(**_answers(data)),
        )
    except actions.SessionError as error:
        return _render_list(request, patient, check_form=form, errors=error.by_field, status=400)
    messages.success(request, "Safety answers saved. Each flag below needs its sign-off.")
    return redirect(reverse("session-list", args=[patient.pk]) + "#flags")


@require_POST
@patient_view(staff_only=True, roles=(Role.PHYSICIAN,))
@in_clinic_time
def session_sign_off(request: HttpRequest, patient: Patient) -> HttpResponse:
    """A physician signs off one flag of today's check."""
    form = SignOffForm(request.POST)
    flag = str(request.POST.get("flag", ""))
    anchor = "flag-" + flag.replace(":", "-").replace("_", "-")
    if not form.is_valid():
        return _render_list(
            request,
            patient,
            errors={anchor: ["Write what you considered, then sign off."]},
            status=400,
        )
    try:
        actions.sign_off_flag(
            patient=patient,
            by=user_of(request),
            flag=form.cleaned_data["flag"],
            note=form.cleaned_data["note"],
        )
    except actions.SessionError as error:
        errors = {
            anchor if k.startswith("note-") or not k else k: v for k, v in error.by_field.items()
        }
        return _render_list(
            request, patient, errors=errors, notes={anchor: form.cleaned_data["note"]}, status=400
        )
    messages.success(request, "Flag signed off.")
    return redirect(reverse("session-list", args=[patient.pk]) + "#" + anchor)


@clinical_write
def session_check_add(request: HttpRequest, patient: Patient) -> HttpResponse:
    """Add a medicine or an illness the patient reports at the check to the record."""
    form = NewItemForm(request.POST)
    problems: list[str] = []
    if form.is_valid():
        data = form.cleaned_data
        try:
            if data["kind"] == "medicine":
                record_actions.save_medication(
                    patient=patient,
                    by=user_of(request),
                    name=data["name"],
                    drug_class=data["drug_class"],
                    start=data["start"],
                )
                done = f"{' '.join(data['name'].split())} added to the medicines."
            else:
                if not data["condition"]:
                    raise record_actions.EligibilityError(["condition: choose the illness"])
                current = set(
                    patient.conditions.filter(resolved_on__isnull=True).values_list(
                        "code", flat=True
                    )
                )
                record_actions.set_cautions(
                    patient=patient,
                    by=user_of(request),
                    today=timezone.localdate(),
                    conditions=current | {data["condition"]},
                    toxin_allergy=patient.allergies.filter(code="botulinum_toxin").exists(),
                    allergy_reaction=(
                        patient.allergies.filter(code="botulinum_toxin")
                        .values_list("reaction", flat=True)
                        .first()
                        or ""
                    ),
                )
                done = f"{ConditionCode(data['condition']).label} added to the conditions."
        except record_actions.EligibilityError as error:
            problems = [actions.plain(p)[1] for p in error.problems]
        else:
            messages.success(request, done)
            return redirect(reverse("session-list", args=[patient.pk]) + "#flags")
    else:
        problems = ["Give the medicine's name, or choose the illness."]
    return _render_list(request, patient, item_form=form, errors={"new_item": problems}, status=400)


@clinical_write
def session_start(request: HttpRequest, patient: Patient) -> HttpResponse:
    form = _start_form(patient, user_of(request), request.POST)
    if not form.is_valid():
        return _render_list(request, patient, form, status=400)
    data = form.cleaned_data
    try:
        session = actions.start_session(
            patient=patient,
            by=user_of(request),
            injector=data["injector"],
            protocol_key=data["protocol"],
            supervisor=data["supervisor"],
            precheck_reason=data["precheck_reason"],
            early=form.early(),
            **_answers(data),
        )
    except actions.SessionError as error:
        return _render_list(request, patient, form, errors=error.by_field, status=400)
    messages.success(request, "Session started. Record the vials, then tick the sites.")
    return redirect("session-detail", patient.pk, session.pk)
