"""The clinic's policies page: the built-in policies, the clinic's own, and its default.

Staff of the clinic may read it; clinic admins add, change and remove the
clinic's own policies and choose the default. A policy is data
(`Policy.from_dict`), so a clinic sets its own thresholds without a code change.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from cephalog.accounts import rules_queries
from cephalog.accounts.access import staff_clinic_ids, staff_view
from cephalog.accounts.models import Clinic, ClinicPolicy, Role
from cephalog.audit.actions import record
from cephalog.domain.intervals import DUE_INTERVAL_DAYS, EARLIEST_INTERVAL_DAYS, IntervalRule
from cephalog.domain.policies import POLICIES, PolicyError
from cephalog.domain.rulesets import RULESETS
from cephalog.eligibility import actions
from cephalog.eligibility.actions import EligibilityError
from cephalog.eligibility.forms import ClinicPolicyForm, attach_problems, starting_definition
from cephalog.eligibility.views import user_of

ADMIN_ONLY = (Role.CLINIC_ADMIN,)


def _clinic(request: HttpRequest, slug: str | None, roles: tuple[str, ...] = ()) -> Clinic:
    """One of the user's clinics (by slug, else the first); 404 for any other."""
    ids = staff_clinic_ids(request.user, roles) if roles else staff_clinic_ids(request.user)
    clinics = Clinic.objects.filter(pk__in=ids).order_by("name")
    clinic = clinics.filter(slug=slug).first() if slug else clinics.first()
    if clinic is None:
        raise Http404("Not found")
    return clinic


def _list_url(clinic: Clinic) -> str:
    return reverse("policies") + f"?clinic={clinic.slug}"


def _summary(data: dict[str, Any]) -> list[tuple[str, str]]:
    """The thresholds a reader compares between policies; intervals from the domain's numbers."""
    rule = data.get("continuation", {})
    interval = IntervalRule(
        due_days=data.get("due_interval_days", DUE_INTERVAL_DAYS),
        earliest_days=data.get("earliest_interval_days", EARLIEST_INTERVAL_DAYS),
    )
    failed = data.get("failed_preventives_required")
    low = rule.get("low_frequency_below")
    return [
        ("Failed preventives", "not required" if failed is None else f"at least {failed}"),
        ("Overuse", "must be managed" if data.get("overuse_managed_required") else "a flag"),
        ("Minimum age", str(data.get("minimum_age", 18))),
        (
            "Responder threshold",
            "no stopping rule"
            if rule.get("no_stopping_rule")
            else (
                "none"
                if rule.get("responder_threshold_pct") is None
                else f"{rule['responder_threshold_pct']:g}% fewer headache days"
            ),
        ),
        (
            "Low frequency",
            "none"
            if low is None
            else f"below {low:g} days for {rule.get('low_frequency_windows', 3)} windows",
        ),
        (
            "Interval",
            f"due {interval.due_days} days, earliest {interval.earliest} "
            f"({interval.letter_sentence()})",
        ),
        (
            "Day definition (standard-2)",
            "ICHD-3 1.3: headache of any duration"
            if data.get("day_definition") == "ichd3"
            else "label: headache of 4 h or more, or treated with a triptan or ergot",
        ),
    ]


@staff_view()
def policy_list(request: HttpRequest) -> HttpResponse:
    clinic = _clinic(request, request.GET.get("clinic"))
    is_admin = clinic.pk in staff_clinic_ids(request.user, ADMIN_ONLY)
    own = []
    for row in ClinicPolicy.objects.filter(clinic=clinic):
        try:
            summary = _summary(row.to_policy().to_dict())
        except PolicyError as error:  # only a row written around the actions
            summary = [("Definition", f"invalid: {error}")]
        own.append({"row": row, "summary": summary})
    builtin = [{"policy": p, "summary": _summary(p.to_dict())} for p in POLICIES.values()]
    record(action="read", category="clinic_policy", clinic_id=clinic.pk)
    clinics = Clinic.objects.filter(pk__in=staff_clinic_ids(request.user))
    return render(
        request,
        "eligibility/policies.html",
        {
            "clinic": clinic,
            "clinics": clinics,
            "is_admin": is_admin,
            "builtin": builtin,
            "own": own,
            "options": rules_queries.policy_options(clinic),
            "ruleset": rules_queries.clinic_ruleset(clinic),
            "rulesets": list(RULESETS.values()),
            "interval_text": IntervalRule(
                minimum_days=clinic.minimum_interval_days
            ).clinic_sentence(),
        },
    )


