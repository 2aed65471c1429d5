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
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from cephalog.accounts.access import CLINICAL_ROLES, patient_only, patient_view, role_in
from cephalog.accounts.models import Role, User
from cephalog.audit.actions import record
from cephalog.domain import dosing, point_of_care
from cephalog.patients.models import ConditionCode, Patient
from cephalog.treatment import actions, queries
from cephalog.treatment.forms import (
    DATETIME_LOCAL,
    AddendumForm,
    CancelForm,
    CompleteForm,
    NewItemForm,
    SafetyCheckForm,
    SignOffForm,
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
    user = _user(request)
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
            "form": (form or _start_form(patient, user)) if clinical else None,
            "check_form": (check_form or _check_form(pre)) if clinical else None,
            "item_form": item_form or NewItemForm(),
            "pre": pre,
            "can_sign": role == Role.PHYSICIAN,
            "problems": [p for field, texts in errors.items() if not field for p in texts]
            if errors
            else problems,
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
@_in_clinic_time
def session_list(request: HttpRequest, patient: Patient) -> HttpResponse:
    record(action="read", category="session_list", patient=patient)
    return _render_list(request, patient)


@require_POST
@patient_view(staff_only=True, roles=CLINICAL_ROLES)
@_in_clinic_time
def session_check(request: HttpRequest, patient: Patient) -> HttpResponse:
    """Record the answers to the safety questions for today's session."""
    form = SafetyCheckForm(request.POST)
    if not form.is_valid():
        return _render_list(request, patient, check_form=form, status=400)
    data = form.cleaned_data
    try:
        actions.record_check(
            patient=patient,
            by=_user(request),
            answers=point_of_care.Answers(
                infection_at_sites=data["infection_at_sites"],
                red_flags_since_last=data["red_flags_since_last"],
                pregnant=data["pregnant"],
                new_since_last=data["new_since_last"],
                new_since_last_note=data["new_since_last_note"],
            ),
        )
    except actions.SessionError as error:
        return _render_list(request, patient, check_form=form, errors=error.by_field, status=400)
    messages.success(request, "Safety answers saved. Each flag below needs its sign-off.")
    return redirect(reverse("session-list", args=[patient.pk]) + "#flags")


@require_POST
@patient_view(staff_only=True, roles=(Role.PHYSICIAN,))
@_in_clinic_time
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
            by=_user(request),
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


@require_POST
@patient_view(staff_only=True, roles=CLINICAL_ROLES)
@_in_clinic_time
def session_check_add(request: HttpRequest, patient: Patient) -> HttpResponse:
    """Add a medicine or an illness the patient reports at the check to the record."""
    from cephalog.eligibility import actions as record_actions

    form = NewItemForm(request.POST)
    problems: list[str] = []
    if form.is_valid():
        data = form.cleaned_data
        try:
            if data["kind"] == "medicine":
                record_actions.save_medication(
                    patient=patient,
                    by=_user(request),
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
                    by=_user(request),
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
            supervisor=data["supervisor"],
            precheck_reason=data["precheck_reason"],
            early=form.early(),
            infection_at_sites=data["infection_at_sites"],
            red_flags_since_last=data["red_flags_since_last"],
            pregnant=data["pregnant"],
            new_since_last=data["new_since_last"],
            new_since_last_note=data["new_since_last_note"],
        )
    except actions.SessionError as error:
        return _render_list(request, patient, form, errors=error.by_field, status=400)
    messages.success(request, "Session started. Record the vials, then tick the sites.")
    return redirect("session-detail", patient.pk, session.pk)


# ---------------------------------------------------------------------------
# The session page
# ---------------------------------------------------------------------------


def _session(patient: Patient, session_id: int) -> Session:
    session = get_object_or_404(
        Session.objects.select_related("injector", "signed_by", "supervisor"),
        patient=patient,
        pk=session_id,
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
    errors: dict[str, list[str]] | None = None,
    vial_form: VialForm | None = None,
    complete_form: CompleteForm | None = None,
    addendum_form: AddendumForm | None = None,
    cancel_form: CancelForm | None = None,
    status: int = 200,
) -> HttpResponse:
    """The session page; each refusal in `errors` shows beside the control that caused it
    (a field of the form it belongs to, the sites, or the page as a whole)."""
    role = role_in(_user(request), patient.clinic)
    page = queries.session_page(session, posted_sites=posted_sites)
    now = _now_local()
    vial_form = vial_form or VialForm(initial={"reconstituted_at": now})
    complete_form = complete_form or CompleteForm(
        initial={"topical_anaesthetic": "none", "notes": session.notes}
    )
    cancel_form = cancel_form or CancelForm()
    addendum_form = addendum_form or AddendumForm()
    general = list(problems)
    site_errors: list[str] = []
    for field, texts in (errors or {}).items():
        for text in texts:
            target = next(
                (
                    f
                    for f in (vial_form, complete_form, cancel_form, addendum_form)
                    if f.is_bound and field in f.fields
                ),
                None,
            )
            if target is not None:
                target.add_error(field, text)
            elif field == "sites":
                site_errors.append(text)
            else:
                general.append(text)
    context = {
        "patient": patient,
        "session": session,
        "page": page,
        "problems": general,
        "site_errors": site_errors,
        "can_record": role in CLINICAL_ROLES and not session.is_locked,
        "can_sign": role == Role.PHYSICIAN,
        "can_addend": role in CLINICAL_ROLES and session.is_locked,
        "open": session.status == SessionStatus.IN_PROGRESS and not session.is_locked,
        "vial_form": vial_form,
        "complete_form": complete_form,
        "addendum_form": addendum_form,
        "cancel_form": cancel_form,
        "supervision": actions.needs_supervision(page.injector) if page.injector else "",
        # Sites an adverse-event review asked to avoid (issue 7: shown at the next session).
        "avoid": dict(queries.avoid_sites_for(patient)),
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
    """Save the ticked sites (each tick, by htmx: `action=autosave`), or (physicians) complete
    and sign the session once the signer confirms."""
    session = _session(patient, session_id)
    sites = parse_sites(request.POST, queries.session_protocol(session))
    action = request.POST.get("action")
    if action == "autosave":
        return _autosave(request, patient, session, sites)
    complete = action == "complete"
    form = CompleteForm(request.POST)
    try:
        if complete:
            if not form.is_valid():
                raise actions.SessionError(
                    [(name, "; ".join(str(e) for e in errs)) for name, errs in form.errors.items()]
                )
            data = form.cleaned_data
            if (
                not data["confirm_sign"]
                and role_in(_user(request), patient.clinic) == Role.PHYSICIAN
            ):
                actions.record_sites(session=session, by=_user(request), sites=sites)
                raise actions.SessionError(
                    [("confirm_sign", "Tick to confirm: signing locks the session for good.")]
                )
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
            errors=error.by_field,
            complete_form=form if complete else None,
            status=400,
        )
    return redirect("session-detail", patient.pk, session.pk)


def _autosave(
    request: HttpRequest, patient: Patient, session: Session, sites: list[dosing.RecordedSite]
) -> HttpResponse:
    """One tick saved as it is made (the draft): a short status for the page, never a
    redirect. A refused state is kept on screen with the reason; nothing is stored."""
    try:
        actions.record_sites(session=session, by=_user(request), sites=sites)
    except actions.SessionError as error:
        return render(
            request,
            "treatment/_autosave.html",
            {"problems": error.problems, "sites": sites},
        )
    return render(
        request,
        "treatment/_autosave.html",
        {"saved_at": timezone.localtime(), "totals": dosing.session_totals(sites)},
    )


@require_POST
@patient_view(staff_only=True, roles=CLINICAL_ROLES)
@_in_clinic_time
def vial_add(request: HttpRequest, patient: Patient, session_id: int) -> HttpResponse:
    session = _session(patient, session_id)
    form = VialForm(request.POST)
    errors: dict[str, list[str]] = {}
    if form.is_valid():
        try:
            actions.add_vial(session=session, by=_user(request), **form.cleaned_data)
        except actions.SessionError as error:
            errors = error.by_field
        else:
            messages.success(request, "Vial recorded.")
            return redirect("session-detail", patient.pk, session.pk)
    return _render_session(request, patient, session, errors=errors, vial_form=form, status=400)


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
            raise actions.SessionError(
                [(name, "; ".join(str(e) for e in errs)) for name, errs in form.errors.items()]
            )
        actions.cancel_session(
            session=session, by=_user(request), reason=form.cleaned_data["reason"]
        )
    except actions.SessionError as error:
        return _render_session(
            request, patient, session, errors=error.by_field, cancel_form=form, status=400
        )
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
