"""The clinic's letters, as a page and as a PDF; which letters depends on its country.

- United States: the prior-authorisation letter (clinical reference 5.3,
  9.1, 9.3): the diagnosis with its ICD-10-CM code, the baseline diary
  window with its counts and compliance, the preventives that failed with
  their classes and durations, the medication-overuse screen, the planned
  dose (155 U, 31 sites, every 12 weeks), the CPT/HCPCS billing codes and
  the prescriber with a line for the NPI.
- United Kingdom: the funding and continuation letter to the commissioner
  under NICE TA260 (start criteria: chronic migraine, three preventives
  failed, medication overuse managed; continuation: at least a 30%
  reduction in headache days after two cycles, stopping on conversion to
  episodic migraine for three months; clinical reference 5.1) and a letter
  to the GP (diagnosis, treatment, response, warning signs and interacting
  medicines from the label).

Every figure comes from the same screening as the eligibility page and the
same outcomes as the cycle summary. The paper size is the clinic's
(cephalog.domain.paperwork).

The PDF is made by WeasyPrint from a template with its own print stylesheet.
It is rendered by `cephalog.core.pdf` (as every PDF): its URL fetcher refuses everything
but `data:` URIs, so rendering never reaches the network or the file system.
"""

from __future__ import annotations

import zoneinfo
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.text import slugify

from cephalog.accounts import rules_queries
from cephalog.accounts.access import patient_view, role_in
from cephalog.accounts.models import Membership, Role, User
from cephalog.audit.actions import record
from cephalog.core.pdf import html_to_pdf
from cephalog.domain.dosing import (
    DUE_INTERVAL_DAYS,
    US_LABEL_155,
    VIAL_SIZES_UNITS,
    billing_lines,
    icd10_code,
)
from cephalog.domain.paperwork import Letter
from cephalog.eligibility import queries
from cephalog.eligibility.screening_views import policy_or_404
from cephalog.eligibility.views import user_of
from cephalog.outcomes import pdf as outcome_pdf
from cephalog.outcomes import queries as outcome_queries
from cephalog.patients.models import Patient
from cephalog.treatment.models import SessionStatus

PLANNED_UNITS = US_LABEL_155.fixed_units
PLANNED_SITES = len(US_LABEL_155.fixed_sites)
#: Units opened for the planned dose: one 200 U vial (or two 100 U vials); single-dose
#: vials, so what is left is discarded and billed on a JW line (clinical reference 9.3).
UNITS_OPENED = max(VIAL_SIZES_UNITS)
LETTERS = {
    Letter.PRIOR_AUTHORISATION: ("Prior-authorisation letter", "prior_auth_letter"),
    Letter.CONTINUATION: ("Funding and continuation letter (NICE TA260)", "continuation_letter"),
    Letter.GP: ("Letter to the GP", "gp_letter"),
}
#: The continuation policy a UK letter is written under.
UK_POLICY = "nice-ta260"
#: Medicines the label says may potentiate the toxin (BOTOX label §7; clinical-reference §2.6).
INTERACTING = (
    "aminoglycoside antibiotics",
    "other agents interfering with neuromuscular transmission",
    "anticholinergic drugs",
    "muscle relaxants",
    "other botulinum toxin products",
)


def physicians(patient: Patient) -> list[User]:
    """The physicians of the patient's clinic who may sign the letter: active logins that
    have been taken up (a colleague invited but not yet signed in has no usable password,
    and a disabled login has left the clinic)."""
    ids = Membership.objects.filter(clinic=patient.clinic, role=Role.PHYSICIAN).values("user_id")
    users = User.objects.filter(pk__in=ids, is_active=True).order_by(
        "last_name", "first_name", "username"
    )
    return [u for u in users if u.has_usable_password() or u.last_login is not None]


def choose_prescriber(request: HttpRequest, patient: Patient) -> User | None:
    """The physician chosen in `?prescriber=`, else the logged-in physician, else the first."""
    choices = physicians(patient)
    wanted = request.GET.get("prescriber", "")
    for user in choices:
        if str(user.pk) == wanted:
            return user
    user = user_of(request)
    if role_in(user, patient.clinic) == Role.PHYSICIAN:
        return user
    return choices[0] if choices else None