def _set_for_clinic(
    request: HttpRequest, clinic_slug: str, choose: Callable[[Clinic], str]
) -> HttpResponse:
    """A clinic admin's choice for the whole clinic: `choose` writes it and says what is now
    in force; a refusal is shown instead. Back to the list of policies either way."""
    clinic = _clinic(request, clinic_slug, ADMIN_ONLY)
    try:
        now = choose(clinic)
    except EligibilityError as error:
        messages.error(request, " ".join(error.problems))
    else:
        messages.success(request, now)
    return redirect(_list_url(clinic))


@staff_view(ADMIN_ONLY)
@require_POST
def policy_ruleset(request: HttpRequest, clinic_slug: str) -> HttpResponse:
    """Choose the clinic's ruleset (spec section 11); clinic admins only."""

    def choose(clinic: Clinic) -> str:
        row = actions.set_clinic_ruleset(
            clinic=clinic, by=user_of(request), name=request.POST.get("ruleset", "")
        )
        return f"The clinic now assesses with ruleset {row.ruleset}."

    return _set_for_clinic(request, clinic_slug, choose)


@staff_view(ADMIN_ONLY)
@require_POST
def policy_default(request: HttpRequest, clinic_slug: str) -> HttpResponse:
    def choose(clinic: Clinic) -> str:
        actions.set_default_policy(
            clinic=clinic, by=user_of(request), name=request.POST.get("default_policy", "")
        )
        return f"The default policy is now {clinic.default_policy}."

    return _set_for_clinic(request, clinic_slug, choose)


def _edit(request: HttpRequest, clinic: Clinic, policy: ClinicPolicy | None) -> HttpResponse:
    if request.method == "POST":
        form = ClinicPolicyForm(request.POST)
        if form.is_valid():
            try:
                saved = actions.save_clinic_policy(
                    clinic=clinic, by=user_of(request), policy=policy, **form.cleaned_data
                )
            except EligibilityError as error:
                attach_problems(form, error.problems)
            except PermissionDenied:
                raise Http404("Not found") from None
            else:
                messages.success(request, f"Policy {saved.name} saved.")
                return redirect(_list_url(clinic))
    elif policy is not None:
        form = ClinicPolicyForm(
            initial={
                "name": policy.name,
                "title": policy.title,
                "definition": json.dumps(policy.definition, indent=2),
            }
        )
    else:
        start = request.GET.get("from", "us-payer")
        form = ClinicPolicyForm(initial={"definition": starting_definition(start)})
    return render(
        request,
        "eligibility/policy_edit.html",
        {"clinic": clinic, "form": form, "policy": policy, "builtins": list(POLICIES)},
        status=400 if form.errors else 200,
    )


@staff_view(ADMIN_ONLY)
def policy_new(request: HttpRequest, clinic_slug: str) -> HttpResponse:
    return _edit(request, _clinic(request, clinic_slug, ADMIN_ONLY), None)


@staff_view(ADMIN_ONLY)
def policy_edit(request: HttpRequest, clinic_slug: str, name: str) -> HttpResponse:
    clinic = _clinic(request, clinic_slug, ADMIN_ONLY)
    return _edit(request, clinic, get_object_or_404(ClinicPolicy, clinic=clinic, name=name))


@staff_view(ADMIN_ONLY)
@require_POST
def policy_delete(request: HttpRequest, clinic_slug: str, name: str) -> HttpResponse:
    clinic = _clinic(request, clinic_slug, ADMIN_ONLY)
    policy = get_object_or_404(ClinicPolicy, clinic=clinic, name=name)
    try:
        actions.delete_clinic_policy(policy=policy, by=user_of(request))
    except EligibilityError as error:
        messages.error(request, " ".join(error.problems))
    else:
        messages.success(request, f"Policy {name} removed.")
    return redirect(_list_url(clinic))
