"""The prior-authorisation letter (US payers), as a page and as a PDF.

Content (clinical reference 5.3, 9.1, 9.3): the diagnosis with its
ICD-10-CM code, the baseline diary window with its counts and compliance,
the preventives that failed with their classes and durations, the
medication-overuse screen, the planned dose (155 U, 31 sites, every 12
weeks), the billing codes and the prescriber. Every figure comes from the
same screening as the eligibility page.

The PDF is made by WeasyPrint from a template with its own print stylesheet.
Its URL fetcher refuses everything but `data:` URIs, so rendering never
reaches the network or the file system.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.text import slugify

from cephalog.accounts.access import patient_view, role_in
from cephalog.accounts.models import Membership, Role, User
from cephalog.audit.actions import record
from cephalog.domain.dosing import (
    DUE_INTERVAL_DAYS,
    US_LABEL_155,
    VIAL_SIZES_UNITS,
    billing_lines,
    icd10_code,
)
from cephalog.eligibility import queries
from cephalog.eligibility.screening_views import policy_or_404
from cephalog.eligibility.views import user_of
from cephalog.patients.models import Patient

PLANNED_UNITS = US_LABEL_155.fixed_units
PLANNED_SITES = len(US_LABEL_155.fixed_sites)
#: Units opened for the planned dose: one 200 U vial (or two 100 U vials); single-dose
#: vials, so what is left is discarded and billed on a JW line (clinical reference 9.3).
UNITS_OPENED = max(VIAL_SIZES_UNITS)
PAPER_SIZES = {"letter": "Letter", "a4": "A4"}


def physicians(patient: Patient) -> list[User]:
    """The physicians of the patient's clinic, who may sign the letter."""
    ids = Membership.objects.filter(clinic=patient.clinic, role=Role.PHYSICIAN).values("user_id")
    return list(User.objects.filter(pk__in=ids).order_by("last_name", "first_name", "username"))


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
    patient: Patient, s: queries.Screening, prescriber: User | None, paper: str
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
        "paper": PAPER_SIZES.get(paper, "Letter"),
    }


def _context(request: HttpRequest, patient: Patient) -> dict[str, Any]:
    policy = policy_or_404(patient, request.GET.get("policy"))
    s = queries.screening(patient, queries.screening_date(patient), policy)
    paper = request.GET.get("paper", "letter")
    context = letter_context(patient, s, choose_prescriber(request, patient), paper)
    context["paper_key"] = paper if paper in PAPER_SIZES else "letter"
    return context


def _export(patient: Patient, context: dict[str, Any], fmt: str) -> None:
    prescriber = context["prescriber"]
    record(
        action="export",
        category="prior_auth_letter",
        patient=patient,
        detail={
            "format": fmt,
            "policy": context["s"].policy.name,
            "prescriber_id": prescriber.pk if prescriber else None,
        },
    )


@patient_view(staff_only=True)
def letter_page(request: HttpRequest, patient: Patient) -> HttpResponse:
    context = _context(request, patient)
    context["physicians"] = physicians(patient)
    context["options"] = queries.policy_options(patient.clinic)
    _export(patient, context, "html")
    return render(request, "eligibility/letter.html", context)


def data_only_fetcher() -> Any:
    """A WeasyPrint URL fetcher that refuses every URL except `data:` URIs."""
    from weasyprint.urls import URLFetcher  # imported here: heavy, and only the PDF needs it

    class DataOnlyFetcher(URLFetcher):  # type: ignore[misc]
        def fetch(self, url: str, headers: Any = None) -> Any:
            if not url.startswith("data:"):
                raise ValueError(f"refused to fetch {url[:80]!r}: only data: URIs")
            return super().fetch(url, headers)

    return DataOnlyFetcher(allowed_protocols=("data",), allow_redirects=False)


def render_pdf(html: str) -> bytes:
    """PDF bytes from the letter's HTML; nothing outside the document is fetched."""
    from weasyprint import HTML

    pdf: bytes = HTML(string=html, url_fetcher=data_only_fetcher()).write_pdf()
    return pdf


@patient_view(staff_only=True)
def letter_pdf(request: HttpRequest, patient: Patient) -> HttpResponse:
    context = _context(request, patient)
    html = render_to_string("eligibility/letter_pdf.html", context)
    pdf = render_pdf(html)
    _export(patient, context, "pdf")
    response = HttpResponse(pdf, content_type="application/pdf")
    filename = f"prior-authorisation-{slugify(patient.mrn) or 'patient'}.pdf"
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response