def letter_context(
    patient: Patient, s: queries.Screening, prescriber: User | None, paper: str = ""
) -> dict[str, Any]:
    waste = UNITS_OPENED - PLANNED_UNITS
    return {
        "patient": patient,
        "clinic": patient.clinic,
        "s": s,
        "on": s.evaluation.on,
        "icd": icd10_code(
            patient.migraine_with_aura, patient.intractable, patient.status_migrainosus
        ),
        "failed": [row for row in s.preventives if row.counted],
        "plan": {
            "units": PLANNED_UNITS,
            "sites": PLANNED_SITES,
            "weeks": DUE_INTERVAL_DAYS // 7,
            "opened": UNITS_OPENED,
            "waste": waste,
        },
        "billing": billing_lines(PLANNED_UNITS, waste),
        "prescriber": prescriber,
        "prescriber_name": (prescriber.get_full_name() or prescriber.username)
        if prescriber
        else "",
        "paper": paper or patient.clinic.paperwork.css_page_size,
    }


def letter_kind(request: HttpRequest, patient: Patient) -> Letter:
    """The letter asked for in `?kind=`, if the clinic's country writes it; else its first."""
    letters = patient.clinic.paperwork.letters
    wanted = request.GET.get("kind", "")
    return next((k for k in letters if k.value == wanted), letters[0])


def _outcomes(request: HttpRequest, patient: Patient, policy: str) -> dict[str, Any]:
    today = timezone.localtime(timezone.now(), zoneinfo.ZoneInfo(patient.clinic.time_zone)).date()
    summary = outcome_queries.cycle_summary(patient, today, None, policy)
    context = outcome_pdf.summary_context(summary, user_of(request))
    given = list(
        patient.sessions.filter(status=SessionStatus.COMPLETED)
        .order_by("date")
        .values_list("date", flat=True)
    )
    context["sessions_given"] = len(given)
    context["first_session"] = given[0] if given else None
    context["last_session"] = given[-1] if given else None
    return context


def _context(request: HttpRequest, patient: Patient) -> dict[str, Any]:
    kind = letter_kind(request, patient)
    default = UK_POLICY if kind != Letter.PRIOR_AUTHORISATION else None
    policy = policy_or_404(patient, request.GET.get("policy") or default)
    s = queries.screening(patient, queries.screening_date(patient), policy)
    context = letter_context(patient, s, choose_prescriber(request, patient))
    title, category = LETTERS[kind]
    context.update(
        kind=kind.value,
        title=title,
        category=category,
        letters=[(k.value, LETTERS[k][0]) for k in patient.clinic.paperwork.letters],
        paper_name="A4" if context["paper"] == "A4" else "US Letter",
        interacting=INTERACTING,
    )
    if kind != Letter.PRIOR_AUTHORISATION:
        context.update(_outcomes(request, patient, s.policy.name))
        context["cm"] = context.pop("chronic_migraine", None)
    return context


def _export(patient: Patient, context: dict[str, Any], fmt: str) -> None:
    prescriber = context["prescriber"]
    record(
        action="export",
        category=context["category"],
        patient=patient,
        detail={
            "format": fmt,
            "letter": context["kind"],
            "policy": context["s"].policy.name,
            "prescriber_id": prescriber.pk if prescriber else None,
        },
    )


@patient_view(staff_only=True)
def letter_page(request: HttpRequest, patient: Patient) -> HttpResponse:
    context = _context(request, patient)
    context["physicians"] = physicians(patient)
    context["options"] = rules_queries.policy_options(patient.clinic)
    _export(patient, context, "html")
    return render(request, "eligibility/letter.html", context)


@patient_view(staff_only=True)
def letter_pdf(request: HttpRequest, patient: Patient) -> HttpResponse:
    context = _context(request, patient)
    html = render_to_string("eligibility/letter_pdf.html", context)
    pdf = html_to_pdf(html)
    _export(patient, context, "pdf")
    response = HttpResponse(pdf, content_type="application/pdf")
    name = {"prior_authorisation": "prior-authorisation", "continuation": "continuation"}.get(
        context["kind"], "gp-letter"
    )
    filename = f"{name}-{slugify(patient.mrn) or 'patient'}.pdf"
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response
