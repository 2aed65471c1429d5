"""Session pages: thin views over treatment.actions and treatment.queries.

Staff pages live under /clinic/patients/<uuid>/sessions/ so access is always
checked through the patient (accounts.access.patient_view); the session is
then looked up among that patient's sessions only. Patient pages are under /me/.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable, Sequence
from functools import wraps
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from cephalog.accounts.access import CLINICAL_ROLES, patient_only, patient_view, role_in
from cephalog.accounts.models import Role, User
from cephalog.audit.actions import record
from cephalog.domain import dosing
from cephalog.patients.models import Patient
from cephalog.safety.queries import avoid_sites_for
from cephalog.treatment import actions, queries
from cephalog.treatment.forms import (
    DATETIME_LOCAL,
    AddendumForm,
    CancelForm,
    CompleteForm,
    StartSessionForm,
    VialForm,
    parse_sites,
)
from cephalog.treatment.models import Session, SessionStatus, Vial


def _in_clinic_time(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Forms and pages show and read times in the patient's clinic's time zone."""

    @wraps(view)
    def wrapper(request: HttpRequest, patient: Patient, *args: Any, **kwargs: Any) -> HttpResponse:
        with timezone.override(zoneinfo.ZoneInfo(patient.clinic.time_zone)):
            return view(request, patient, *args, **kwargs)

    return wrapper


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def _now_local() -> str:
    return timezone.localtime().strftime(DATETIME_LOCAL)


# ---------------------------------------------------------------------------
# Session list and start
# ---------------------------------------------------------------------------


def _start_form(patient: Patient, user: User, data: Any = None) -> StartSessionForm:
    staff = queries.clinical_staff(patient.clinic)
    injectors = User.objects.filter(pk__in=[u.pk for u, _ in staff]).order_by(
        "last_name", "username"
    )
    default = user if any(u.pk == user.pk for u, _ in staff) else None
    labels = {
        u.pk: f"{queries.display_name(u, role)}, {Role(role).label.split(' (')[0].lower()}"
        for u, role in staff
    }
    return StartSessionForm(
        data,
        protocols=queries.protocol_choices(patient.clinic),
        injectors=injectors,
        injector_labels=labels,
        initial={"injector": default, "protocol": dosing.PREEMPT_155.name},
    )


def _render_list(
    request: HttpRequest,
    patient: Patient,
    form: StartSessionForm | None,
    problems: Sequence[str] = (),
    status: int = 200,
) -> HttpResponse:
    today = timezone.localdate()
    role = role_in(_user(request), patient.clinic)
    sessions = list(patient.sessions.select_related("injector").order_by("-date"))
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
            "form": form if role in CLINICAL_ROLES else None,
            "problems": problems,
            "hints": queries.chart_hints(patient, today),
            "preview": queries.preview_rules(patient, today, dosing.PREEMPT_155),
            "today": today,
        },
        status=status,
    )


@patient_view(staff_only=True)
@_in_clinic_time
def session_list(request: HttpRequest, patient: Patient) -> HttpResponse:
    record(action="read", category="session_list", patient=patient)
    return _render_list(request, patient, _start_form(patient, _user(request)))


@require_POST
@patient_view(staff_only=True, roles=CLINICAL_ROLES)
@_in_clinic_time
def session_start(request: HttpRequest, patient: Patient) -> HttpResponse:
    form = _start_form(patient, _user(request), request.POST)
    if not form.is_valid():
        return _render_list(request, patient, form, status=400)
    data = form.cleaned_data
    try:
        session = actions.start_session(
            patient=patient,
            by=_user(request),
            injector=data["injector"],
            protocol_key=data["protocol"],
            infection_at_sites=data["infection_at_sites"],
            red_flags_since_last=data["red_flags_since_last"],
            pregnant=data["pregnant"],
            precheck_reason=data["precheck_reason"],
            override_reason=data["override_reason"],
        )
    except actions.SessionError as error:
        return _render_list(request, patient, form, error.problems, status=400)
    messages.success(request, "Session started. Record the vials, then tick the sites.")
    return redirect("session-detail", patient.pk, session.pk)


# ---------------------------------------------------------------------------
# The session page
# ---------------------------------------------------------------------------


def _session(patient: Patient, session_id: int) -> Session:
    session = get_object_or_404(
        Session.objects.select_related("injector", "signed_by"), patient=patient, pk=session_id
    )
    session.patient = patient  # already loaded and access-checked
    return session


def _render_session(
    request: HttpRequest,
    patient: Patient,
    session: Session,
    *,
    posted_sites: list[dosing.RecordedSite] | None = None,
    problems: Sequence[str] = (),
    vial_form: VialForm | None = None,
    complete_form: CompleteForm | None = None,
    addendum_form: AddendumForm | None = None,
    status: int = 200,
) -> HttpResponse:
    role = role_in(_user(request), patient.clinic)
    page = queries.session_page(session, posted_sites=posted_sites)
    now = _now_local()
    context = {
        "patient": patient,
        "session": session,
        "page": page,
        "problems": problems,
        "can_record": role in CLINICAL_ROLES and not session.is_locked,
        "can_sign": role == Role.PHYSICIAN,
        "can_addend": role in CLINICAL_ROLES and session.is_locked,
        "open": session.status == SessionStatus.IN_PROGRESS and not session.is_locked,
        "vial_form": vial_form or VialForm(initial={"reconstituted_at": now}),
        "complete_form": complete_form
        or CompleteForm(
            initial={
                "topical_anaesthetic": "none",
                "notes": session.notes,
            }
        ),
        "addendum_form": addendum_form or AddendumForm(),
        "cancel_form": CancelForm(),
        # Sites an adverse-event review asked to avoid (issue 7: shown at the next session).
        "avoid": dict(avoid_sites_for(patient)),
    }
    return render(request, "treatment/session.html", context, status=status)


