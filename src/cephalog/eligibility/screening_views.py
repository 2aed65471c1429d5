"""The screening page (staff), the physician's sign-offs and decision to start, and the
patient's plain-language page. All compute with `queries.screening`, which is
`cephalog assess` on the stored record."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode

from cephalog.accounts import rules_queries
from cephalog.accounts.access import patient_only, patient_view, role_in
from cephalog.accounts.models import Role
from cephalog.audit.actions import record
from cephalog.domain.policies import Policy
from cephalog.eligibility import actions, plain, queries
from cephalog.eligibility.actions import EligibilityError
from cephalog.eligibility.forms import DecisionForm, SignOffForm, attach_problems
from cephalog.eligibility.plain import PREVENTIVE_MEANING
from cephalog.eligibility.views import user_of
from cephalog.patients.models import Patient

PHYSICIAN_ONLY = (Role.PHYSICIAN,)


def policy_or_404(patient: Patient, name: str | None) -> Policy:
    try:
        return rules_queries.policy_for(patient.clinic, name or None)
    except rules_queries.UnknownPolicy:
        raise Http404("No such policy") from None


def screening_url(patient: Patient, policy: str, anchor: str = "") -> str:
    url = reverse("eligibility", args=[patient.pk]) + "?" + urlencode({"policy": policy})
    return url + (f"#{anchor}" if anchor else "")


def _page(
    request: HttpRequest,
    patient: Patient,
    policy: Policy,
    *,
    sign_off_form: SignOffForm | None = None,
    decision_form: DecisionForm | None = None,
    status: int = 200,
) -> HttpResponse:
    on = queries.screening_date(patient)
    s = queries.screening(patient, on, policy)
    record(
        action="read",
        category="eligibility",
        patient=patient,
        detail={"policy": policy.name, "status": s.status},
    )
    context: dict[str, Any] = {
        "patient": patient,
        "s": s,
        "on": on,
        "policy": policy,
        "options": rules_queries.policy_options(patient.clinic),
        "is_physician": role_in(user_of(request), patient.clinic) == Role.PHYSICIAN,
        "sign_off_form": sign_off_form,
        "decision_form": decision_form or DecisionForm(),
        "decisions": queries.decision_history(patient),
        "sign_offs": queries.sign_off_history(patient),
        "letter_query": urlencode({"policy": policy.name}),
    }
    return render(request, "eligibility/screening.html", context, status=status)


@patient_view(staff_only=True)
def screening_page(request: HttpRequest, patient: Patient) -> HttpResponse:
    """Status, hard stops, each criterion with its evidence and source, flags, the decision."""
    policy = policy_or_404(patient, request.GET.get("policy"))
    return _page(request, patient, policy)


def _physician_post(
    request: HttpRequest,
    patient: Patient,
    form_class: type[SignOffForm] | type[DecisionForm],
    *,
    form_key: str,
    saved: str,
    anchor: str,
    write: Callable[[Policy, dict[str, Any]], object],
) -> HttpResponse:
    """A physician's post on the screening page: `write(policy, cleaned_data)`, then back
    to the page's `anchor`; a refused write shows the page again with the form's problems."""
    if request.method != "POST":
        return redirect(reverse("eligibility", args=[patient.pk]))
    policy = policy_or_404(patient, request.POST.get("policy"))
    form = form_class(request.POST)
    if form.is_valid():
        try:
            write(policy, form.cleaned_data)
        except EligibilityError as error:
            attach_problems(form, error.problems)
        except PermissionDenied:
            raise Http404("No such patient") from None
        else:
            messages.success(request, saved)
            return redirect(screening_url(patient, policy.name, anchor))
    forms: dict[str, Any] = {form_key: form}
    return _page(request, patient, policy, status=400, **forms)


@patient_view(staff_only=True, roles=PHYSICIAN_ONLY)
def sign_off(request: HttpRequest, patient: Patient) -> HttpResponse:
    def write(policy: Policy, data: dict[str, Any]) -> None:
        actions.sign_off_flag(
            patient=patient,
            policy_name=policy.name,
            flag=data["flag"],
            by=user_of(request),
            reason=data["reason"],
            on=queries.screening_date(patient),
        )

    return _physician_post(
        request,
        patient,
        SignOffForm,
        form_key="sign_off_form",
        saved="Flag signed off.",
        anchor="flags",
        write=write,
    )


@patient_view(staff_only=True, roles=PHYSICIAN_ONLY)
def decide(request: HttpRequest, patient: Patient) -> HttpResponse:
    def write(policy: Policy, data: dict[str, Any]) -> None:
        actions.decide_to_start(
            patient=patient,
            policy_name=policy.name,
            by=user_of(request),
            on=queries.screening_date(patient),
            override_reason=data["override_reason"],
        )

    return _physician_post(
        request,
        patient,
        DecisionForm,
        form_key="decision_form",
        saved="Decision to start recorded.",
        anchor="decision",
        write=write,
    )


@patient_only
def my_eligibility(request: HttpRequest, patient: Patient) -> HttpResponse:
    """The patient's own page: why they are, or are not yet, eligible, and what comes next."""
    policy = rules_queries.policy_for(patient.clinic)
    s = queries.screening(patient, queries.screening_date(patient), policy)
    record(
        action="read",
        category="eligibility",
        patient=patient,
        detail={"policy": policy.name, "own": True},
    )
    return render(
        request,
        "eligibility/mine.html",
        {
            "patient": patient,
            "summary": plain.summarise(s),
            "policy": policy,
            "preventive_meaning": PREVENTIVE_MEANING,
            "nav": "eligibility",
        },
    )
