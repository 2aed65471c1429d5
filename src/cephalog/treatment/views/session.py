"""The session page: sites, vials, completion and signing, addenda, cancelling."""

from __future__ import annotations

from collections.abc import Sequence

from django.contrib import messages
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from cephalog.accounts.access import CLINICAL_ROLES, patient_view, role_in
from cephalog.accounts.models import Role
from cephalog.audit.actions import record
from cephalog.domain import dosing
from cephalog.patients.models import Patient
from cephalog.treatment import actions, queries
from cephalog.treatment.forms import (
    AddendumForm,
    CancelForm,
    CompleteForm,
    VialForm,
    parse_sites,
)
from cephalog.treatment.models import Session, SessionStatus, Vial
from cephalog.treatment.views.common import clinical_write, in_clinic_time, now_local, user_of


def _session(patient: Patient, session_id: int) -> Session:
    session = get_object_or_404(
        Session.objects.select_related("injector", "signed_by", "supervisor"),
        patient=patient,
        pk=session_id,
    )
    session.patient = patient  # already loaded and access-checked
    return session


def _place_errors(
    errors: dict[str, list[str]], problems: Sequence[str], forms: Sequence[Form]
) -> tuple[list[str], list[str]]:
    """Put each refusal beside its control: a field of the bound form it belongs to, the
    sites, or the page as a whole. Returns (the page's problems, the sites' problems)."""
    general = list(problems)
    site_errors: list[str] = []
    for field, texts in errors.items():
        for text in texts:
            target = next((f for f in forms if f.is_bound and field in f.fields), None)
            if target is not None:
                target.add_error(field, text)
            elif field == "sites":
                site_errors.append(text)
            else:
                general.append(text)
    return general, site_errors


def _error_links(forms: Sequence[Form], site_errors: Sequence[str]) -> list[tuple[str, str]]:
    """Each refusal shown beside a control further down, said again at the top of the page
    with a link to that control: after a refused "Complete and sign" the page opens at its
    top, thousands of pixels above the tick box that was missed (a phone most of all)."""
    links = []
    for form in forms:
        if not form.is_bound:
            continue
        for name, texts in form.errors.items():
            if name not in form.fields:
                continue
            field = form[name]
            radio = getattr(field.field.widget, "input_type", "") == "radio"
            anchor = f"{field.auto_id}_0" if radio else field.auto_id
            links += [(f"{field.label}: {text}", anchor) for text in texts]
    links += [(text, "sites-heading") for text in site_errors]
    return links


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
    role = role_in(user_of(request), patient.clinic)
    page = queries.session_page(session, posted_sites=posted_sites)
    now = now_local()
    vial_form = vial_form or VialForm(initial={"reconstituted_at": now})
    complete_form = complete_form or CompleteForm(
        initial={"topical_anaesthetic": "none", "notes": session.notes}
    )
    cancel_form = cancel_form or CancelForm()
    addendum_form = addendum_form or AddendumForm()
    general, site_errors = _place_errors(
        errors or {}, problems, (vial_form, complete_form, cancel_form, addendum_form)
    )
    forms = (vial_form, complete_form, cancel_form, addendum_form)
    context = {
        "patient": patient,
        "session": session,
        "page": page,
        "problems": general,
        "problem_links": _error_links(forms, site_errors),
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
@in_clinic_time
def session_detail(request: HttpRequest, patient: Patient, session_id: int) -> HttpResponse:
    session = _session(patient, session_id)
    record(action="read", category="session", patient=patient, object_ref=f"session:{session.pk}")
    return _render_session(request, patient, session)


@clinical_write
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
                and role_in(user_of(request), patient.clinic) == Role.PHYSICIAN
            ):
                actions.record_sites(session=session, by=user_of(request), sites=sites)
                raise actions.SessionError(
                    [("confirm_sign", "Tick to confirm: signing locks the session for good.")]
                )
            actions.complete_session(
                session=session,
                by=user_of(request),
                sites=sites,
                ended_at=data["ended_at"],
                topical_anaesthetic=data["topical_anaesthetic"],
                immediate_reactions=data["immediate_reactions"],
                notes=data["notes"],
            )
            messages.success(request, "Session completed, signed and locked.")
        else:
            actions.record_sites(session=session, by=user_of(request), sites=sites)
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
        actions.record_sites(session=session, by=user_of(request), sites=sites)
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


@clinical_write
def vial_add(request: HttpRequest, patient: Patient, session_id: int) -> HttpResponse:
    session = _session(patient, session_id)
    form = VialForm(request.POST)
    errors: dict[str, list[str]] = {}
    if form.is_valid():
        try:
            actions.add_vial(session=session, by=user_of(request), **form.cleaned_data)
        except actions.SessionError as error:
            errors = error.by_field
        else:
            messages.success(request, "Vial recorded.")
            return redirect("session-detail", patient.pk, session.pk)
    return _render_session(request, patient, session, errors=errors, vial_form=form, status=400)


@clinical_write
def vial_remove(
    request: HttpRequest, patient: Patient, session_id: int, vial_id: int
) -> HttpResponse:
    session = _session(patient, session_id)
    vial = get_object_or_404(Vial, session=session, pk=vial_id)
    try:
        actions.remove_vial(vial=vial, by=user_of(request))
    except actions.SessionError as error:
        return _render_session(request, patient, session, problems=error.problems, status=400)
    messages.success(request, "Vial removed.")
    return redirect("session-detail", patient.pk, session.pk)


@clinical_write
def addendum_add(request: HttpRequest, patient: Patient, session_id: int) -> HttpResponse:
    session = _session(patient, session_id)
    form = AddendumForm(request.POST)
    problems: list[str] = []
    if form.is_valid():
        try:
            actions.add_addendum(
                session=session, by=user_of(request), text=form.cleaned_data["text"]
            )
        except actions.SessionError as error:
            problems = error.problems
        else:
            messages.success(request, "Addendum added.")
            return redirect("session-detail", patient.pk, session.pk)
    return _render_session(
        request, patient, session, problems=problems, addendum_form=form, status=400
    )


@clinical_write
def session_cancel(request: HttpRequest, patient: Patient, session_id: int) -> HttpResponse:
    session = _session(patient, session_id)
    form = CancelForm(request.POST)
    try:
        if not form.is_valid():
            raise actions.SessionError(
                [(name, "; ".join(str(e) for e in errs)) for name, errs in form.errors.items()]
            )
        actions.cancel_session(
            session=session, by=user_of(request), reason=form.cleaned_data["reason"]
        )
    except actions.SessionError as error:
        return _render_session(
            request, patient, session, errors=error.by_field, cancel_form=form, status=400
        )
    messages.success(request, "Session cancelled.")
    return redirect("session-list", patient.pk)