@patient_view(staff_only=True)
@_in_clinic_time
def session_detail(request: HttpRequest, patient: Patient, session_id: int) -> HttpResponse:
    session = _session(patient, session_id)
    record(action="read", category="session", patient=patient, object_ref=f"session:{session.pk}")
    return _render_session(request, patient, session)


@require_POST
@patient_view(staff_only=True, roles=CLINICAL_ROLES)
@_in_clinic_time
def session_record(request: HttpRequest, patient: Patient, session_id: int) -> HttpResponse:
    """Save the ticked sites, or (physicians) complete and sign the session."""
    session = _session(patient, session_id)
    sites = parse_sites(request.POST, queries.session_protocol(session))
    complete = request.POST.get("action") == "complete"
    form = CompleteForm(request.POST)
    try:
        if complete:
            if not form.is_valid():
                raise actions.SessionError(
                    [
                        f"{name}: {'; '.join(str(e) for e in errs)}"
                        for name, errs in form.errors.items()
                    ]
                )
            data = form.cleaned_data
            actions.complete_session(
                session=session,
                by=_user(request),
                sites=sites,
                ended_at=data["ended_at"],
                topical_anaesthetic=data["topical_anaesthetic"],
                immediate_reactions=data["immediate_reactions"],
                notes=data["notes"],
            )
            messages.success(request, "Session completed, signed and locked.")
        else:
            actions.record_sites(session=session, by=_user(request), sites=sites)
            messages.success(request, "Sites saved.")
    except actions.SessionError as error:
        session.refresh_from_db()
        return _render_session(
            request,
            patient,
            session,
            posted_sites=sites,
            problems=error.problems,
            complete_form=form if complete else None,
            status=400,
        )
    return redirect("session-detail", patient.pk, session.pk)


@require_POST
@patient_view(staff_only=True, roles=CLINICAL_ROLES)
@_in_clinic_time
def vial_add(request: HttpRequest, patient: Patient, session_id: int) -> HttpResponse:
    session = _session(patient, session_id)
    form = VialForm(request.POST)
    problems: list[str] = []
    if form.is_valid():
        try:
            actions.add_vial(session=session, by=_user(request), **form.cleaned_data)
        except actions.SessionError as error:
            problems = error.problems
        else:
            messages.success(request, "Vial recorded.")
            return redirect("session-detail", patient.pk, session.pk)
    return _render_session(request, patient, session, problems=problems, vial_form=form, status=400)


@require_POST
@patient_view(staff_only=True, roles=CLINICAL_ROLES)
@_in_clinic_time
def vial_remove(
    request: HttpRequest, patient: Patient, session_id: int, vial_id: int
) -> HttpResponse:
    session = _session(patient, session_id)
    vial = get_object_or_404(Vial, session=session, pk=vial_id)
    try:
        actions.remove_vial(vial=vial, by=_user(request))
    except actions.SessionError as error:
        return _render_session(request, patient, session, problems=error.problems, status=400)
    messages.success(request, "Vial removed.")
    return redirect("session-detail", patient.pk, session.pk)


@require_POST
@patient_view(staff_only=True, roles=CLINICAL_ROLES)
@_in_clinic_time
def addendum_add(request: HttpRequest, patient: Patient, session_id: int) -> HttpResponse:
    session = _session(patient, session_id)
    form = AddendumForm(request.POST)
    problems: list[str] = []
    if form.is_valid():
        try:
            actions.add_addendum(session=session, by=_user(request), text=form.cleaned_data["text"])
        except actions.SessionError as error:
            problems = error.problems
        else:
            messages.success(request, "Addendum added.")
            return redirect("session-detail", patient.pk, session.pk)
    return _render_session(
        request, patient, session, problems=problems, addendum_form=form, status=400
    )


@require_POST
@patient_view(staff_only=True, roles=CLINICAL_ROLES)
@_in_clinic_time
def session_cancel(request: HttpRequest, patient: Patient, session_id: int) -> HttpResponse:
    session = _session(patient, session_id)
    form = CancelForm(request.POST)
    try:
        if not form.is_valid():
            raise actions.SessionError(["reason: required to cancel a session"])
        actions.cancel_session(
            session=session, by=_user(request), reason=form.cleaned_data["reason"]
        )
    except actions.SessionError as error:
        return _render_session(request, patient, session, problems=error.problems, status=400)
    messages.success(request, "Session cancelled.")
    return redirect("session-list", patient.pk)


# ---------------------------------------------------------------------------
# Patient pages (/me/)
# ---------------------------------------------------------------------------


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
            "label_lines": [line for line in lines if line.tag == "Label guidance"],
            "optional_lines": [line for line in lines if line.tag != "Label guidance"],
        },
    )
